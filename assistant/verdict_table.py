"""The verdict table (DESIGN.md) as a function of its facts, and its reading under uncertainty.

The factor heads read each fact of the table with a probability per value; the table then
says which verdict those facts call for. Reading the table over the heads' distributions
(each combination of values weighted by how likely the heads find it) gives a second
opinion on the verdict that is written in the design's own terms, beside the verdict head's
reading of the whole text.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from assistant import attempts
from assistant.domain import VERDICTS
from assistant.verdict_model import FACTORS

__all__ = ["table_probabilities", "table_verdict"]

# The facts' values: the factor heads', and "unknown" attempts from the attempts reader.
_VALUES = {**FACTORS, attempts.FACTOR: attempts.VALUES}
_FLOOR = 1e-4  # no verdict is ever impossible by the table alone


def table_verdict(facts: Mapping[str, str]) -> str:
    """The verdict the table calls for, given one value per fact.

    Harm now, a problem beyond the team, or a request after real attempts: step in. An
    unready owner facing high, irreversible stakes: step in. A request for help whose
    attempts are unknown: stay close until that is known. Recoverable stakes: step back (a
    growth opportunity even for a first-timer). Anything new, visible or still unknown: stay
    close. (Early warning signs have no fact of their own; the verdict head reads them.)
    """
    if (
        facts.get("harm_now") == "yes"
        or facts.get("authority") == "beyond"
        or facts.get("help_after_trying") == "yes"
    ):
        return "step_in"
    stakes = facts.get("stakes")
    if facts.get("readiness") == "not_ready" and stakes == "high_irreversible":
        return "step_in"
    if facts.get(attempts.FACTOR) == "unknown":
        return "balanced"
    if stakes == "recoverable":
        return "step_back"
    return "balanced"


# Every combination of values (324), with the verdict the table gives it.
_RULED = [
    (facts, table_verdict(facts))
    for facts in (
        dict(zip(_VALUES, values, strict=True)) for values in itertools.product(*_VALUES.values())
    )
]


def table_probabilities(read: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """P(verdict) when each fact is read with the given distribution, facts independent."""
    totals: dict[str, float] = dict.fromkeys(VERDICTS, _FLOOR)
    for facts, verdict in _RULED:
        weight = 1.0
        for name, value in facts.items():
            weight *= read[name].get(value, 0.0)
        totals[verdict] += weight
    total = sum(totals.values())
    return {verdict: p / total for verdict, p in totals.items()}
