"""The attempts reader adds "unknown" to whether a request for help came after real attempts."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.attempts import AttemptsReader, WithAttempts

ROWS = [
    ("I tried three fixes and asked the vendor twice; please take this over", "yes", None),
    ("She tried every route she knew and is now asking me for help", "yes", None),
    ("He has not tried anything yet and wants me to handle it", "no", None),
    ("She asked me to do it before looking at it herself", "no", None),
    ("Kim wants me to sort out the rota clash", "no", "help_after_trying"),
    ("Jo asked me to chase the supplier", "no", "help_after_trying"),
]


class WordCounts:
    """A stand-in encoder: counts of a few words, enough to separate the rows."""

    words = ("tried", "not", "before", "wants", "asked", "sort", "chase")
    calls = 0

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        WordCounts.calls += 1
        return [[float(t.lower().count(w)) for w in self.words] for t in texts]


def _bank(tmp_path: Path) -> Path:
    bank = tmp_path / "bank.jsonl"
    lines = [
        {"scenario": text, "label": "balanced", "factors": {"help_after_trying": value}}
        | ({"missing": missing} if missing else {})
        for text, value, missing in ROWS
    ]
    bank.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    return bank


def test_rows_whose_writer_left_out_the_attempts_teach_unknown(tmp_path):
    reader = AttemptsReader.load_or_fit(WordCounts(), [_bank(tmp_path)], tmp_path / "a.json")
    assert reader.classes == ["no", "unknown", "yes"]
    [bare, tried] = reader.probabilities(
        ["Sam wants me to sort out the rota", "She tried everything she could"]
    )
    assert max(bare, key=lambda v: bare[v]) == "unknown"
    assert max(tried, key=lambda v: tried[v]) == "yes"
    assert abs(sum(bare.values()) - 1) < 1e-9


def test_the_fitted_reader_is_saved_and_refitted_only_when_the_data_changes(tmp_path):
    bank, cache = _bank(tmp_path), tmp_path / "a.json"
    AttemptsReader.load_or_fit(WordCounts(), [bank], cache)
    saved = cache.read_text()
    before = WordCounts.calls
    AttemptsReader.load_or_fit(WordCounts(), [bank], cache)
    assert WordCounts.calls == before  # read back, nothing embedded
    with bank.open("a", encoding="utf-8") as out:
        out.write(
            json.dumps(
                {
                    "scenario": "Ali asked me to chase IT",
                    "label": "balanced",
                    "factors": {"help_after_trying": "no"},
                    "missing": "help_after_trying",
                }
            )
            + "\n"
        )
    AttemptsReader.load_or_fit(WordCounts(), [bank], cache)
    assert cache.read_text() != saved


class Heads:
    def factor_probabilities(self, texts):
        return [{"harm_now": {"no": 1.0, "yes": 0.0}, "help_after_trying": {"no": 1.0}}]


def test_the_readings_keep_the_heads_facts_and_take_the_readers_attempts(tmp_path):
    reader = AttemptsReader.load_or_fit(WordCounts(), [_bank(tmp_path)], tmp_path / "a.json")
    [read] = WithAttempts(Heads(), reader).factor_probabilities(["Kim wants me to sort it"])
    assert read["harm_now"] == {"no": 1.0, "yes": 0.0}
    assert set(read["help_after_trying"]) == {"no", "yes", "unknown"}
