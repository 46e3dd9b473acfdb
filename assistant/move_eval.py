"""Whether the moves an answer recommends fit its situation, against a reader's labels.

A labelled row carries `good` (playbook move ids a coach would be glad to see for this
scenario) and `wrong` (moves that look related on the surface but would be wrong advice).
Labels were written by a reader who saw the playbook and the scenarios, never the composer's
choices (see "Choosing moves" in the README).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.assessment import Assessment
    from assistant.composer import Composer

__all__ = ["has_move_labels", "move_relevance"]


def has_move_labels(rows: Sequence[dict[str, Any]]) -> bool:
    """Whether a scenario file carries labelled moves."""
    return bool(rows) and all("good" in r for r in rows)


def move_relevance(
    rows: Sequence[dict[str, Any]],
    composer: Composer,
    assess: Callable[[str], Assessment],
    gold_verdict: bool = False,
) -> dict[str, Any]:
    """Precision of the chosen moves (share a reader marked good), the share marked wrong,
    and how many answers had every move good; with `gold_verdict`, moves are chosen for the
    labelled verdict, which separates choosing moves from deciding the verdict."""
    chosen = good = wrong = all_good = first_good = 0
    misses: list[dict[str, Any]] = []
    for row in rows:
        assessment = assess(str(row["scenario"]))
        if gold_verdict:
            assessment = replace(assessment, verdict=str(row["label"]))
        plan = composer.compose(str(row["scenario"]), assessment)
        ids = [m.id for m in plan.moves]
        fitting = [i in set(row["good"]) for i in ids]
        chosen += len(ids)
        good += sum(fitting)
        wrong += sum(i in set(row.get("wrong", ())) for i in ids)
        all_good += all(fitting) and bool(ids)
        first_good += bool(fitting) and fitting[0]
        if not all(fitting):
            bad = [i for i, ok in zip(ids, fitting, strict=True) if not ok]
            misses.append({"scenario": str(row["scenario"])[:90], "not_good": bad})
    n = len(rows)
    return {
        "n": n,
        "precision": round(good / chosen, 4) if chosen else 0.0,
        "wrong_rate": round(wrong / chosen, 4) if chosen else 0.0,
        "all_moves_good": round(all_good / n, 4) if n else 0.0,
        "first_move_good": round(first_good / n, 4) if n else 0.0,
        "moves_per_answer": round(chosen / n, 2) if n else 0.0,
        "misses": misses,
    }
