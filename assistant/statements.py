"""Which fact of the verdict table one short message states, read by its words.

In a conversation, a follow-up usually states one fact ("Any layout change goes to the site
health and safety committee", "He's had two meetings with their lead and they still can't
agree"). The verdict model reads the whole situation as one vector, and a fact added late
drowns in the first message (the crane lift, the Jira move: still "step back" after the
leader says the decision belongs to another committee). 743 single-fact sentences, written
from the verdict table alone (`assistant/scenarios/fact_statements.jsonl`), are exactly such
messages: a bag of word and character n-grams learnt from them names the fact a follow-up
states. Only the two facts that decide a row of the table outright are used (a problem
beyond the team, a request after real attempts); on whole scenarios this reader lowered the
figures (README, sessions 11-12), so it reads follow-ups only. Fitted in about a second and
cached; no training run.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["DECISIVE", "STATEMENTS_PATH", "StatementReader"]

STATEMENTS_PATH = Path(__file__).parent / "scenarios" / "fact_statements.jsonl"
# Chosen as the word reader's shape; C from the older dialogue sets' later turns, where at
# p >= 0.5 "beyond" was right 22 of 22 times and "tried" 16 of 17 (docs/decisions-session21.md).
REGULARISATION = 10.0
RECIPE = f"statements-v1 tfidf word1-2 char_wb3-5 sublinear C={REGULARISATION}"
STATED = 0.5
_FITTED: dict[str, Any] = {}  # key -> fitted pipeline, for this process
# The stated facts that decide the verdict by the table, with the note the answer gives and
# the row's kinds (what the composer's moves are chosen for).
DECISIVE: dict[str, tuple[str, tuple[str, ...]]] = {
    "authority=beyond": (
        "It needs a decision or sign-off from beyond the team: that calls for stepping in, "
        "taking it to whoever can give it.",
        ("authority",),
    ),
    "attempts=tried": (
        "They asked for help after really trying: that calls for stepping in alongside them.",
        ("help_request",),
    ),
}


class StatementReader:
    """P(fact=value) that one sentence or short message states, "none=none" for none."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        self.classes: list[str] = [str(c) for c in pipeline.classes_]

    @classmethod
    def fit(cls, rows: Sequence[dict[str, Any]]) -> StatementReader:
        """Learn `factor=value` from rows with `text`, `factor` and `value`."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        pieces = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2
        )
        pipeline = make_pipeline(
            make_union(words, pieces), LogisticRegression(C=REGULARISATION, max_iter=3000)
        )
        pipeline.fit([str(r["text"]) for r in rows], [f"{r['factor']}={r['value']}" for r in rows])
        return cls(pipeline)

    @classmethod
    def load_or_fit(cls, cache: Path, path: Path = STATEMENTS_PATH) -> StatementReader:
        """The reader saved in `cache` for these sentences and this recipe, or fitted anew."""
        data = path.read_bytes()
        key = hashlib.sha256(data + RECIPE.encode()).hexdigest()[:16]
        if key in _FITTED:  # every coach a process builds shares one (a fit takes seconds)
            return cls(_FITTED[key])
        if cache.is_file():
            saved = pickle.loads(cache.read_bytes())  # noqa: S301 - our own cache
            if saved.get("key") == key:
                _FITTED[key] = saved["pipeline"]
                return cls(saved["pipeline"])
        rows = [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
        reader = cls.fit(rows)
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".partial")
        partial.write_bytes(pickle.dumps({"key": key, "pipeline": reader.pipeline}))
        partial.replace(cache)
        _FITTED[key] = reader.pipeline
        return reader

    def probabilities(self, text: str) -> dict[str, float]:
        """{"factor=value": probability} for one text."""
        shares = self.pipeline.predict_proba([text])[0]
        return dict(zip(self.classes, map(float, shares), strict=True))

    def decisive(self, text: str) -> tuple[str, str, tuple[str, ...]] | None:
        """The table-deciding fact the text states, surest first: (fact, note, kinds)."""
        read = self.probabilities(text)
        stated = [(read.get(fact, 0.0), fact) for fact in DECISIVE]
        share, fact = max(stated)
        if share < STATED:
            return None
        note, kinds = DECISIVE[fact]
        return fact, note, kinds
