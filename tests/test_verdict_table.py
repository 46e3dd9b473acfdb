"""The verdict table as a function of its facts, and read over uncertain facts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.assessment import TRAINING_BANKS
from assistant.attempts import VALUES
from assistant.verdict_model import FACTORS
from assistant.verdict_table import table_probabilities, table_verdict

CALM = {
    "harm_now": "no",
    "authority": "within",
    "readiness": "ready",
    "stakes": "recoverable",
    "help_after_trying": "no",
}


def certain(facts: dict[str, str]) -> dict[str, dict[str, float]]:
    values_of = {**FACTORS, "help_after_trying": VALUES}
    return {f: {v: float(v == facts[f]) for v in values} for f, values in values_of.items()}


@pytest.mark.parametrize(
    ("change", "verdict"),
    [
        ({}, "step_back"),
        ({"harm_now": "yes"}, "step_in"),
        ({"authority": "beyond"}, "step_in"),
        ({"help_after_trying": "yes"}, "step_in"),
        ({"readiness": "not_ready", "stakes": "high_irreversible"}, "step_in"),
        ({"readiness": "not_ready"}, "step_back"),
        ({"stakes": "high_irreversible"}, "balanced"),
        ({"stakes": "visible_new"}, "balanced"),
        ({"stakes": "unknown"}, "balanced"),
        ({"readiness": "unknown", "stakes": "high_irreversible"}, "balanced"),
        ({"help_after_trying": "unknown"}, "balanced"),
        ({"help_after_trying": "unknown", "authority": "beyond"}, "step_in"),
    ],
)
def test_each_row_of_the_table_gives_its_verdict(change: dict[str, str], verdict: str) -> None:
    facts = CALM | change
    assert table_verdict(facts) == verdict
    probabilities = table_probabilities(certain(facts))
    assert max(probabilities, key=lambda v: probabilities[v]) == verdict
    assert probabilities[verdict] > 0.99


def test_uncertain_facts_spread_the_verdict_between_their_readings() -> None:
    read = certain(CALM | {"readiness": "not_ready"})
    read["stakes"] = {
        "recoverable": 0.5,
        "visible_new": 0.0,
        "high_irreversible": 0.5,
        "unknown": 0,
    }
    probabilities = table_probabilities(read)
    assert probabilities["step_in"] == pytest.approx(0.5, abs=0.01)
    assert probabilities["step_back"] == pytest.approx(0.5, abs=0.01)
    assert sum(probabilities.values()) == pytest.approx(1.0)


def test_the_table_agrees_with_the_labelled_bank_except_early_warning_signs() -> None:
    """Every bank row that states the table's facts is labelled as the table says, except
    early warning signs around a ready owner, which no fact names (those are balanced)."""
    disagreements = []
    rows = 0
    for bank in TRAINING_BANKS:
        for line in Path(bank).read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            if not row.get("factors"):
                continue
            rows += 1
            facts = row["factors"]
            if table_verdict(facts) != row["label"]:
                disagreements.append((facts["readiness"], facts["stakes"], row["label"]))
    assert rows > 1000
    assert {d for d in disagreements} <= {("ready", "recoverable", "balanced")}
    assert len(disagreements) / rows < 0.06
