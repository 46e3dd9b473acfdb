"""Scoring verdicts against labelled scenarios: accuracy, macro-F1, confusion, bias."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from assistant.assessment import LABELS

__all__ = ["SCALE", "score"]

SCALE = {"step_back": 0, "balanced": 1, "step_in": 2}


def score(labels: Sequence[str], predictions: Sequence[str]) -> dict[str, Any]:
    """Metrics of DESIGN.md; confusion is {true_label: {predicted_label: count}}."""
    n = len(labels)
    confusion = {t: {p: 0 for p in LABELS} for t in LABELS}
    for t, p in zip(labels, predictions, strict=True):
        confusion[t][p] += 1
    correct = sum(confusion[t][t] for t in LABELS)
    f1s = []
    for label in LABELS:
        tp = confusion[label][label]
        fp = sum(confusion[t][label] for t in LABELS if t != label)
        fn = sum(confusion[label][p] for p in LABELS if p != label)
        present = tp + fn > 0 or fp > 0
        if present:
            denom = 2 * tp + fp + fn
            f1s.append(2 * tp / denom if denom else 0.0)
    bias = sum(SCALE[p] - SCALE[t] for t, p in zip(labels, predictions, strict=True))
    return {
        "n": n,
        "accuracy": round(correct / n, 4) if n else 0.0,
        "macro_f1": round(sum(f1s) / len(f1s), 4) if f1s else 0.0,
        "confusion": confusion,
        "bias": round(bias / n, 4) if n else 0.0,
    }


def evaluate(rows: Sequence[dict[str, Any]], predict: Callable[[str], str]) -> dict[str, Any]:
    """Run `predict` on every scenario and score it."""
    labels = [str(r["label"]) for r in rows]
    predictions = [predict(str(r["scenario"])) for r in rows]
    return score(labels, predictions)
