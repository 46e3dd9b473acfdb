"""Where a harm is in time: still going on, or already over; whether it has reached anyone; and
whether someone has already dealt with it.

The harm net says whether someone may be hurt, and harm_kinds.py how. Neither says when, and
the moves depend on it: "stop the work now" is for a hazard still live, "tell the people
affected" for a harm that has reached people. A
scaffold without its sign-off with a crew on it is live but has hurt nobody; a guest's
invoice emailed to another guest last week has reached someone and is over.

Three readings, each a probability: `ongoing` (something harmful is still happening and needs
stopping or making safe), `reached` (someone has already been hurt or affected) and `handled`
(someone responsible has already done what it called for: made it safe, looked after whoever
was affected, told whoever had to be told, put a fix in place). Each is a
logistic regression over the composer's encoders beside one over the words' tf-idf n-grams
(tense and time words - "yesterday", "is still", "right now" - are words), averaged; learnt
from the harm bank's scenarios labelled with the three facts, 200 more written for the four
combinations of the first two and 152 for incidents dealt with or not
(`scenarios/harm_stage_train.jsonl`). Fitted in seconds and cached.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.fit_cache import cached_fit

__all__ = ["STAGE_BANK_PATH", "STAGE_FACTS", "HarmStage", "StageReading", "load_harm_stage"]

STAGE_BANK_PATH = Path(__file__).parent / "scenarios" / "harm_stage_train.jsonl"
STAGE_FACTS = ("ongoing", "reached", "handled")
# Chosen by 5-fold cross-validation on the stage bank from 0.3, 1, 3 and 10, with the two
# readers averaged (ongoing 0.973, reached 0.875; either alone reads reached worse).
REGULARISATION = 3.0
RECIPE = f"stage-v2 encoders+tfidf word1-2 char_wb3-5 C={REGULARISATION}"

Encode = Callable[[Sequence[str]], np.ndarray]


# A move is left out only where the reader's "no" is sure: below these probabilities its
# "no" was right for at least 98% of the stage bank's scenarios in 5-fold cross-validation
# (0.989 and 0.988). Cutting at 0.5 instead took moves readers had marked good from
# answers read near the boundary (session 26, docs/decisions-session26.md).
NOT_ONGOING_BELOW = 0.4
NOT_REACHED_BELOW = 0.15
# An incident counts as dealt with only where the reader is sure: from this probability its
# "yes" was right for at least 95% of the stage bank's scenarios in 5-fold cross-validation
# (0.967; 0.931 at 0.5), the lowest such cut of 0.5, 0.55, ... 0.8.
HANDLED_FROM = 0.55


@dataclass(frozen=True)
class StageReading:
    """P(still happening), P(has already reached someone) and P(already dealt with)."""

    ongoing: float
    reached: float
    handled: float = 0.0

    @property
    def dealt_with(self) -> bool:
        """Surely over and surely handled by someone responsible: nothing is left that calls
        for the leader to take over (the harm net's alarm words describe what happened)."""
        return self.handled >= HANDLED_FROM and self.ongoing < NOT_ONGOING_BELOW

    def allows(self, needs: str) -> bool:
        """Whether a move written for `needs` fits: "ongoing" (something harmful is still
        happening: stop the work), "reached" (someone has been hurt or affected: tell them,
        check on them) or "handled" (it is over and dealt with: thank whoever did it), or
        several of them ("ongoing, reached": someone in danger now), each allowed; a move that
        needs none of them always does."""
        parts = [n.strip() for n in needs.split(",")]
        if len(parts) > 1:
            return all(self.allows(n) for n in parts)
        if needs == "ongoing":
            return self.ongoing >= NOT_ONGOING_BELOW
        if needs == "reached":
            return self.reached >= NOT_REACHED_BELOW
        if needs == "handled":
            # Thanking someone for handling what is still going on would be worse than
            # leaving the move out: this one needs the reader sure.
            return self.dealt_with
        return True


def _word_pipeline() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    pieces = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2)
    return make_pipeline(
        make_union(words, pieces), LogisticRegression(C=10 * REGULARISATION, max_iter=3000)
    )


class HarmStage:
    """Reads `ongoing` and `reached` from a scenario's vector and its words."""

    def __init__(self) -> None:
        self._by_meaning: dict[str, Any] = {}
        self._by_words: dict[str, Any] = {}

    def fit(self, rows: Sequence[dict[str, Any]], encode: Encode) -> HarmStage:
        """Learn from rows with `scenario` and a boolean for each of STAGE_FACTS."""
        from sklearn.linear_model import LogisticRegression

        usable = [r for r in rows if all(isinstance(r.get(f), bool) for f in STAGE_FACTS)]
        texts = [str(r["scenario"]) for r in usable]
        x = encode(texts)
        for fact in STAGE_FACTS:
            y = [bool(r[fact]) for r in usable]
            if len(set(y)) < 2:
                raise ValueError(f"need scenarios with and without '{fact}' to learn from")
            model = LogisticRegression(C=REGULARISATION, max_iter=2000)
            self._by_meaning[fact] = model.fit(x, y)
            self._by_words[fact] = _word_pipeline().fit(texts, y)
        return self

    def read(self, scenario: str, vector: np.ndarray) -> StageReading:
        """The three probabilities for one scenario, given its encoders' vector."""
        p = {}
        for fact in STAGE_FACTS:
            meaning = self._by_meaning[fact].predict_proba(vector.reshape(1, -1))[0][1]
            words = self._by_words[fact].predict_proba([scenario])[0][1]
            p[fact] = float((meaning + words) / 2)
        return StageReading(**p)


def load_harm_stage(
    encode: Encode,
    encoder_names: Sequence[str],
    cache_dir: Path | None,
    bank: Path = STAGE_BANK_PATH,
) -> HarmStage:
    """Fitted on the stage bank (seconds), or read from the cache folder."""
    rows = [json.loads(line) for line in bank.read_text("utf-8").splitlines() if line.strip()]
    recipe = [json.dumps(rows, sort_keys=True), *encoder_names, RECIPE]
    return cached_fit(cache_dir, "harm-stage", recipe, lambda: HarmStage().fit(rows, encode))
