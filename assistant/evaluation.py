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
    "calibration",
    "chat_only_predictor",
    "evaluate",
    "evaluate_assessor",
    "harm_figures",
    "majority_predictor",
    "score",
    "signal_report",
    "write_report",
]

SCALE = {label: rank for rank, label in enumerate(LABELS)}  # step_back=0 .. step_in=2


def score(labels: Sequence[str], predictions: Sequence[str]) -> dict[str, Any]:
    """Metrics of `assistant eval` (README); confusion is {true_label: {predicted_label: count}}."""
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


# A wrong verdict shown with at least this confidence is the worst kind of mistake.
CONFIDENT = 0.8


def calibration(
    labels: Sequence[str], predictions: Sequence[str], confidences: Sequence[float], bins: int = 10
) -> dict[str, Any]:
    """Expected calibration error over equal-width bins, the reliability table behind it,
    and the share of the set that is wrong with confidence >= 0.8."""
    n = len(labels)
    right = [t == p for t, p in zip(labels, predictions, strict=True)]
    table, ece = [], 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        members = [i for i, c in enumerate(confidences) if (lo < c <= hi) or (b == 0 and c == 0.0)]
        if not members:
            continue
        accuracy = sum(right[i] for i in members) / len(members)
        mean_conf = sum(confidences[i] for i in members) / len(members)
        ece += len(members) / n * abs(accuracy - mean_conf)
        table.append(
            {
                "bin": [round(lo, 2), round(hi, 2)],
                "n": len(members),
                "accuracy": round(accuracy, 3),
                "mean_confidence": round(mean_conf, 3),
            }
        )
    confident_wrong = sum(
        1 for r, c in zip(right, confidences, strict=True) if c >= CONFIDENT and not r
    )
    return {
        "ece": round(ece, 4) if n else 0.0,
        "confident_wrong_share": round(confident_wrong / n, 4) if n else 0.0,
        "confident_wrong": confident_wrong,
        "reliability": table,
    }


def harm_figures(rows: Sequence[dict[str, Any]], predictions: Sequence[str]) -> dict[str, Any]:
    """For sets whose rows say whether someone may be harmed (`harm`): how the coach
    treats harm (never step_back; step_in recall) and its look-alikes (false alarms)."""
    harmed = [p for r, p in zip(rows, predictions, strict=True) if r.get("harm") is True]
    # A look-alike is a scenario without harm whose label is not step in: a set's other step
    # in situations (above the team's authority, say) are not false alarms.
    safe = [
        p
        for r, p in zip(rows, predictions, strict=True)
        if r.get("harm") is False and r.get("label") != "step_in"
    ]
    return {
        "harm_n": len(harmed),
        "step_back_on_harm": sum(p == "step_back" for p in harmed),
        "step_in_recall_on_harm": round(sum(p == "step_in" for p in harmed) / len(harmed), 4)
        if harmed
        else 0.0,
        "lookalike_n": len(safe),
        "false_alarm_on_lookalikes": round(sum(p == "step_in" for p in safe) / len(safe), 4)
        if safe
        else 0.0,
    }


def factor_figures(
    rows: Sequence[dict[str, Any]], read: Sequence[dict[str, str]]
) -> dict[str, dict[str, Any]]:
    """For sets whose rows label the verdict table's facts (`factors`): how often the
    factor heads read each one as the writer did, and how often a fact the writer left
    unstated is read as unknown (what the coach's questions rest on)."""
    figures: dict[str, dict[str, Any]] = {}
    names = sorted({name for r in rows for name in r.get("factors", {})})
    for name in names:
        pairs = [
            (str(r["factors"][name]), got.get(name))
            for r, got in zip(rows, read, strict=True)
            if name in r.get("factors", {}) and got
        ]
        if not pairs:
            continue
        unstated = [got for truth, got in pairs if truth == "unknown"]
        figures[name] = {
            "n": len(pairs),
            "accuracy": round(sum(t == g for t, g in pairs) / len(pairs), 4),
            "unknown_read_as_unknown": round(unstated.count("unknown") / len(unstated), 4)
            if unstated
            else None,
        }
    return figures


def evaluate(
    rows: Sequence[dict[str, Any]], predict: Callable[[str], str | tuple[str, float]]
) -> dict[str, Any]:
    """Run `predict` on every scenario and score it; a predictor that also returns its
    confidence gets calibration figures, and a set that marks harm gets harm figures."""
    labels = [str(r["label"]) for r in rows]
    outputs = [predict(str(r["scenario"])) for r in rows]
    predictions = [o[0] if isinstance(o, tuple) else o for o in outputs]
    result = score(labels, predictions)
    if outputs and all(isinstance(o, tuple) for o in outputs):
        confidences = [float(o[1]) for o in outputs if isinstance(o, tuple)]
        result["calibration"] = calibration(labels, predictions, confidences)
    if any("harm" in r for r in rows):
        result["harm"] = harm_figures(rows, predictions)
    return result


def evaluate_assessor(rows: Sequence[dict[str, Any]], assessor: Assessor) -> dict[str, Any]:
    """`evaluate` with the assessor's verdicts, and how its factor heads read the facts on a
    set that labels them."""
    read: dict[str, dict[str, str]] = {}

    def predict(scenario: str) -> tuple[str, float]:
        assessment = assessor.assess(scenario)
        read[scenario] = assessment.factors
        return assessment.verdict, assessment.confidence

    result = evaluate(rows, predict)
    if any("factors" in r for r in rows) and any(read.values()):
        result["factors"] = factor_figures(rows, [read[str(r["scenario"])] for r in rows])
    return result


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
    if "calibration" in main:
        _reliability_plot(folder / "reliability.png", main["calibration"])
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
    if "calibration" in main:
        cal = main["calibration"]
        lines += [
            "",
            "## Confidence",
            "",
            f"Expected calibration error {cal['ece']:.3f}; wrong with confidence >= "
            f"{CONFIDENT}: {cal['confident_wrong']} "
            f"({cal['confident_wrong_share']:.1%} of the set).",
            "",
            "![reliability](reliability.png)",
            "",
            "| confidence | n | accuracy | mean confidence |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {b['bin'][0]:.1f}-{b['bin'][1]:.1f} | {b['n']} | {b['accuracy']:.2f} | "
            f"{b['mean_confidence']:.2f} |"
            for b in cal["reliability"]
        ]
    if "harm" in main:
        lines += ["", "## Harm", "", "| measure | value |", "| --- | --- |"]
        lines += [f"| {key} | {value} |" for key, value in main["harm"].items()]
    if "factors" in main:
        lines += [
            "",
            "## The verdict table's facts, as the factor heads read them",
            "",
            "| factor | n | read as the writer labelled it | unstated, read as unknown |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {name} | {f['n']} | {f['accuracy']:.2f} | {f['unknown_read_as_unknown']} |"
            for name, f in main["factors"].items()
        ]
    if "quality" in main:
        lines += ["", "## The answers people read", "", "| measure | value |", "| --- | --- |"]
        lines += [f"| {key} | {value} |" for key, value in main["quality"].items()]
    path = folder / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def _reliability_plot(path: Path, cal: dict[str, Any]) -> None:
    import matplotlib.pyplot as plt

    table = cal["reliability"]
    fig, ax = plt.subplots(figsize=(4.6, 4))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    ax.bar(
        [(b["bin"][0] + b["bin"][1]) / 2 for b in table],
        [b["accuracy"] for b in table],
        width=0.09,
        alpha=0.7,
        label="accuracy",
    )
    for b in table:
        ax.text((b["bin"][0] + b["bin"][1]) / 2, b["accuracy"] + 0.02, str(b["n"]), ha="center")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.1)
    ax.set_xlabel("shown confidence")
    ax.set_ylabel("share right")
    ax.set_title(f"ECE {cal['ece']:.3f}, confident and wrong {cal['confident_wrong_share']:.1%}")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
