"""Small learnt readers kept in the cache folder, keyed by everything they learnt from."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

__all__ = ["cached_fit"]

T = TypeVar("T")


def cached_fit(
    cache_dir: Path | None, prefix: str, recipe: Sequence[str], fit: Callable[[], T]
) -> T:
    """The object `fit` returns, read from `cache_dir` when one was saved for this recipe
    (the training rows, the encoders' names, the settings); written atomically otherwise."""
    key = hashlib.sha256("\n".join(recipe).encode()).hexdigest()[:16]
    cached = cache_dir / f"{prefix}-{key}.pkl" if cache_dir else None
    if cached is not None and cached.is_file():
        loaded: T = pickle.loads(cached.read_bytes())  # noqa: S301 - our own cache
        return loaded
    fitted = fit()
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".partial")
        partial.write_bytes(pickle.dumps(fitted))
        partial.replace(cached)
    return fitted
