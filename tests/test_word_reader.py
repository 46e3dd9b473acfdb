"""The word reader: a verdict read from the scenario's words, beside the encoder's reading."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from assistant.assessment import TRAINING_BANKS, Assessor, load_bank
from assistant.word_reader import WordReader, _training_rows

from .conftest import ROOT


@pytest.fixture(scope="module")
def reader() -> WordReader:
    return WordReader.fit(_training_rows(TRAINING_BANKS))


def test_the_word_reader_alone_gets_most_development_verdicts_right(reader):
    rows = load_bank(ROOT / "eval" / "scenarios_dev.jsonl")
    read = reader.probabilities([r["scenario"] for r in rows])
    right = sum(max(p, key=lambda v: p[v]) == r["label"] for p, r in zip(read, rows, strict=True))
    majority = max(sum(r["label"] == v for r in rows) for v in ("step_in", "step_back", "balanced"))
    assert right / len(rows) >= 0.75  # measured 0.848; a majority guess gets under 0.4
    assert right > 2 * majority


def test_the_word_reader_is_cached_and_refitted_only_when_the_bank_changes(tmp_path):
    bank = tmp_path / "bank.jsonl"
    lines = (ROOT / "assistant" / "scenarios" / "scenarios_train.jsonl").read_text().splitlines()
    bank.write_text("\n".join(lines[:120]) + "\n")
    cache = tmp_path / "words.pkl"
    first = WordReader.load_or_fit([bank], cache)
    written = cache.stat().st_mtime_ns
    again = WordReader.load_or_fit([bank], cache)
    assert cache.stat().st_mtime_ns == written
    text = ["My new analyst wants to present the results to the board on her own."]
    assert again.probabilities(text) == first.probabilities(text)
    bank.write_text("\n".join(lines[:150]) + "\n")
    WordReader.load_or_fit([bank], cache)
    assert cache.stat().st_mtime_ns != written


def test_held_out_harm_rows_stay_out_of_the_word_readers_training():
    held = [
        json.loads(line)["scenario"]
        for line in (ROOT / "assistant" / "scenarios" / "harm_train.jsonl").read_text().splitlines()
        if line.strip() and json.loads(line).get("split") == "dev"
    ]
    trained = {r["scenario"] for r in _training_rows(TRAINING_BANKS)}
    assert held and not trained & set(held)


class _Fixed:
    def __init__(self, probabilities: dict[str, float]) -> None:
        self.fixed = probabilities

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        return [dict(self.fixed) for _ in texts]


def test_a_confident_word_reading_outweighs_an_unsure_verdict_head():
    unsure = _Fixed({"step_back": 0.5, "balanced": 0.3, "step_in": 0.2})
    words = _Fixed({"step_back": 0.05, "balanced": 0.1, "step_in": 0.85})
    scenario = "The supplier contract renewal is with Priya this quarter."
    assert Assessor(unsure).assess(scenario).verdict == "step_back"
    combined = Assessor(unsure, words=words).assess(scenario)
    assert combined.verdict == "step_in"
    assert combined.probabilities["step_in"] > 0.5
