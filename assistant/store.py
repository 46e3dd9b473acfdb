"""The vector store: the only module that talks to Chroma."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from langchain_core.documents import Document

from assistant.errors import EmbeddingMismatchError, StoreError

__all__ = ["ChunkStore", "StoredChunk", "open_store", "probe_store"]

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as read back from the store, with its similarity to a query."""

    document: Document
    score: float


class ChunkStore:
    """A Chroma collection that knows which embedding model filled it."""

    def __init__(
        self,
        client: Any,
        collection: Any,
        location: str,
        local_dir: Path | None = None,
        min_free_mb: int = 64,
    ) -> None:
        self._client = client
        self._collection = collection
        self.location = location
        self.local_dir = local_dir
        self.min_free_mb = min_free_mb
        # Counts this process's writes, so an index derived from the store (the BM25 index)
        # knows at no cost that it is stale; other processes' writes are seen via revision().
        self.local_writes = 0

    def _ensure_space(self, payload_bytes: int) -> None:
        """Refuse a write the disk may not hold.

        Embedded Chroma does not fail when its disk fills: it blocks forever (seen here on a
        full tmpfs). So the store checks first. SQLite's WAL, the full-text index and the
        vector log hold each chunk several times over, hence the generous factor.
        """
        if self.local_dir is None:
            return
        free = shutil.disk_usage(self.local_dir).free
        needed = 10 * payload_bytes + self.min_free_mb * 2**20
        if free < needed:
            raise StoreError(
                f"The disk holding the store at {self.location} is nearly full: "
                f"{free / 2**20:.1f} MB free, this write needs about {needed / 2**20:.1f} MB "
                f"(ASSISTANT_MIN_FREE_MB={self.min_free_mb} of it kept spare). Nothing more "
                "was written; what is stored is intact.",
                "Free disk space or move ASSISTANT_DATA_DIR, then re-run `assistant ingest`.",
            )

    @property
    def collection(self) -> Any:
        """The Chroma collection itself: for measuring Chroma alone (the bench), not for use."""
        return self._collection

    @property
    def embedding_model(self) -> str | None:
        """Name of the embedding model recorded on the collection."""
        return (self._collection.metadata or {}).get("embedding_model")

    def count(self) -> int:
        """Number of chunks stored, counted by Chroma."""
        return int(self._collection.count())

    def check_model(self, model: str, dim: int) -> None:
        """Refuse to mix embeddings of different models or sizes in one collection."""
        meta = dict(self._collection.metadata or {})
        stored_model, stored_dim = meta.get("embedding_model"), meta.get("embedding_dim")
        if stored_model == model and stored_dim == dim:
            return
        if stored_model is None or self.count() == 0:
            meta.update({"embedding_model": model, "embedding_dim": dim})
            meta.pop("hnsw:space", None)  # Chroma refuses to change the distance afterwards.
            self._collection.modify(metadata=meta)
            return
        raise EmbeddingMismatchError(
            f"The store at {self.location} was built with embedding model '{stored_model}' "
            f"(dimension {stored_dim}), but '{model}' (dimension {dim}) is configured.",
            "Run `assistant ingest --rebuild` to re-embed everything with the new model, "
            "or set the embedding settings back to the old model.",
        )

    def sources(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Map each source to its stored chunk ids and their metadata."""
        result: dict[str, dict[str, dict[str, Any]]] = {}
        total = self.count()
        page = 5000
        for offset in range(0, total, page):
            got = self._collection.get(include=["metadatas"], limit=page, offset=offset)
            for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
                meta = dict(meta or {})
                result.setdefault(str(meta.get("source", "")), {})[cid] = meta
        return result

    def add(self, chunks: Sequence[Document], vectors: Sequence[Sequence[float]]) -> None:
        """Write chunks with their embeddings (upsert, so a retry never duplicates)."""
        if not chunks:
            return
        self._ensure_space(
            sum(len(c.page_content.encode()) + len(str(c.metadata)) for c in chunks)
            + sum(len(v) * 4 for v in vectors)
        )
        self._collection.upsert(
            ids=[str(c.id) for c in chunks],
            documents=[c.page_content for c in chunks],
            metadatas=[dict(c.metadata) for c in chunks],
            embeddings=[list(v) for v in vectors],
        )
        self.local_writes += 1

    def update_metadata(self, ids: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        """Refresh metadata of chunks whose text did not change."""
        if ids:
            self._ensure_space(sum(len(str(m)) for m in metadatas))
            self._collection.update(ids=list(ids), metadatas=[dict(m) for m in metadatas])
            self.local_writes += 1

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks by id."""
        if ids:
            self._ensure_space(sum(len(i) for i in ids))
            self._collection.delete(ids=list(ids))
            self.local_writes += 1

    def revision(self) -> str:
        """A mark that changes when an ingest run ends, read afresh from the store (server or
        disk), so every process sees another's ingest."""
        fresh = self._client.get_collection(self._collection.name)
        return str((fresh.metadata or {}).get("revision", ""))

    def mark_changed(self) -> None:
        """Tell every reader of the store that its contents may have changed.

        Called once per ingest run rather than per write (a metadata write each time would
        cost ingest speed); a run killed before it is followed by a re-run, which calls it.
        """
        meta = dict(self._collection.metadata or {})
        meta["revision"] = uuid.uuid4().hex
        meta.pop("hnsw:space", None)  # Chroma refuses to change the distance afterwards.
        self._collection.modify(metadata=meta)
        self.local_writes += 1

    def texts(self, page: int = 5000) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Every stored chunk's id, text and metadata, a page at a time."""
        offset = 0
        while True:
            got = self._collection.get(
                include=["documents", "metadatas"], limit=page, offset=offset
            )
            if not got["ids"]:
                return
            yield from zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False)
            offset += len(got["ids"])

    def scored(self, ids: Sequence[str], vector: Sequence[float]) -> list[StoredChunk]:
        """Chunks by id, in the order asked, each scored by cosine similarity to `vector`
        (for passages a query found by words, so their score means what a vector hit's
        does); unknown ids are skipped."""
        if not ids:
            return []
        import numpy as np

        got = self._collection.get(ids=list(ids), include=["documents", "metadatas", "embeddings"])
        query = np.asarray(vector, dtype=np.float32)
        query /= np.linalg.norm(query) or 1.0
        found = {}
        for cid, text, meta, emb in zip(
            got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=False
        ):
            emb = np.asarray(emb, dtype=np.float32)
            similarity = float(emb @ query) / (float(np.linalg.norm(emb)) or 1.0)
            doc = Document(id=cid, page_content=text or "", metadata=dict(meta or {}))
            found[cid] = StoredChunk(doc, round(similarity, 4))
        return [found[i] for i in ids if i in found]

    def get(self, ids: Sequence[str]) -> list[Document]:
        """Read chunks back by id, in the order asked; unknown ids are skipped."""
        if not ids:
            return []
        got = self._collection.get(ids=list(ids), include=["documents", "metadatas"])
        by_id = {
            cid: Document(id=cid, page_content=text or "", metadata=dict(meta or {}))
            for cid, text, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False
            )
        }
        return [by_id[i] for i in ids if i in by_id]

    def nearest(self, vector: Sequence[float], k: int) -> list[str]:
        """Ids of the k nearest chunks, best first, without reading their texts."""
        if k <= 0:
            return []
        got = self._collection.query(query_embeddings=[list(vector)], n_results=k, include=[])
        return [str(cid) for cid in got["ids"][0]]

    def query(self, vector: Sequence[float], k: int) -> list[StoredChunk]:
        """The k nearest chunks, best first, scored by cosine similarity."""
        if k <= 0:
            return []
        # No count() first: it costs a round trip per query. Chroma returns what it has.
        got = self._collection.query(
            query_embeddings=[list(vector)],
            n_results=k,
            include=["documents", "metadatas", "distances"],
        )
        results = []
        for cid, text, meta, dist in zip(
            got["ids"][0],
            got["documents"][0],
            got["metadatas"][0],
            got["distances"][0],
            strict=False,
        ):
            doc = Document(id=cid, page_content=text or "", metadata=dict(meta or {}))
            results.append(StoredChunk(doc, round(1.0 - float(dist), 4)))
        return results


def _client(data_dir: Path, chroma_url: str | None, token: str | None) -> tuple[Any, str]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if chroma_url:
            url = urlparse(chroma_url)
            headers = {"Authorization": f"Bearer {token}"} if token else None
            client = chromadb.HttpClient(
                host=url.hostname or "localhost",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                headers=headers,
                settings=chroma_settings,
            )
            client.heartbeat()
            return client, chroma_url
        data_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(data_dir), settings=chroma_settings), str(
            data_dir
        )
    except Exception as exc:  # Chroma raises many unrelated types for one cause.
        where = chroma_url or str(data_dir)
        raise StoreError(
            f"Cannot open the Chroma store at {where}: {type(exc).__name__}: {exc}".strip(),
            "Check that the server is running and reachable."
            if chroma_url
            else "If the folder is damaged, run `assistant ingest --rebuild`.",
        ) from None


def open_store(
    data_dir: Path,
    collection: str,
    chroma_url: str | None = None,
    token: str | None = None,
    rebuild: bool = False,
    min_free_mb: int = 64,
) -> ChunkStore:
    """Open (or create) the collection, embedded on disk or on a Chroma server."""
    if rebuild and not chroma_url:
        try:
            probe_store(data_dir, collection)
        except StoreError:
            _move_aside(data_dir)
    client, location = _client(data_dir, chroma_url, token)
    try:
        if rebuild:
            # An absent collection is fine: there is nothing to rebuild.
            with contextlib.suppress(Exception):
                client.delete_collection(collection)
        col = client.get_or_create_collection(
            collection, metadata={"hnsw:space": "cosine"}, embedding_function=None
        )
    except Exception as exc:  # noqa: BLE001
        raise StoreError(
            f"Cannot open collection '{collection}' at {location}: {exc}",
            "Run `assistant ingest --rebuild` to recreate it.",
        ) from None
    local_dir = None if chroma_url else data_dir
    return ChunkStore(client, col, location, local_dir, min_free_mb)


def _move_aside(data_dir: Path) -> Path:
    """Keep a damaged store for inspection instead of deleting it."""
    target = data_dir.with_name(f"{data_dir.name}.damaged-{int(time.time())}")
    data_dir.rename(target)
    return target


def probe_store(data_dir: Path, collection: str, timeout: float = 120) -> None:
    """Open the embedded store in a child process, so damage cannot crash this one.

    A corrupt SQLite file or index can abort the process that opens it; probing in a child
    turns that into a message with the recovery command.
    """
    if not data_dir.exists():
        return
    code = (
        "import sys; from pathlib import Path; from assistant.store import open_store; "
        f"print(open_store(Path({str(data_dir)!r}), {collection!r}).count())"
    )
    fix = "Run `assistant ingest --rebuild` (the damaged folder is kept beside the new one)."
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise StoreError(f"The store at {data_dir} did not open in {timeout:.0f} s.", fix) from None
    if done.returncode != 0:
        raise StoreError(f"The store at {data_dir} is damaged or unreadable.", fix)
