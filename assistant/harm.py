"""The harm safety net: could someone be getting hurt, now, in this situation?

A component of its own, beside the verdict, so that its one job (very high recall on harm
described in plain words, few alarms on look-alikes that merely sound alarming) is trained,
tuned and measured on its own. The score comes from the verdict model's harm head (trained
on `scenarios/harm_train.jsonl`, harm and mirrored look-alikes, plus the bank's step_back
scenarios as no-harm); its two thresholds are set on the harm bank's held-out rows
(`"split": "dev"`), never on an evaluation set.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from assistant.clauses import introduces_the_leader
from assistant.facts import sentences

__all__ = [
    "HARM_BANK_PATH",
    "LIKELY_PRECISION",
    "HarmDetector",
    "HarmReading",
    "HarmScorer",
    "thresholds",
]

HARM_BANK_PATH = Path(__file__).parent / "scenarios" / "harm_train.jsonl"
# "possible" is set so that at least 95% of held-out harm scenarios score above it (a miss
# is the costly error, but a threshold set by the single weakest of 40 sat at 0.01 and read
# harm as possible in half the look-alikes and a quarter of the development split's
# step-back scenarios); "likely" is the lowest score at which at least 90% of held-out flags
# are harm.
LIKELY_PRECISION = 0.9
POSSIBLE_RECALL = 0.95
THRESHOLD_RULE = f"possible: {POSSIBLE_RECALL} of held-out harm x0.9; likely: {LIKELY_PRECISION}"

Level = Literal["none", "possible", "likely"]


class HarmScorer(Protocol):
    def harm_probabilities(self, texts: Sequence[str]) -> list[float]: ...


@dataclass(frozen=True)
class HarmReading:
    """How likely it is that someone is being harmed, and what that means for the verdict."""

    probability: float
    level: Level
    evidence: str | None = None  # the sentence that reads most like harm, as written


def thresholds(scores: Sequence[float], harmed: Sequence[bool]) -> tuple[float, float]:
    """(possible, likely) from scores of held-out scenarios with known harm."""
    harm_scores = sorted(s for s, h in zip(scores, harmed, strict=True) if h)
    if len(harm_scores) < 10 or len(harm_scores) == len(scores):
        raise ValueError("need at least 10 held-out harm scenarios and some look-alikes")
    # A margin below the held-out harm score that POSSIBLE_RECALL of them reach.
    possible = harm_scores[int(len(harm_scores) * (1 - POSSIBLE_RECALL))] * 0.9
    likely = 1.0
    for t in sorted({0.5, *(s for s in scores if s >= 0.5)}):
        flagged = [h for s, h in zip(scores, harmed, strict=True) if s >= t]
        if flagged and sum(flagged) / len(flagged) >= LIKELY_PRECISION:
            likely = t
            break
    return min(possible, likely), likely


class HarmDetector:
    """Turns the harm score of a scenario into a level the verdict must respect."""

    def __init__(self, scorer: HarmScorer, possible: float, likely: float) -> None:
        self.scorer = scorer
        self.possible = possible
        self.likely = likely

    def read(self, text: str) -> HarmReading:
        """P(harm) for one scenario and its level; when harm is possible, the sentence that
        shows it most (the whole is scored first, so a harmless scenario costs one pass)."""
        reading = self._reading(self.scorer.harm_probabilities([text])[0])
        parts = sentences(text)
        if reading.level == "none" or not parts:
            return reading
        if len(parts) == 1:
            return HarmReading(reading.probability, reading.level, parts[0])
        # The sentence whose removal lowers the reading most: read alone, a sentence loses
        # its context ("She came to me quietly." scored highest of a fraud report's three).
        without = [" ".join(p for j, p in enumerate(parts) if j != i) for i in range(len(parts))]
        scores = self.scorer.harm_probabilities(without)
        # The leader saying who they are is no evidence of harm, however it reads.
        told = [i for i, p in enumerate(parts) if not introduces_the_leader(p, text)]
        best = min(told or range(len(parts)), key=lambda i: scores[i])
        return HarmReading(reading.probability, reading.level, parts[best])

    def _reading(self, p: float) -> HarmReading:
        level: Level = (
            "likely" if p >= self.likely else "possible" if p >= self.possible else "none"
        )
        return HarmReading(round(p, 3), level)

    @classmethod
    def tuned(
        cls, scorer: HarmScorer, held_out: Sequence[dict[str, Any]], cache: Path
    ) -> HarmDetector:
        """Thresholds from the held-out rows, computed once and kept beside the model."""
        saved = json.loads(cache.read_text()) if cache.exists() else {}
        if saved.get("rule") == THRESHOLD_RULE:
            return cls(scorer, saved["possible"], saved["likely"])
        rows = [r for r in held_out if "harm" in r]
        scores = scorer.harm_probabilities([str(r["scenario"]) for r in rows])
        possible, likely = thresholds(scores, [bool(r["harm"]) for r in rows])
        tmp = cache.with_suffix(".partial")
        tmp.write_text(
            json.dumps(
                {
                    "possible": possible,
                    "likely": likely,
                    "held_out": len(rows),
                    "rule": THRESHOLD_RULE,
                }
            )
        )
        tmp.replace(cache)
        return cls(scorer, possible, likely)
