"""A second reading of the verdict, by the scenario's words rather than by its meaning.

The fine-tuned encoder reads a whole scenario as one vector, and when it is wrong it is
confidently wrong, and the factor readers built on the same vectors share its mistakes.
A bag of word and character n-grams (scikit-learn's tf-idf and a logistic regression, learnt
from the same banks' verdicts) errs elsewhere: it sees "needs ministerial approval" or "never
done one" as the words they are. Its probabilities multiply into the verdict head's (see
`assessment.WORD_WEIGHT`). Fitted beside the model in seconds and cached in its folder, so
it costs no training run and no lottery between runs.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["WordReader"]

# Chosen on scenarios_dev and dialogues_dev with C in {1, 10, 100} (see the README).
REGULARISATION = 1.0
RECIPE = f"words-v1 tfidf word1-2 char_wb3-5 sublinear min_df=2 C={REGULARISATION}"


def _training_rows(banks: Sequence[Path]) -> list[dict[str, Any]]:
    """The verdict model's own training rows (the harm net's held-out rows stay unseen)."""
    from assistant.verdict_model import _rows

    return [r for r in _rows(banks) if r.get("split") != "dev"]


class WordReader:
    """P(verdict) from the scenario's words: tf-idf n-grams and a logistic regression."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        self.classes: list[str] = [str(c) for c in pipeline.classes_]

    @classmethod
    def fit(cls, rows: Sequence[dict[str, Any]]) -> WordReader:
        """Learn the verdicts of `rows` (each with `scenario` and `label`)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
        # Character n-grams within words catch inflections and compounds the word
        # vocabulary splits ("sign-off", "signed off", "signing").
        pieces = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2
        )
        pipeline = make_pipeline(
            make_union(words, pieces), LogisticRegression(C=REGULARISATION, max_iter=3000)
        )
        pipeline.fit([str(r["scenario"]) for r in rows], [str(r["label"]) for r in rows])
        return cls(pipeline)

    @classmethod
    def load_or_fit(cls, banks: Sequence[Path], cache: Path) -> WordReader:
        """The reader saved in `cache` for these banks and this recipe, or fitted and saved."""
        rows = _training_rows(banks)
        data = json.dumps([[r["scenario"], r["label"]] for r in rows]) + RECIPE
        key = hashlib.sha256(data.encode()).hexdigest()[:16]
        if cache.is_file():
            saved = pickle.loads(cache.read_bytes())  # noqa: S301 - our own cache
            if saved.get("key") == key:
                return cls(saved["pipeline"])
        reader = cls.fit(rows)
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".partial")
        partial.write_bytes(pickle.dumps({"key": key, "pipeline": reader.pipeline}))
        partial.replace(cache)
        return reader

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """One {verdict: probability} per text."""
        shares = self.pipeline.predict_proba(list(texts))
        return [dict(zip(self.classes, map(float, row), strict=True)) for row in shares]
