"""The labelled banks are well formed, and no evaluation scenario leaks into training."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.assessment import BANK_PATH, TRAINING_BANKS
from assistant.harm import HARM_BANK_PATH
from assistant.harm_kinds import KINDS_BANK_PATH
from assistant.harm_stage import STAGE_BANK_PATH

from .conftest import ROOT

EVAL_SETS = sorted((ROOT / "eval").glob("scenarios_*.jsonl"))
# Sets of scenarios labelled with something other than a verdict, kept out of training too.
OTHER_EVAL_SETS = [
    ROOT / "eval" / "stage_blind.jsonl",
    ROOT / "eval" / "moves_fresh.jsonl",
    ROOT / "eval" / "moves_harmkinds.jsonl",
    ROOT / "eval" / "harm_kinds_blind.jsonl",
    ROOT / "eval" / "harm_kinds_blind2.jsonl",
    ROOT / "eval" / "acute_blind.jsonl",
    ROOT / "eval" / "acute_blind2.jsonl",
    ROOT / "eval" / "acute_blind3.jsonl",
    ROOT / "eval" / "acute_blind4.jsonl",
    ROOT / "eval" / "moves_blind8.jsonl",
    ROOT / "eval" / "moves_blind9.jsonl",
    ROOT / "eval" / "moves_blind10.jsonl",
]


def _rows(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


@pytest.mark.parametrize("path", [BANK_PATH, *EVAL_SETS], ids=lambda p: p.name)
def test_every_scenario_has_a_verdict_and_a_one_line_reason(path):
    rows = _rows(path)
    assert {r["label"] for r in rows} == {"step_in", "step_back", "balanced"}
    assert all(r["scenario"].strip() and r["reason"].strip() for r in rows)
    assert all("\n" not in r["reason"] for r in rows)


def test_the_training_bank_holds_at_least_300_scenarios_of_each_kind_mixed():
    rows = _rows(BANK_PATH)
    assert len(rows) >= 300
    counts = {label: sum(r["label"] == label for r in rows) for label in ("step_in", "balanced")}
    assert min(counts.values()) >= len(rows) // 5


def test_the_harm_bank_mirrors_each_harm_with_look_alikes_and_holds_some_out():
    rows = _rows(HARM_BANK_PATH)
    harmed = [r for r in rows if r["harm"]]
    assert len(harmed) >= 150 and len(rows) - len(harmed) >= 150
    assert all(r["label"] == "step_in" for r in harmed)
    assert {r["label"] for r in rows if not r["harm"]} == {"step_back", "balanced"}
    held_out = [r for r in rows if r.get("split") == "dev"]
    assert sum(r["harm"] for r in held_out) >= 20 and sum(not r["harm"] for r in held_out) >= 20


def _training_rows() -> list[dict[str, str]]:
    return [r for bank in (*TRAINING_BANKS, STAGE_BANK_PATH, KINDS_BANK_PATH) for r in _rows(bank)]


def test_no_evaluation_scenario_is_in_the_training_bank_even_reworded():
    training = [_words(r["scenario"]) for r in _training_rows()]
    for path in [*EVAL_SETS, *OTHER_EVAL_SETS]:
        for row in _rows(path):
            words = _words(row["scenario"])
            closest = max(len(words & t) / len(words | t) for t in training)
            assert closest < 0.6, f"{path.name}: {row['scenario'][:80]}"


# Two scenarios about the same situation in other words sit above this cosine under
# all-MiniLM-L6-v2 (pairs read by hand: a crane lift in rising wind, pre-signed registers,
# weighed junior players); bank items that close to any evaluation item were removed.
LEAK_COSINE = 0.62


@pytest.mark.slow
def test_no_training_scenario_is_an_evaluation_scenario_by_meaning(real_embedder):
    import numpy as np

    embed = real_embedder.embeddings.embed_documents
    bank = np.array(embed([r["scenario"] for r in _training_rows()]))
    for path in [*EVAL_SETS, *OTHER_EVAL_SETS]:
        rows = _rows(path)
        closest = (np.array(embed([r["scenario"] for r in rows])) @ bank.T).max(axis=1)
        worst = int(closest.argmax())
        assert closest[worst] < LEAK_COSINE, f"{path.name}: {rows[worst]['scenario'][:80]}"
