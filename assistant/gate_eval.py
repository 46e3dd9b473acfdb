"""The gate measured on labelled generations: precision and recall, and how its limits were set."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from assistant.gate import GateThresholds, QualityGate
from assistant.prompts import rewrite_prompt_lines

__all__ = ["calibrate", "gate_scores", "load_labelled"]


def load_labelled(path: Path) -> list[dict[str, Any]]:
    """Labelled generations: text, support, verdict, label (good | bad), split."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if r.get("label") in ("good", "bad")]


def _features(rows: Sequence[dict[str, Any]]) -> list[dict[str, float]]:
    gate = QualityGate()
    return [
        gate.check(
            str(r["text"]), str(r["support"]), r.get("verdict"), rewrite_prompt_lines()
        ).features
        for r in rows
    ]


def gate_scores(
    rows: Sequence[dict[str, Any]],
    gate: QualityGate,
    features: Sequence[dict[str, float]] | None = None,
) -> dict[str, Any]:
    """Precision (of what passes, the share labelled good), recall (of the good, the share
    passed) and the confusion counts."""
    tp = fp = fn = tn = 0
    let_through: list[str] = []
    features = features or _features(rows)
    for row, f in zip(rows, features, strict=True):
        passed = not gate.decide(f)
        good = row["label"] == "good"
        tp += passed and good
        fp += passed and not good
        fn += (not passed) and good
        tn += (not passed) and not good
        if passed and not good:
            let_through.append(str(row.get("id", "")))
    return {
        "n": len(rows),
        "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
        "passed_good": tp,
        "passed_bad": fp,
        "withheld_good": fn,
        "withheld_bad": tn,
        "bad_let_through": let_through,
    }


def calibrate(rows: Sequence[dict[str, Any]], min_precision: float = 0.97) -> GateThresholds:
    """The limits with the best recall whose precision on `rows` is at least min_precision.

    Many limits tie; for each limit the middle of its tied values is taken (neither the
    strictest, which would refuse a capable model's ordinary repetition, nor the loosest),
    provided that combination still ties.
    """
    features = _features(rows)
    grid = itertools.product(
        (0.0, 0.02, 0.04, 0.06, 0.08, 0.1),  # repetition
        (0.2, 0.25, 0.3, 0.35, 0.4, 0.45),  # novelty
        (2, 4, 6),  # overlap
        (15, 25),  # min words
        (120, 160, 220),  # max words
    )
    scored = []
    for values in grid:
        scores = gate_scores(rows, QualityGate(GateThresholds(*values)), features)
        if scores["precision"] >= min_precision:
            scored.append((scores["recall"], values))
    if not scored:
        return GateThresholds()
    best = max(recall for recall, _ in scored)
    ties = [values for recall, values in scored if recall == best]
    middle = tuple(
        sorted({t[k] for t in ties})[(len({t[k] for t in ties}) - 1) // 2] for k in range(5)
    )
    return GateThresholds(*(middle if middle in ties else ties[0]))


def describe(limits: GateThresholds) -> dict[str, Any]:
    """The limits as JSON."""
    return asdict(limits)
