"""Fit the confidence the coach shows: the temperature and the two fixed confidences of forced
verdicts, on scenario sets already read (never on the set that is to judge the result).

    .venv/bin/python eval/fit_temperature.py [SET.jsonl ...]

Default: every `eval/scenarios_*.jsonl` but the veiled set (which judged session 32's fit) and
the asked set (kept unread). The temperature minimises the log-loss of the shown confidence as
a forecast of being right (1.0-6.0, coarse then in steps of 0.1); each fixed confidence is the
share right of the verdicts whose shown confidence it sets, rounded to 0.05. The model's reads
are cached per text, so each temperature costs only the arithmetic.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import assistant.assessment as assessment
from assistant.assessment import load_bank
from assistant.backends import make_embeddings
from assistant.config import load_settings
from assistant.evaluation import calibration
from assistant.wiring import build_assessor, build_composer, link_stage

ROOT = Path(__file__).resolve().parents[1]
HELD_BACK = {"scenarios_veiled", "scenarios_asked"}


def _memo(read: Callable[[list[str]], list[Any]]) -> Callable[[list[str]], list[Any]]:
    seen: dict[str, Any] = {}

    def cached(texts: list[str]) -> list[Any]:
        missing = [t for t in texts if t not in seen]
        if missing:
            seen.update(zip(missing, read(missing), strict=True))
        return [seen[t] for t in texts]

    return cached


def _memo_one(read: Callable[[str], Any]) -> Callable[[str], Any]:
    seen: dict[str, Any] = {}

    def cached(text: str) -> Any:
        if text not in seen:
            seen[text] = read(text)
        return seen[text]

    return cached


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or [
        p for p in sorted((ROOT / "eval").glob("scenarios_*.jsonl")) if p.stem not in HELD_BACK
    ]
    rows = [(str(r["scenario"]), str(r["label"])) for p in paths for r in load_bank(p)]
    settings = load_settings()
    assessor = build_assessor(settings)
    link_stage(assessor, build_composer(settings, make_embeddings(settings), assessor))
    assert assessor.model is not None, "fit with the trained verdict model"
    assessor.model.probabilities = _memo(assessor.model.probabilities)  # type: ignore[method-assign]
    if assessor.factors:
        assessor.factors.factor_probabilities = _memo(assessor.factors.factor_probabilities)  # type: ignore[method-assign]
    if assessor.words:
        assessor.words.probabilities = _memo(assessor.words.probabilities)  # type: ignore[method-assign]
    if assessor.harm:
        assessor.harm.read = _memo_one(assessor.harm.read)  # type: ignore[method-assign]
    if assessor.stage is not None:
        assessor.stage = _memo_one(assessor.stage)

    def shown(temperature: float, harm: float, rule: float) -> list[tuple[bool, float]]:
        assessor.temperature = temperature
        assessment.HARM_FORCED_CONFIDENCE, assessment.RULE_CONFIDENCE = harm, rule
        read = [(assessor.assess(text), label) for text, label in rows]
        return [(a.verdict == label, a.confidence) for a, label in read]

    base = shown(assessment.TEMPERATURE, 0.9, 0.7)
    # A fixed confidence sets what is shown where raising it changes what is shown.
    raised_harm = shown(assessment.TEMPERATURE, 0.999, 0.7)
    raised_rule = shown(assessment.TEMPERATURE, 0.9, 0.999)
    by_harm = [b[1] != h[1] for b, h in zip(base, raised_harm, strict=True)]
    by_rule = [b[1] != r[1] for b, r in zip(base, raised_rule, strict=True)]

    def share_right(forced: list[bool]) -> float:
        right = [b[0] for b, f in zip(base, forced, strict=True) if f]
        return round(round(sum(right) / len(right) / 0.05) * 0.05, 2) if right else 0.75

    harm, rule = share_right(by_harm), share_right(by_rule)

    def loss(temperature: float) -> float:
        forecasts = shown(temperature, harm, rule)
        return -sum(
            math.log(min(max(c if ok else 1 - c, 1e-3), 1 - 1e-3)) for ok, c in forecasts
        ) / len(forecasts)

    coarse = min((1.0 + 0.5 * i for i in range(11)), key=loss)
    best = min(
        (round(coarse + 0.1 * d, 1) for d in range(-4, 5) if coarse + 0.1 * d >= 1.0), key=loss
    )
    final = shown(best, harm, rule)
    cal = calibration(
        ["y" if ok else "n" for ok, _ in final], ["y"] * len(final), [c for _, c in final]
    )
    print(
        f"{len(rows)} scenarios from {len(paths)} sets: TEMPERATURE = {best}, "
        f"HARM_FORCED_CONFIDENCE = {harm} ({sum(by_harm)} shown by it), "
        f"RULE_CONFIDENCE = {rule} ({sum(by_rule)} shown by it); pooled ECE {cal['ece']}, "
        f"wrong with confidence >= 0.8: {cal['confident_wrong_share']}"
    )


if __name__ == "__main__":
    main()
