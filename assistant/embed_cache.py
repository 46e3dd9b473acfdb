"""Document embeddings kept on disk, so a new store or a new clone re-embeds nothing it has
seen: keyed by the encoder's identity and the exact text.

LangChain's `CacheBackedEmbeddings` with a `LocalFileStore` would do the same, but in
LangChain 1.x both live in `langchain-classic` (not a dependency here, and it brings
SQLAlchemy), and `LocalFileStore.mset` writes each value in place with `write_bytes`: a
killed ingest leaves a truncated file that a later run reads back as a broken vector, and
two processes writing one key can be read half-written. One SQLite file gives atomic
transactions and safe concurrent writers for free, and reads 888 vectors in one query
rather than 888 file opens.

Only documents go through the cache: queries (and chat messages) are never written to disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sqlite3
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

from langchain_core.embeddings import Embeddings

__all__ = ["CachedEmbeddings", "cache_key"]

log = logging.getLogger(__name__)

_LOOKUP = 500  # keys per SELECT, well under SQLite's limit on bound parameters


def cache_key(encoder: str, text: str) -> str:
    """The cache's key for one text under one encoder: a new encoder never hits old rows."""
    return hashlib.sha256(f"{encoder}\0{text}".encode()).hexdigest()


def _pack(vector: list[float]) -> bytes:
    # float64, so a cached vector is exactly the one computed (no rounding on the way back).
    return struct.pack(f"<{len(vector)}d", *vector)


def _unpack(blob: bytes) -> list[float]:
    return list(struct.unpack(f"<{len(blob) // 8}d", blob))


class CachedEmbeddings(Embeddings):
    """Wraps an encoder (made only when a text misses the cache) with an on-disk cache of
    document vectors; `computed` counts the texts it had to encode."""

    def __init__(self, make: Callable[[], Embeddings], encoder: str, path: Path) -> None:
        self._make = make
        self._inner: Embeddings | None = None
        self.encoder = encoder
        self.path = path
        self.computed = 0
        self._broken = False

    @property
    def inner(self) -> Embeddings:
        """The real encoder, loaded on first need (a warm cache never loads it)."""
        if self._inner is None:
            self._inner = self._make()
        return self._inner

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Each writer waits for the others (timeout); a transaction killed half-way is rolled
        # back by SQLite, so no reader ever sees part of a vector.
        db = sqlite3.connect(self.path, timeout=60)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"
            )
            yield db
        finally:
            db.close()

    def _give_up(self, exc: sqlite3.Error) -> None:
        # A cache must never stop an ingest: without it, texts are simply encoded.
        if not self._broken:
            log.warning(
                "The embedding cache at %s cannot be used (%s); embedding without it. "
                "Delete the file to start a new cache.",
                self.path,
                exc,
            )
        self._broken = True

    def _read(self, keys: list[str]) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        if self._broken:
            return found
        try:
            with self._db() as db:
                for start in range(0, len(keys), _LOOKUP):
                    part = keys[start : start + _LOOKUP]
                    marks = ",".join("?" * len(part))
                    rows = db.execute(
                        f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part
                    )
                    found.update((key, _unpack(blob)) for key, blob in rows)
        except sqlite3.Error as exc:
            self._give_up(exc)
        return found

    def _write(self, rows: list[tuple[str, bytes]]) -> None:
        if self._broken or not rows:
            return
        try:
            with self._db() as db, db:  # one transaction: all of these rows or none
                db.executemany("INSERT OR IGNORE INTO vectors (key, vector) VALUES (?, ?)", rows)
        except sqlite3.Error as exc:
            self._give_up(exc)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Vectors for texts: cached ones read back, the rest encoded and then kept."""
        keys = [cache_key(self.encoder, t) for t in texts]
        found = self._read(sorted(set(keys)))
        missing = list({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
        if missing:
            vectors = self.inner.embed_documents([t for _, t in missing])
            self.computed += len(missing)
            fresh = {k: [float(x) for x in v] for (k, _), v in zip(missing, vectors, strict=True)}
            self._write([(k, _pack(v)) for k, v in fresh.items()])
            found.update(fresh)
        return [found[k] for k in keys]

    def embed_query(self, text: str) -> list[float]:
        """A query is encoded every time and never stored."""
        return self.inner.embed_query(text)
