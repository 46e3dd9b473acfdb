"""The BM25 index of the store's texts: the only module that imports bm25s."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

__all__ = ["LexicalIndex"]

# bm25s logs a notice for every query with no known word; those are ordinary here.
logging.getLogger("bm25s").setLevel(logging.WARNING)


def _stemmer() -> Any:
    import Stemmer  # PyStemmer: "delegating" and "delegation" meet at one stem

    return Stemmer.Stemmer("english")


class LexicalIndex:
    """BM25 over each chunk's title and text, held in memory and rebuilt from the store.

    Built from what Chroma holds, never kept beside it: there is no second copy on disk to
    fall out of step when an ingest is killed, and every process (and every replica of a
    Chroma server) derives the same index from the same collection.
    """

    def __init__(self, chunks: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
        import bm25s

        self.ids: list[str] = []
        corpus: list[str] = []
        for cid, text, meta in chunks:
            self.ids.append(cid)
            # The title is a field of every chunk: a question naming a document's subject
            # finds its passages even when the passage itself uses other words.
            corpus.append(f"{(meta or {}).get('title', '')}\n{text}")
        self._stemmer = _stemmer()
        self._bm25 = bm25s.BM25()
        if corpus:
            tokens = bm25s.tokenize(
                corpus, stopwords="en", stemmer=self._stemmer, show_progress=False
            )
            self._bm25.index(tokens, show_progress=False)

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Up to k (chunk id, BM25 score) pairs, best first; only chunks sharing a word."""
        import bm25s

        if not self.ids or k <= 0:
            return []
        words = bm25s.tokenize(
            [query], stopwords="en", stemmer=self._stemmer, show_progress=False, return_ids=False
        )[0]
        known = [w for w in words if w in self._bm25.vocab_dict]
        if not known:
            return []
        found, scores = self._bm25.retrieve(
            [known], k=min(k, len(self.ids)), show_progress=False, n_threads=0
        )
        return [
            (self.ids[int(i)], float(s)) for i, s in zip(found[0], scores[0], strict=True) if s > 0
        ]
