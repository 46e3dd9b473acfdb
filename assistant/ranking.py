"""Ordering candidates: reciprocal rank fusion, supporting sources last, a per-document cap."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from fnmatch import fnmatch
from typing import TypeVar

__all__ = ["cap_per_source", "reciprocal_rank_fusion", "supporting_last"]

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

# Cormack, Clarke and Buettcher (2009) use 60: a hit's weight falls slowly with its rank, so
# agreement between lists counts for more than a first place in one. Over this library's
# 900-character chunks a first place in one list is worth more than that: 20 (with three
# passages per document) was chosen on the tuning question set alone (hit@5 0.625 -> 0.688,
# docs/decisions-session21.md), then read once on the two blind sets (0.517 -> 0.550,
# 0.483 -> 0.517).
RRF_K = 20


def reciprocal_rank_fusion(rankings: Sequence[Sequence[K]], k: int = RRF_K) -> list[K]:
    """Items of several best-first rankings, ordered by the sum of 1 / (k + rank).

    Written here rather than taken from LangChain: its EnsembleRetriever lives in
    langchain-classic and runs whole retrievers; this needs only the arithmetic on ids.
    """
    scores: dict[K, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    # Ties keep the order of first appearance (dense results first), so the result is stable.
    return sorted(scores, key=lambda item: -scores[item])


def supporting_last(
    items: Sequence[T],
    source: Callable[[T], str],
    relevant: Callable[[T], bool],
    patterns: Sequence[str],
) -> list[T]:
    """Relevant items from primary sources, then relevant ones from supporting sources
    (paths matching `patterns`), then the rest, each group in its given order."""

    def supporting(item: T) -> bool:
        path = source(item).replace("\\", "/")
        return any(fnmatch(path, p) for p in patterns)

    first = [i for i in items if relevant(i) and not supporting(i)]
    second = [i for i in items if relevant(i) and supporting(i)]
    return first + second + [i for i in items if not relevant(i)]


def cap_per_source(items: Sequence[T], source: Callable[[T], str], cap: int, k: int) -> list[T]:
    """The first k items with at most `cap` from any one source, in order; when fewer than
    k qualify, the held-back items fill the rest (still in order).

    Greedy in rank order, so the first n of a longer list are the list for n.
    """
    kept: list[T] = []
    held: list[T] = []
    per: dict[str, int] = {}
    for item in items:
        key = source(item)
        if per.get(key, 0) < cap:
            per[key] = per.get(key, 0) + 1
            kept.append(item)
        else:
            held.append(item)
        if len(kept) == k:
            return kept
    return kept + held[: k - len(kept)]
