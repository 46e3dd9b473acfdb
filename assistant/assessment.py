"""The verdict: explicit signals combined with a classifier over sentence embeddings."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from assistant.signals import Signal, detect_signals

__all__ = ["BANK_PATH", "LABELS", "Assessment", "Assessor", "ProbabilityModel", "load_bank"]

LABELS = ("step_back", "balanced", "step_in")
BANK_PATH = Path(__file__).parent / "scenarios" / "scenarios_train.jsonl"
# How much each explicit signal moves the trained model's log-odds. Requests for help and
# harm happening now are reliable on the development split; the rest mostly explain.
SIGNAL_WEIGHT = {"help_request": 1.0, "urgency": 1.0}
OTHER_SIGNAL_WEIGHT = 0.3
# A missed intervention costs more than an unneeded check-in, and the trained model
# under-calls step_in; this log-odds shift was set on the development split.
STEP_IN_PRIOR = 1.0


class ProbabilityModel(Protocol):
    """Anything that scores scenarios over the three verdicts."""

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]: ...


@dataclass(frozen=True)
class Assessment:
    """A decided verdict and what drove it."""

    verdict: str
    confidence: float
    signals: list[Signal]
    probabilities: dict[str, float]
    clarifying_question: str | None = None
    notes: list[str] = field(default_factory=list)


def load_bank(path: Path) -> list[dict[str, Any]]:
    """Read a JSONL scenario bank with `scenario` and `label` on each line."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("label") in LABELS:
                rows.append(row)
    return rows


def _softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


class Assessor:
    """Decides step_in / step_back / balanced without relying on the chat model."""

    def __init__(self, model: ProbabilityModel | None = None) -> None:
        self.model = model

    def warm_up(self) -> None:
        """Load the model and build its trace now, not on the first user's request."""
        self.assess("warm up")

    def assess(self, scenario: str) -> Assessment:
        """The verdict, its confidence and the signals behind it."""
        signals = detect_signals(scenario)
        signal_scores = {label: 0.0 for label in LABELS}
        for s in signals:
            signal_scores[s.direction] += s.weight * SIGNAL_WEIGHT.get(s.name, OTHER_SIGNAL_WEIGHT)
        if self.model:
            probs = self.model.probabilities([scenario])[0]
            logits = [
                math.log(max(probs.get(label, 1e-6), 1e-6))
                + signal_scores[label]
                + (STEP_IN_PRIOR if label == "step_in" else 0.0)
                for label in LABELS
            ]
        else:
            # Signals alone: lean to the middle, so the evidence has to earn an extreme.
            raw = {label: 0.0 for label in LABELS}
            for s in signals:
                raw[s.direction] += s.weight
            logits = [raw[label] + (0.5 if label == "balanced" else 0.0) for label in LABELS]
        final = dict(zip(LABELS, _softmax(logits), strict=True))
        verdict = max(final, key=lambda k: final[k])
        notes: list[str] = []
        integrity = [s for s in signals if s.name == "integrity"]
        if integrity and verdict != "step_in":
            verdict = "step_in"
            notes.append("A safety, legal, ethical or dignity issue overrides autonomy.")
        confidence = final[verdict] if not integrity else max(final["step_in"], 0.8)
        question = _clarifying_question(scenario, signals, final)
        if question:
            confidence = min(confidence, 0.5)
        return Assessment(
            verdict=verdict,
            confidence=round(confidence, 2),
            signals=signals,
            probabilities={k: round(v, 3) for k, v in final.items()},
            clarifying_question=question,
            notes=notes,
        )


_EXPERIENCE = re.compile(
    r"\b(experienc\w*|new|junior|senior|veteran|seasoned|rookie|intern|trainee|apprentice|"
    r"first[- ](time|week|month|year)|\d+ (years|months)|years|capable|competent|skilled|"
    r"expert|track record|done (this|it) before|never (done|led|run|handled)|graduate|"
    r"novice|newly|recently (hired|promoted|joined)|just (joined|started|promoted)|"
    r"trust(ed)?|reliable|struggl\w*|strong|star|best)\b",
    re.I,
)
_STAKES = re.compile(
    r"\b(client|customer|patient|revenue|budget|cost|money|\$|£|€|deadline|launch|board|"
    r"contract|risk\w*|safety|legal|regulat\w*|audit|reputation|press|public|irreversible|"
    r"undo|roll ?back|reversible|routine|minor|small|low[- ]stakes|high[- ]stakes|critical|"
    r"biggest|largest|important|visible|visibility|deal|renewal|outage|harm|injur\w*|"
    r"data|lawsuit|fine|million|thousand|job|jobs|career|investor\w*|ceo|executive\w*)\b",
    re.I,
)


def _clarifying_question(
    scenario: str, signals: list[Signal], probabilities: dict[str, float]
) -> str | None:
    """One question when the decision hinges on facts the scenario does not give."""
    names = {s.name for s in signals}
    if names & {"integrity", "urgency"} or max(probabilities.values()) >= 0.6:
        return None
    knows_experience = bool(_EXPERIENCE.search(scenario)) or bool(
        names & {"competence", "help_request"}
    )
    knows_stakes = bool(_STAKES.search(scenario)) or "stakes" in names
    if not knows_experience and not knows_stakes:
        return (
            "Before I commit: how experienced is the person with this kind of situation, "
            "and what happens if it goes wrong?"
        )
    if not knows_experience:
        return "How experienced is the person who owns this, and have they handled one before?"
    if not knows_stakes:
        return "What is at stake if this goes wrong, and could it be undone?"
    return None
