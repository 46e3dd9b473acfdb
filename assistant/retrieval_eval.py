"""Retrieval quality of a question set: hit@1, hit@5 and MRR against the retriever."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError

__all__ = ["evaluate_retrieval", "load_questions", "rank_of_answer"]

# MRR counts an answer found this deep; below it the question scores 0.
MRR_DEPTH = 10


def _flat(text: str) -> str:
    # A needle is a verbatim span, but whoever wrote it never saw where chunks break lines.
    return " ".join(text.split()).casefold()


def load_questions(path: Path) -> list[dict[str, Any]]:
    """Rows with `question`, `source` and `needle` (a verbatim span of the answer)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise AssistantError(
            f"Cannot read the question set {path}: {exc.strerror}.", "Check the path."
        ) from None
    rows = [json.loads(line) for line in lines if line.strip()]
    bad = [i for i, r in enumerate(rows, 1) if not (r.get("question") and r.get("needle"))]
    if not rows or bad:
        raise AssistantError(
            f"{path}: {'no questions' if not rows else f'lines {bad} lack question or needle'}.",
            'Each line needs {"question", "source", "needle"}, the needle a verbatim span.',
        )
    return rows


def rank_of_answer(needle: str, texts: Sequence[str]) -> int | None:
    """1-based rank of the first text holding the needle, or None."""
    flat = _flat(needle)
    return next((i for i, t in enumerate(texts, 1) if flat in _flat(t)), None)


def evaluate_retrieval(
    rows: Sequence[dict[str, Any]], search: Callable[[str, int], Sequence[str]]
) -> dict[str, Any]:
    """hit@1, hit@5 and MRR (to depth 10); `search(question, k)` returns passage texts."""
    ranks = [rank_of_answer(r["needle"], search(r["question"], MRR_DEPTH)) for r in rows]
    n = len(rows)
    return {
        "n": n,
        "hit_at_1": round(sum(r == 1 for r in ranks) / n, 3),
        "hit_at_5": round(sum(r is not None and r <= 5 for r in ranks) / n, 3),
        "mrr": round(sum(1 / r for r in ranks if r) / n, 3),
        "missed_at_5": [
            row["question"] for row, r in zip(rows, ranks, strict=True) if r is None or r > 5
        ],
    }
