"""Scoring verdicts against labelled scenarios: accuracy, macro-F1, confusion, bias, report."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.assessment import LABELS, Assessor

__all__ = [
    "SCALE",
    "chat_only_predictor",
    "evaluate",
    "majority_predictor",
    "score",
    "signal_report",
    "write_report",
]

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
        if tp + fn > 0 or fp > 0:
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


def signal_report(rows: Sequence[dict[str, Any]], assessor: Assessor) -> dict[str, Any]:
    """Per signal: how often it fired, and how often its direction matched the label."""
    fired: Counter[str] = Counter()
    agreed: Counter[str] = Counter()
    for row in rows:
        for signal in assessor.assess(str(row["scenario"])).signals:
            key = f"{signal.name}->{signal.direction}"
            fired[key] += 1
            agreed[key] += signal.direction == row["label"]
    return {
        key: {"fired": fired[key], "agrees_with_label": round(agreed[key] / fired[key], 3)}
        for key in sorted(fired)
    }


def majority_predictor(rows: Sequence[dict[str, Any]]) -> Callable[[str], str]:
    """Always predicts the most common label of `rows` (a baseline)."""
    common = Counter(str(r["label"]) for r in rows).most_common(1)[0][0]
    return lambda _scenario: common


def chat_only_predictor(chat: BaseChatModel) -> Callable[[str], str]:
    """Asks the chat model alone for the verdict (a baseline; unparseable means balanced)."""
    system = (
        "You advise leaders. Read the situation and answer with exactly one of: "
        "step_in, step_back, balanced."
    )

    def predict(scenario: str) -> str:
        reply = chat.invoke([SystemMessage(system), HumanMessage(scenario)])
        text = str(reply.content).lower().replace(" ", "_").replace("-", "_")
        found = re.search(r"step_in|step_back|balanced", text)
        return found.group(0) if found else "balanced"

    return predict


def write_report(folder: Path, results: dict[str, Any]) -> Path:
    """results.json, confusion.png and report.md in `folder`; returns the Markdown path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(results, indent=2))
    main = results["coach"]
    grid = [[main["confusion"][t][p] for p in LABELS] for t in LABELS]
    fig, ax = plt.subplots(figsize=(4.6, 4))
    ax.imshow(grid, cmap="Blues")
    ax.set_xticks(range(3), LABELS)
    ax.set_yticks(range(3), LABELS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("expert label")
    ax.set_title(f"accuracy {main['accuracy']:.2f}, bias {main['bias']:+.2f}")
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            ax.text(j, i, str(value), ha="center", va="center")
    fig.tight_layout()
    fig.savefig(folder / "confusion.png", dpi=120)
    plt.close(fig)
    lines = [
        "# Verdict evaluation",
        "",
        "| predictor | n | accuracy | macro-F1 | bias |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, r in results.items():
        if isinstance(r, dict) and "accuracy" in r:
            lines.append(
                f"| {name} | {r['n']} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | "
                f"{r['bias']:+.3f} |"
            )
    lines += [
        "",
        "![confusion](confusion.png)",
        "",
        "## Signals",
        "",
        "| signal | fired | agrees with label |",
        "| --- | --- | --- |",
    ]
    for key, s in results.get("signals", {}).items():
        lines.append(f"| {key} | {s['fired']} | {s['agrees_with_label']:.2f} |")
    if "quality" in main:
        lines += ["", "## The answers people read", "", "| measure | value |", "| --- | --- |"]
        lines += [f"| {key} | {value} |" for key, value in main["quality"].items()]
    path = folder / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path
