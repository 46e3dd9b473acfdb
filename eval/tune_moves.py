"""Choose how the composer picks moves, on labelled choices only.

The ranker (assistant/move_ranker.py) learns from `assistant/scenarios/move_choices.jsonl`
(the holdout scenarios, labelled by a reader). Its regularisation, the redundancy penalty and
the bar for a fourth or fifth move are chosen here by 5-fold cross-validation on those
labels. The test set (`eval/moves_blind_words.jsonl`, labelled by another reader) is scored
only at the end, for the hand-set weights and the chosen ranker, and decides nothing.

    ASSISTANT_DATA_DIR=... .venv/bin/python eval/tune_moves.py
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from assistant.composer import ChoiceWeights, situation_kinds
from assistant.config import load_settings
from assistant.move_eval import move_relevance
from assistant.move_ranker import CHOICES_PATH, MoveRanker
from assistant.signals import detect_signals
from assistant.wiring import build_coach

TEST = Path("eval/moves_blind_words.jsonl")


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main() -> int:
    coach = build_coach(load_settings())
    composer = coach.composer
    fits_cache: dict[str, list] = {}
    original = composer.encoder_fits

    def cached_fits(scenario: str) -> list:
        if scenario not in fits_cache:
            fits_cache[scenario] = original(scenario)
        return fits_cache[scenario]

    composer.encoder_fits = cached_fits  # type: ignore[method-assign]
    assessments: dict[str, object] = {}

    def assess(scenario: str):  # noqa: ANN202
        if scenario not in assessments:
            assessments[scenario] = coach.assessor.assess(scenario)
        return assessments[scenario]

    def evidence_for(scenario: str):  # noqa: ANN202
        kinds, cue_kinds = situation_kinds(scenario, detect_signals(scenario))
        harmed = composer.harm_kinds(scenario, assess(scenario).harm)  # type: ignore[attr-defined]
        return composer.evidence(scenario, kinds, cue_kinds, harmed)

    tune = _rows(CHOICES_PATH)
    order = np.random.default_rng(0).permutation(len(tune))
    folds = [set(f.tolist()) for f in np.array_split(order, 5)]

    def cross_validated(c: float, weights: ChoiceWeights) -> tuple[float, float]:
        composer.weights = weights
        precision = first = 0.0
        for fold in folds:
            train = [r for i, r in enumerate(tune) if i not in fold]
            test = [r for i, r in enumerate(tune) if i in fold]
            composer.ranker = MoveRanker(composer.moves, c).fit(train, evidence_for)
            r = move_relevance(test, composer, assess, gold_verdict=True)
            precision += r["precision"] * len(test) / len(tune)
            first += r["first_move_good"] * len(test) / len(tune)
        return round(precision, 4), round(first, 4)

    best_c, best_w = 1.0, ChoiceWeights()
    best = cross_validated(best_c, best_w)
    print(f"start: cv precision {best[0]} first-move-good {best[1]}")
    for c in (0.1, 0.3, 3.0):
        result = cross_validated(c, best_w)
        print(f"C={c}: {result}")
        if result > best:
            best, best_c = result, c
    for name, values in (
        ("learnt_redundancy", [0.0, 0.15, 0.5]),
        ("keep_above", [0.2, 0.4, 0.5, 1.01]),
    ):
        for value in values:
            weights = replace(best_w, **{name: value})
            result = cross_validated(best_c, weights)
            print(f"C={best_c} {name}={value}: {result}")
            if result > best:
                best, best_w = result, weights
    print(f"chosen: C={best_c} {best_w} cv {best}")

    test = _rows(TEST) if TEST.is_file() else []
    for name in ("hand-set weights", "learnt ranker"):
        composer.weights = best_w
        composer.ranker = (
            MoveRanker(composer.moves, best_c).fit(tune, evidence_for)
            if name == "learnt ranker"
            else None
        )
        composer._choices = [] if name == "hand-set weights" else tune
        for gold in (True, False):
            r = move_relevance(test, composer, assess, gold_verdict=gold)
            figures = {k: v for k, v in r.items() if k != "misses"}
            print(f"test ({TEST.name}), {name}, labelled verdict={gold}: {figures}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
