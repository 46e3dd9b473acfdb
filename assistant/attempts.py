"""Whether a request for help came after real attempts, or whether the message does not say.

The verdict model's head for this fact knows only yes and no, so a bare "she wants me to sort
out the clash with orthopaedics" got no question about what she had tried. This reader adds
"unknown": a logistic regression on the verdict model's own vectors of the factor-labelled
bank rows, where rows whose writer left out the attempts on purpose (`"missing":
"help_after_trying"`) are the unknown ones. Fitted beside the model rather than in its
training: a new value there means retraining for eleven minutes, and training runs that
differ that little moved whole evaluation sets by three points, which would drown the
difference this makes. Fitting takes seconds, once per model, and is cached in its folder.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

__all__ = ["VALUES", "AttemptsReader", "WithAttempts"]

VALUES = ("no", "yes", "unknown")
FACTOR = "help_after_trying"
# Chosen on dialogues_dev with the scenario development split unchanged (question F1 0.52 ->
# 0.69; C = 1 without class weights 0.63): the unknown rows are few (42 of 1,089), so the
# classes are weighted to count alike.
REGULARISATION = 10.0
RECIPE = f"attempts-v1 C={REGULARISATION} balanced"


class Encodes(Protocol):
    def embed_query(self, text: str) -> list[float]: ...

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...


class ReadsFactors(Protocol):
    def factor_probabilities(self, texts: Sequence[str]) -> list[dict[str, dict[str, float]]]: ...


def _labelled(banks: Sequence[Path]) -> tuple[list[str], list[str]]:
    texts, values = [], []
    for bank in banks:
        for line in bank.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            stated = (row.get("factors") or {}).get(FACTOR)
            if stated is None:
                continue
            texts.append(str(row["scenario"]))
            values.append("unknown" if row.get("missing") == FACTOR else str(stated))
    return texts, values


class AttemptsReader:
    """P(no / yes / unknown) that a request for help came after real attempts."""

    def __init__(self, encoder: Encodes, weights: dict[str, Any]) -> None:
        self.encoder = encoder
        self.classes: list[str] = list(weights["classes"])
        self.coef = np.asarray(weights["coef"], dtype=float)
        self.intercept = np.asarray(weights["intercept"], dtype=float)

    @classmethod
    def load_or_fit(cls, encoder: Encodes, banks: Sequence[Path], cache: Path) -> AttemptsReader:
        """The reader saved in `cache` for this recipe and data, or fitted now and saved."""
        texts, values = _labelled(banks)
        key = f"{RECIPE} rows={len(texts)} unknown={values.count('unknown')}"
        if cache.is_file():
            saved = json.loads(cache.read_text(encoding="utf-8"))
            if saved.get("key") == key:
                return cls(encoder, saved)
        from sklearn.linear_model import LogisticRegression

        vectors = np.asarray(encoder.embed_documents(texts))
        fitted = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=2000).fit(
            vectors, values
        )
        weights = {
            "key": key,
            "classes": [str(c) for c in fitted.classes_],
            "coef": fitted.coef_.tolist(),
            "intercept": fitted.intercept_.tolist(),
        }
        partial = cache.with_suffix(".partial")
        partial.write_text(json.dumps(weights), encoding="utf-8")
        partial.replace(cache)
        return cls(encoder, weights)

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Per text, {value: probability} over no, yes and unknown."""
        if len(texts) == 1:  # a chat message: the verdict model has just encoded it
            vectors = np.asarray([self.encoder.embed_query(texts[0])])
        else:
            vectors = np.asarray(self.encoder.embed_documents(list(texts)))
        logits = vectors @ self.coef.T
        logits = logits + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        shares = np.exp(logits)
        shares /= shares.sum(axis=1, keepdims=True)
        return [dict(zip(self.classes, map(float, row), strict=True)) for row in shares]


class WithAttempts:
    """The factor heads' readings, with the attempts read by an AttemptsReader."""

    def __init__(self, heads: ReadsFactors, attempts: AttemptsReader) -> None:
        self.heads = heads
        self.attempts = attempts

    def factor_probabilities(self, texts: Sequence[str]) -> list[dict[str, dict[str, float]]]:
        read = self.heads.factor_probabilities(texts)
        for facts, attempts in zip(read, self.attempts.probabilities(texts), strict=True):
            facts[FACTOR] = attempts
        return read
