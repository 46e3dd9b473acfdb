"""Question plus recent history in, ranked and de-duplicated passages out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from assistant.backends import EmbeddingBackend, describe_failure
from assistant.documents import text_hash
from assistant.errors import EmptyStoreError
from assistant.store import ChunkStore

__all__ = ["Passage", "Retriever", "standalone_query"]

_FOLLOW_UP_START = re.compile(
    r"^(and|but|or|so|what if|what about|how about|then|also|if|even if|suppose|ok|okay)\b", re.I
)
_PRONOUN = re.compile(r"\b(she|he|they|them|her|him|his|it|that|this|those|these)\b", re.I)


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


def standalone_query(
    question: str, history: Sequence[dict[str, Any]] = (), max_chars: int = 4000
) -> str:
    """Rewrite a follow-up into a query that stands alone, using earlier user turns.

    A 135M chat model rewrites unreliably, so this is deterministic: a short question that
    opens like a follow-up or leans on pronouns carries the previous situation with it.
    The history is the client's word: turns over `max_chars` (which the coach would have
    refused) are ignored, and the whole query never exceeds `max_chars`.
    """
    question = question.strip()
    earlier = [str(m.get("content", "")) for m in history if m.get("role") == "user"]
    earlier = [e.strip() for e in earlier if e.strip() and len(e.strip()) <= max_chars]
    if not earlier:
        return question
    words = len(question.split())
    follow_up = words <= 20 and (
        _FOLLOW_UP_START.search(question) is not None or _PRONOUN.search(question) is not None
    )
    if not follow_up and words > 8:
        return question
    room = max_chars - len(question) - 1
    context = " ".join(earlier[-2:])
    if room <= 0:
        return question
    if len(context) > room:
        context = context[-room:].split(" ", 1)[-1]  # the most recent words, whole
    return f"{context} {question}"


class Retriever:
    """Embeds a query and returns the best distinct passages from the store."""

    def __init__(self, store: ChunkStore, embedder: EmbeddingBackend, k: int = 4) -> None:
        self.store = store
        self.embedder = embedder
        self.k = k

    def search(self, query: str, k: int | None = None) -> list[Passage]:
        """Top-k passages, best first, with near-identical texts removed."""
        k = k or self.k
        try:
            vector = self.embedder.embeddings.embed_query(query)
        except Exception as exc:  # noqa: BLE001 - reported with the fix, never with its text
            raise describe_failure(exc, "The embedding model") from None
        found = self.store.query(vector, k * 3)
        if not found and self.store.count() == 0:
            raise EmptyStoreError(
                "The knowledge library is empty.", "Run `assistant ingest` to add texts first."
            )
        passages: list[Passage] = []
        seen: set[str] = set()
        for hit in found:
            key = text_hash(" ".join(hit.document.page_content.lower().split()))
            if key in seen:
                continue
            seen.add(key)
            meta = hit.document.metadata
            passages.append(
                Passage(
                    chunk_id=str(hit.document.id),
                    source=str(meta.get("source", "")),
                    title=str(meta.get("title", "")),
                    text=hit.document.page_content,
                    score=hit.score,
                )
            )
            if len(passages) == k:
                break
        return passages
