"""The statement reader names the table-deciding fact a short follow-up states, or none."""

from __future__ import annotations

import pickle

from assistant.statements import StatementReader


def test_the_packaged_sentences_teach_it_the_deciding_facts_and_ordinary_ones_decide_nothing(
    tmp_path,
):
    reader = StatementReader.load_or_fit(tmp_path / "statements.pkl")
    beyond = reader.decisive(
        "Any new supplier over ten thousand pounds needs the board's approval."
    )
    tried = reader.decisive(
        "She has phoned the council three times and emailed twice, and nobody will answer her."
    )
    assert beyond is not None and beyond[0] == "authority=beyond"
    assert tried is not None and tried[0] == "attempts=tried"
    assert reader.decisive("The team meets on Tuesdays.") is None
    assert reader.decisive("He has been a sous chef here for six years.") is None


def test_the_fitted_reader_is_cached_and_refitted_when_its_key_no_longer_matches(tmp_path):
    from assistant import statements

    cache = tmp_path / "statements.pkl"
    statements._FITTED.clear()
    StatementReader.load_or_fit(cache)
    saved = pickle.loads(cache.read_bytes())
    cache.write_bytes(pickle.dumps({**saved, "key": "stale"}))
    statements._FITTED.clear()
    StatementReader.load_or_fit(cache)
    assert pickle.loads(cache.read_bytes())["key"] == saved["key"]
