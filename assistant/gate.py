"""The quality gate: generated words reach a person only when they pass every check.

The thresholds were set on the labelled generations in `eval/generations/` (SmolLM2 as it
runs here, plus answers written by hand to the same prompts); `assistant eval-gate` reports
precision and recall on that set's held-out half.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.quality import (
    content_words,
    contradicts,
    echoes,
    novelty,
    repeated_ngram_ratio,
)

__all__ = ["GateResult", "GateThresholds", "QualityGate"]


@dataclass(frozen=True)
class GateThresholds:
    """Limits a generation must stay within.

    Chosen by `assistant eval-gate eval/generations/labelled.jsonl --calibrate`: the best
    recall with precision >= 0.97 on the calibration split, the middle of the tied values.
    """

    max_repeat: float = 0.04
    max_novelty: float = 0.3
    min_overlap: int = 4
    min_words: int = 15
    max_words: int = 160


@dataclass(frozen=True)
class GateResult:
    """Whether a text passed, and every reason it did not."""

    passed: bool
    reasons: list[str] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)
    text: str = ""


class QualityGate:
    """Checks generated text against the plan it was asked to rewrite."""

    def __init__(self, thresholds: GateThresholds | None = None) -> None:
        self.thresholds = thresholds or GateThresholds()

    @staticmethod
    def features(text: str, support: str, prompt_lines: Sequence[str] = ()) -> dict[str, float]:
        """The measured properties the decision rests on."""
        words = text.split()
        scenario_plan = set(content_words(support))
        return {
            "words": float(len(words)),
            "repeat": round(repeated_ngram_ratio(text), 4),
            "novelty": round(novelty(text, support), 4),
            "overlap": float(len(set(content_words(text)) & scenario_plan)),
            "echo": float(len(echoes(text, prompt_lines))),
        }

    def check(
        self,
        text: str,
        support: str,
        verdict: str | None,
        prompt_lines: Sequence[str] = (),
    ) -> GateResult:
        """Pass only text that is not looping, not echoing, on topic, supported and consistent."""
        f = self.features(text, support, prompt_lines)
        f["contrary"] = float(contradicts(text, verdict))
        reasons = self.decide(f)
        return GateResult(not reasons, reasons, f, text)

    def decide(self, f: dict[str, float]) -> list[str]:
        """Every limit the measured features break (none: the text may be shown)."""
        t = self.thresholds
        reasons = []
        if f["words"] < t.min_words or f["words"] > t.max_words:
            reasons.append(f"length {int(f['words'])} words")
        if f["repeat"] > t.max_repeat:
            reasons.append(f"repetition {f['repeat']:.2f}")
        if f["echo"]:
            reasons.append("echoes the prompt")
        if f["overlap"] < t.min_overlap:
            reasons.append("off topic")
        if f["novelty"] > t.max_novelty:
            reasons.append(f"unsupported content {f['novelty']:.2f}")
        if f.get("contrary"):
            reasons.append("argues against the verdict")
        return reasons
