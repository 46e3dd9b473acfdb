"""Question plus recent history in, ranked and de-duplicated passages out."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from assistant.backends import EmbeddingBackend
from assistant.documents import text_hash
from assistant.errors import EmptyStoreError
from assistant.lexical import LexicalIndex
from assistant.ranking import cap_per_source, reciprocal_rank_fusion, supporting_last
from assistant.store import ChunkStore, StoredChunk

__all__ = ["Passage", "Retriever"]


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with provenance and its similarity to the query."""

    chunk_id: str
    source: str
    title: str
    text: str
    score: float

    def as_dict(self) -> dict[str, Any]:
        """The `assistant search --json` shape."""
        return asdict(self)


# Candidates each ranking contributes to the fusion: deep enough that a passage ranked well
# by one list and poorly by the other still meets itself; Chroma and BM25 cost about the same
# for 50 as for 12 when only ids are read.
CANDIDATES = 50
# Fused candidates read back (text and vector) and ordered: fixed, not a multiple of k, so
# the first passages of a longer search are the shorter search (3 x the coach's 8).
WINDOW = 24

# Playbook moves are the composer's material, and coach.citations already quotes them only
# when no other text is relevant; ranking them after relevant texts does the same here, so
# their many short cards do not push the explaining texts out of the top k.
SUPPORTING_SOURCES = ("*/playbook/*",)


def _passage(hit: StoredChunk) -> Passage:
    meta = hit.document.metadata
    return Passage(
        chunk_id=str(hit.document.id),
        source=str(meta.get("source", "")),
        title=str(meta.get("title", "")),
        text=hit.document.page_content,
        score=hit.score,
    )


def _distinct(hits: Sequence[StoredChunk]) -> list[StoredChunk]:
    seen: set[str] = set()
    kept = []
    for hit in hits:
        key = text_hash(" ".join(hit.document.page_content.lower().split()))
        if key not in seen:
            seen.add(key)
            kept.append(hit)
    return kept


class Retriever:
    """Embeds a query and returns the best distinct passages from the store.

    Hybrid mode fuses the store's vector ranking with a BM25 ranking of the same chunks
    (reciprocal rank fusion), ranks supporting sources after relevant primary ones and lets
    no document place more than `per_source_cap` passages while others are left. Scores stay
    cosine similarities in both modes, so a relevance threshold means the same either way.
    """

    def __init__(
        self,
        store: ChunkStore,
        embedder: EmbeddingBackend,
        k: int = 4,
        mode: Literal["hybrid", "dense"] = "hybrid",
        per_source_cap: int = 2,
        min_relevance: float = 0.2,
        refresh_s: float = 5.0,
        supporting: Sequence[str] = SUPPORTING_SOURCES,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.k = k
        self.mode = mode
        self.per_source_cap = per_source_cap
        self.min_relevance = min_relevance
        self.refresh_s = refresh_s
        self.supporting = tuple(supporting)
        self._index: LexicalIndex | None = None
        self._built_at: tuple[int, str] = (-1, "")  # (store.local_writes, store.revision())
        self._checked = 0.0
        self._lock = threading.Lock()

    def lexical_index(self) -> LexicalIndex:
        """The BM25 index, rebuilt from the store when it changed since the last build.

        This process's writes are seen at once; another process's ingest within refresh_s.
        While one thread rebuilds, the others keep searching the previous index.
        """
        index = self._index
        now = time.monotonic()
        stale = self.store.local_writes != self._built_at[0]
        if index is not None and not stale and now - self._checked < self.refresh_s:
            return index
        if not self._lock.acquire(blocking=index is None):
            return index  # type: ignore[return-value] # a rebuild is under way
        try:
            self._checked = now
            revision = self.store.revision()
            mark = (self.store.local_writes, revision)
            if self._index is None or mark != self._built_at:
                # The mark is read before the texts: a write landing during the read changes
                # the mark again, and the next search rebuilds.
                self._index = LexicalIndex(self.store.texts())
                self._built_at = mark
            return self._index
        finally:
            self._lock.release()

    def _embed(self, query: str) -> list[float]:
        return self.embedder.embed_query(query)

    def search(self, query: str, k: int | None = None) -> list[Passage]:
        """Top-k passages, best first, with near-identical texts removed."""
        k = k or self.k
        vector = self._embed(query)
        if self.mode == "dense":
            found = self.store.query(vector, k * 3)
        else:
            found = self._hybrid(query, vector, k)
        if not found and self.store.count() == 0:
            raise EmptyStoreError(
                "The knowledge library is empty.", "Run `assistant ingest` to add texts first."
            )
        hits = _distinct(found)
        if self.mode == "hybrid":
            hits = cap_per_source(
                hits, lambda h: str(h.document.metadata.get("source", "")), self.per_source_cap, k
            )
        return [_passage(hit) for hit in hits[:k]]

    def _hybrid(self, query: str, vector: Sequence[float], k: int) -> list[StoredChunk]:
        depth = max(CANDIDATES, k * 3)
        order = reciprocal_rank_fusion(
            [
                self.store.nearest(vector, depth),
                [cid for cid, _ in self.lexical_index().search(query, depth)],
            ]
        )
        # One read for the window, vectors included: every passage, whichever list found it,
        # is scored by the same cosine similarity, so a relevance threshold means one thing.
        fused = self.store.scored(order[: max(WINDOW, k)], vector)
        return supporting_last(
            fused,
            lambda h: str(h.document.metadata.get("source", "")),
            lambda h: h.score >= self.min_relevance,
            self.supporting,
        )
