"""The kind of harm, learnt from the harm bank's categories, steers the moves."""

import numpy as np
import pytest

from assistant.harm_kinds import CATEGORY_KIND, KINDS_BANK_PATH, HarmKinds, load_harm_kinds

WORDS = ["sick", "faint", "password", "leak", "ladder", "fall"]


def bag_of_words(texts):
    return np.array([[float(w in t.lower()) for w in WORDS] for t in texts])


ROWS = [
    {"scenario": f"{a} {b} case {i}", "harm": True, "category": c}
    for i in range(6)
    for a, b, c in (
        ("sick", "faint", "physical_health"),
        ("password", "leak", "data_security"),
        ("ladder", "fall", "physical_safety"),
    )
] + [{"scenario": "ladder leak", "harm": False, "category": "data_security"}]


def test_the_kind_of_harm_is_learnt_from_the_banks_categories():
    kinds = HarmKinds().fit(ROWS, bag_of_words)
    assert kinds.kinds(bag_of_words(["he felt sick and faint"])[0])[0] == "wellbeing"
    assert kinds.kinds(bag_of_words(["a password leak"])[0])[0] == "data_incident"
    assert kinds.kinds(bag_of_words(["off a ladder, a fall"])[0])[0] == "safety"


def test_of_two_likely_kinds_the_likelier_is_named_first():
    class Reading:  # staff tips taken by a manager: first of all a matter of honesty
        classes_ = np.array(["ethics", "safety", "wellbeing"])

        def predict_proba(self, x):
            return np.array([[0.55, 0.35, 0.10]])

    kinds = HarmKinds()
    kinds._model = Reading()
    assert kinds.kinds(np.zeros(3)) == ["ethics", "safety"]


def test_every_category_of_the_harm_bank_is_a_playbook_kind():
    import json

    from assistant.harm import HARM_BANK_PATH
    from assistant.playbook import KINDS

    for path in (HARM_BANK_PATH, KINDS_BANK_PATH):
        bank = [json.loads(line) for line in path.read_text().splitlines() if line]
        assert {r["category"] for r in bank if r.get("harm")} <= set(CATEGORY_KIND)
    assert set(CATEGORY_KIND.values()) <= set(KINDS)


def test_the_fitted_kinds_are_kept_in_the_cache_folder(tmp_path):
    calls = []

    def encode(texts):
        calls.append(len(texts))
        return bag_of_words(texts)

    bank = tmp_path / "bank.jsonl"
    bank.write_text("\n".join(__import__("json").dumps(r) for r in ROWS))
    load_harm_kinds(encode, ["fake"], tmp_path, [bank])
    load_harm_kinds(encode, ["fake"], tmp_path, [bank])
    assert len(calls) == 1 and list(tmp_path.glob("harm-kinds-*.pkl"))


# Session 32: 70 harm scenarios written blind by a helper, 10 for each of seven kinds (a risk to
# one's own life told indirectly among them), each with the kind its writer meant (sha256
# 667a6a05...; 64 after the filter against the banks). The first kind named was the writer's
# for 0.8125 before the kinds bank joined the harm bank, 0.875 after; own life 10 of 10.
WRITERS_KIND = {
    "own_life": "wellbeing",
    "health": "wellbeing",
    "safety": "safety",
    "data": "data_incident",
    "legal": "legal",
    "ethics": "ethics",
    "dignity": "dignity",
}


@pytest.mark.slow
def test_the_kind_named_first_is_the_one_a_blind_writer_meant(real_coach):
    import json
    from pathlib import Path

    from assistant.harm import HarmReading

    path = Path(__file__).resolve().parents[1] / "eval" / "harm_kinds_blind.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    flagged = HarmReading(probability=1.0, level="likely", evidence=None)
    named = [real_coach.composer.harm_kinds(r["scenario"], flagged) for r in rows]
    right = [k[:1] == [WRITERS_KIND[r["kind"]]] for r, k in zip(rows, named, strict=True)]
    own_life = [ok for r, ok in zip(rows, right, strict=True) if r["kind"] == "own_life"]
    assert sum(right) / len(right) >= 0.8
    assert sum(own_life) >= 8
