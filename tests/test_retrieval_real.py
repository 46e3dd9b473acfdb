"""Retrieval over the project's own library, with the real encoder: the question sets' floors."""

from __future__ import annotations

import pytest

from assistant.retrieval_eval import evaluate_retrieval, load_questions

from .conftest import ROOT

pytestmark = pytest.mark.slow

# hit@5 and MRR measured in session 21 (RRF k 20, three passages per document): tuning 0.688 /
# 0.485; blind (session 10) 0.550 / 0.439; blind2 (written in session 21 by a helper who never
# saw the chunking or the other sets, frozen, sha256 2405db32..., before the knobs were read on
# it) 0.517 / 0.394. The target is 0.85: these floors only keep what was reached.
FLOORS = {
    "retrieval_questions": (0.62, 0.44),
    "retrieval_questions_blind": (0.5, 0.4),
    "retrieval_questions_blind2": (0.47, 0.35),
}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_the_passage_that_answers_each_question_set_is_retrieved_as_often_as_measured(
    real_coach, name
):
    hit_at_5, mrr = FLOORS[name]
    rows = load_questions(ROOT / "eval" / f"{name}.jsonl")
    search = real_coach.retriever.search
    result = evaluate_retrieval(rows, lambda q, k: [p.text for p in search(q, k)])
    assert result["hit_at_5"] >= hit_at_5
    assert result["mrr"] >= mrr


def test_every_needle_is_a_verbatim_span_of_the_library_text_it_names():
    texts = {
        p.name: " ".join(p.read_text("utf-8").split()) for p in (ROOT / "knowledge").glob("*.md")
    }
    for name in FLOORS:
        for row in load_questions(ROOT / "eval" / f"{name}.jsonl"):
            assert " ".join(row["needle"].split()) in texts[row["source"]], row["needle"]
