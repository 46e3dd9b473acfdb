"""The verdict: explicit signals combined with a classifier over sentence embeddings."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.backends import EmbeddingBackend
from assistant.signals import Signal, detect_signals

__all__ = ["LABELS", "Assessment", "Assessor", "load_bank"]

LABELS = ("step_back", "balanced", "step_in")
BANK_PATH = Path(__file__).parent / "data" / "scenarios_train.jsonl"
SIGNAL_WEIGHT = 0.9


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


class _EmbeddingClassifier:
    """Logistic regression over the sentence embeddings of a labelled scenario bank."""

    def __init__(self, embedder: EmbeddingBackend, bank: Path, cache_dir: Path | None) -> None:
        from sklearn.linear_model import LogisticRegression

        rows = load_bank(bank)
        texts = [r["scenario"] for r in rows]
        vectors = self._vectors(embedder, texts, bank, cache_dir)
        self.embedder = embedder
        self.model = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")
        self.model.fit(vectors, [r["label"] for r in rows])

    @staticmethod
    def _vectors(
        embedder: EmbeddingBackend, texts: list[str], bank: Path, cache_dir: Path | None
    ) -> list[list[float]]:
        key = hashlib.sha256((embedder.name + bank.read_text("utf-8")).encode()).hexdigest()[:16]
        cache = cache_dir / f"bank-vectors-{key}.json" if cache_dir else None
        if cache and cache.exists():
            try:
                cached: list[list[float]] = json.loads(cache.read_text())
                if len(cached) == len(texts):
                    return cached
            except (OSError, ValueError):
                pass
        vectors = embedder.embeddings.embed_documents(texts)
        if cache:
            try:
                cache.parent.mkdir(parents=True, exist_ok=True)
                tmp = cache.with_suffix(".tmp")
                tmp.write_text(json.dumps(vectors))
                tmp.replace(cache)
            except OSError:
                pass  # A read-only data dir only costs a re-embed next time.
        return vectors

    def probabilities(self, scenario: str) -> dict[str, float]:
        vector = self.embedder.embeddings.embed_query(scenario)
        probs = self.model.predict_proba([vector])[0]
        return {str(label): float(p) for label, p in zip(self.model.classes_, probs, strict=True)}


class Assessor:
    """Decides step_in / step_back / balanced without relying on the chat model."""

    def __init__(
        self,
        embedder: EmbeddingBackend | None = None,
        bank: Path | None = BANK_PATH,
        cache_dir: Path | None = None,
    ) -> None:
        self._embedder = embedder
        self._bank = bank
        self._cache_dir = cache_dir
        self._classifier: _EmbeddingClassifier | None = None

    def _model(self) -> _EmbeddingClassifier | None:
        if self._classifier is None and self._embedder and self._bank and self._bank.exists():
            self._classifier = _EmbeddingClassifier(self._embedder, self._bank, self._cache_dir)
        return self._classifier

    def assess(self, scenario: str) -> Assessment:
        """The verdict, its confidence and the signals behind it."""
        signals = detect_signals(scenario)
        signal_scores = {label: 0.0 for label in LABELS}
        for s in signals:
            signal_scores[s.direction] += s.weight
        classifier = self._model()
        if classifier:
            probs = classifier.probabilities(scenario)
            logits = [
                math.log(max(probs.get(label, 1e-6), 1e-6)) + SIGNAL_WEIGHT * signal_scores[label]
                for label in LABELS
            ]
        else:
            # With no bank, lean to the middle: the evidence has to earn an extreme.
            logits = [
                signal_scores[label] + (0.5 if label == "balanced" else 0.0) for label in LABELS
            ]
        final = dict(zip(LABELS, _softmax(logits), strict=True))
        verdict = max(final, key=lambda k: final[k])
        notes: list[str] = []
        integrity = [s for s in signals if s.name == "integrity"]
        if integrity and verdict != "step_in":
            verdict = "step_in"
            notes.append("A safety, legal, ethical or dignity issue overrides autonomy.")
        confidence = final[verdict] if not integrity else max(final["step_in"], 0.8)
        question = _clarifying_question(signals)
        if question:
            confidence = min(confidence, 0.55)
        return Assessment(
            verdict=verdict,
            confidence=round(confidence, 2),
            signals=signals,
            probabilities={k: round(v, 3) for k, v in final.items()},
            clarifying_question=question,
            notes=notes,
        )


def _clarifying_question(signals: list[Signal]) -> str | None:
    names = {s.name for s in signals}
    if names & {"integrity", "urgency"}:
        return None
    missing_competence = "competence" not in names and "help_request" not in names
    missing_stakes = "stakes" not in names
    if missing_competence and missing_stakes:
        return (
            "Before I commit: how experienced is the person with this kind of situation, "
            "and what happens if it goes wrong?"
        )
    if missing_competence:
        return "How experienced is the person who owns this, and have they handled one before?"
    if missing_stakes:
        return "What is at stake if this goes wrong, and could it be undone?"
    return None
