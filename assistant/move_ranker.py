"""How well a playbook move fits a scenario, learnt from a reader's choices.

Meaning match alone (the scenario against a move's general case and examples) put a move a
reader would pick first in under half the answers. A reader marked, for 120 scenarios, every
move a coach would be glad to see (`scenarios/move_choices.jsonl`; 128 more, written and
labelled by helpers, joined in session 16); a logistic regression over
the composer's evidence (both encoders' fits, word overlap, the kinds the signals and everyday
words point to, and each move's own record) learns how to weigh it. Tested on a second set
labelled the same way by another reader (`eval/moves_blind_words.jsonl`), which decides nothing.

A move's own record is the same for every scenario; what readers chose for scenarios like this
one is not. So the ranker also reads, for each move, how many of the labelled scenarios nearest
this one (by the composer's encoders) a reader marked it good for (session 39, N in
docs/decisions-session39.md): a farm hand spraying without his mask had been asked about suicide
first, since "wellbeing" moves have a strong record and nothing tied this scenario to the
readers' choices for other exposures at work.

scikit-learn does the learning: its TfidfVectorizer and LogisticRegression are the well-kept
versions of what this would otherwise write by hand.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from assistant.playbook import KINDS, Move

__all__ = ["CHOICES_PATH", "RANKER_RECIPE", "Evidence", "MoveRanker", "load_choices"]

CHOICES_PATH = Path(__file__).parent / "scenarios" / "move_choices.jsonl"
_CLOSING = {"hand_back", "debrief"}
# Chosen by 5-fold cross-validation on the labelled choices (eval/tune_moves.py); session 24
# re-ran it once 100 labelled harm scenarios had joined them (0.1 before).
REGULARISATION = 3.0
# How many labelled scenarios are a scenario's neighbours: of 5, 10 and 20, the count that put a
# reader's choice first most often in 5-fold cross-validation on the labelled choices (first
# move good 0.552, 0.560, 0.601; precision 0.507, 0.519, 0.514; without neighbours 0.523 and
# 0.457). The first move is the one an answer leads with.
NEIGHBOURS = 20
RANKER_RECIPE = (
    f"features-v3 C={REGULARISATION} k={NEIGHBOURS}"  # part of a fitted ranker's cache key
)


def load_choices(path: Path = CHOICES_PATH) -> list[dict[str, object]]:
    """Labelled move choices: scenario, label (verdict) and the move ids marked good."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@dataclass(frozen=True)
class Evidence:
    """What the composer knows about one scenario when it ranks moves."""

    fits: Sequence[np.ndarray]  # per encoder, each move's fit
    signal_kinds: frozenset[str]  # kinds the detected signals point to
    cue_kinds: frozenset[str]  # kinds read from everyday words
    harm_kinds: frozenset[str] = frozenset()  # how someone may be harmed (harm_kinds.py)
    vector: np.ndarray | None = None  # the scenario's unit vector, both encoders side by side


class MoveRanker:
    """Probability that a reader would mark a move good for a scenario."""

    def __init__(self, moves: Sequence[Move], regularisation: float = REGULARISATION) -> None:
        self.moves = list(moves)
        self._kinds = sorted(KINDS)
        self._words = TfidfVectorizer(stop_words="english", sublinear_tf=True)
        self._move_words = self._words.fit_transform(
            [" ".join([*m.matching_texts(), m.do]) for m in self.moves]
        )
        self._model = make_pipeline(
            StandardScaler(), LogisticRegression(C=regularisation, max_iter=2000)
        )
        self.fitted = False
        # The labelled scenarios' vectors and, per scenario, the moves a reader marked good.
        self._near_vectors = np.zeros((0, 0))
        self._near_good = np.zeros((0, len(self.moves)))
        self._kind_matrix = np.array(
            [[k in m.kinds for k in self._kinds] for m in self.moves], dtype=float
        )
        self._fixed = np.array(
            [
                [
                    float(set(m.kinds) <= _CLOSING),
                    float(bool(set(m.kinds) & _CLOSING)),
                    len(m.verdicts) / 3,
                ]
                for m in self.moves
            ]
        )

    def _mask(self, kinds: frozenset[str]) -> np.ndarray:
        return np.array([k in kinds for k in self._kinds], dtype=float)

    def _neighbours(self, evidence: Evidence, leave_out: int | None) -> np.ndarray:
        """Per move: the similarity-weighted share of the nearest labelled scenarios that a
        reader marked it good for, and the highest similarity of one that did."""
        if evidence.vector is None or not len(self._near_vectors):
            return np.zeros((len(self.moves), 2))
        similarity = self._near_vectors @ evidence.vector
        if leave_out is not None:  # a labelled scenario is not its own neighbour
            similarity[leave_out] = -np.inf
        nearest = np.argsort(similarity)[::-1][:NEIGHBOURS]
        weights = np.clip(similarity[nearest], 0.0, None)
        good = self._near_good[nearest]
        share = weights @ good / (weights.sum() or 1.0)
        closest = np.max(good * similarity[nearest][:, None], axis=0)
        return np.column_stack([share, closest])

    def features(
        self,
        scenario: str,
        candidates: Sequence[int],
        evidence: Evidence,
        leave_out: int | None = None,
    ) -> np.ndarray:
        """One row per candidate move: fits, word overlap, kinds pointed to, the move's
        kinds, what readers chose for the nearest labelled scenarios and a one-hot of the
        move itself (its record with readers)."""
        idx = np.asarray(candidates)
        plain, tuned = np.asarray(evidence.fits[0])[idx], np.asarray(evidence.fits[-1])[idx]
        overlap = (self._move_words[idx] @ self._words.transform([scenario]).T).toarray()[:, 0]
        kinds = self._kind_matrix[idx]
        columns = [
            plain,
            tuned,
            plain - plain.max(),
            tuned - tuned.max(),
            overlap,
            (kinds @ self._mask(evidence.signal_kinds) > 0).astype(float),
            (kinds @ self._mask(evidence.cue_kinds) > 0).astype(float),
            (kinds @ self._mask(evidence.harm_kinds) > 0).astype(float),
        ]
        near = self._neighbours(evidence, leave_out)[idx]
        return np.hstack(
            [np.column_stack(columns), near, self._fixed[idx], kinds, np.eye(len(self.moves))[idx]]
        )

    def fit(
        self,
        choices: Sequence[dict[str, object]],
        evidence_for: Callable[[str], Evidence],
    ) -> MoveRanker:
        """Learn from labelled choices; candidates are the moves of the labelled verdict."""
        by_id = {m.id: i for i, m in enumerate(self.moves)}
        evidence = [evidence_for(str(row["scenario"])) for row in choices]
        goods = [
            {by_id[g] for g in row["good"] if g in by_id}  # type: ignore[attr-defined]
            for row in choices
        ]
        if all(e.vector is not None for e in evidence):
            self._near_vectors = np.stack([np.asarray(e.vector) for e in evidence])
            self._near_good = np.array(
                [[i in good for i in range(len(self.moves))] for good in goods], dtype=float
            )
        xs, ys = [], []
        for n, (row, good) in enumerate(zip(choices, goods, strict=True)):
            scenario, verdict = str(row["scenario"]), str(row["label"])
            candidates = [i for i, m in enumerate(self.moves) if verdict in m.verdicts]
            xs.append(self.features(scenario, candidates, evidence[n], leave_out=n))
            ys.append([i in good for i in candidates])
        self._model.fit(np.vstack(xs), np.concatenate(ys))
        self.fitted = True
        return self

    def probabilities(
        self, scenario: str, candidates: Sequence[int], evidence: Evidence
    ) -> np.ndarray:
        """For each candidate, the chance a reader would call it a good move here."""
        if not candidates:
            return np.zeros(0)
        x = self.features(scenario, candidates, evidence)
        return np.asarray(self._model.predict_proba(x)[:, 1])
