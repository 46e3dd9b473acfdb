from dataclasses import replace

import pytest
from langchain_openai import ChatOpenAI

from assistant.assessment import Assessor
from assistant.citations import best_quote
from assistant.coach import Coach
from assistant.errors import EmptyStoreError, InputTooLargeError
from assistant.model_assessment import ModelAssessor
from assistant.wiring import build_coach

from .support.fakes import scripted_chat
from .support.openai_faults import FaultServer


@pytest.fixture
def coach_factory(make_coach):
    return make_coach


def _stored_text(coach: Coach, chunk_id: str) -> str:
    return coach.retriever.store.get([chunk_id])[0].page_content


GOOD = (
    "Let your experienced engineer lead the migration and stay available; agree one "
    "check-in with the team so she owns the decision."
)


NOTE = (
    "Your most experienced engineer wants to lead the database migration herself, and the "
    "owner is capable and experienced. So step back, let the engineer own it, and stay "
    "available."
)


def test_the_composed_answer_arrives_first_and_complete_before_any_generation(coach_factory):
    coach = coach_factory(NOTE)
    replies = list(
        coach.stream_chat(
            "My most experienced engineer wants to lead the database migration herself."
        )
    )
    first, final = replies[0], replies[-1]
    assert not first.done and first.plan is not None
    for heading in ("What to do now", "What to say", "Watch for"):
        assert heading in first.text
    assert "database migration" in first.text
    assert final.done and final.citations
    for citation in final.citations:
        assert citation.quote in _stored_text(coach, citation.chunk_id)


def test_a_rewording_that_passes_the_gate_is_shown_under_the_headline(coach_factory):
    coach = coach_factory(NOTE)
    final = list(
        coach.stream_chat(
            "My most experienced engineer wants to lead the database migration herself."
        )
    )[-1]
    assert final.gate is not None and final.gate.passed, final.gate
    assert " ".join(NOTE.split()) in final.text
    assert final.text.index(NOTE[:40]) < final.text.index("What to do now")


def test_advice_object_has_every_field_of_the_contract(coach_factory):
    advice = (
        coach_factory(GOOD)
        .advise(
            "My senior analyst, who has done this many times, wants to run the quarterly "
            "forecast alone. It is routine and easily fixed if wrong."
        )
        .as_dict()
    )
    for key in (
        "verdict",
        "confidence",
        "signals",
        "summary",
        "advice",
        "next_steps",
        "citations",
        "backend",
    ):
        assert key in advice
    assert advice["verdict"] == "step_back"
    assert 0 <= advice["confidence"] <= 1
    assert 3 <= len(advice["next_steps"]) <= 5
    assert set(advice["backend"]) == {"chat", "embeddings"}
    assert all(set(s) == {"name", "direction", "evidence"} for s in advice["signals"])
    assert all(set(c) == {"chunk_id", "source", "title", "quote"} for c in advice["citations"])


def test_a_rewording_that_contradicts_the_verdict_is_never_shown(coach_factory):
    contrary = (
        "You should step back and let them handle it, the forklift driver on the night shift "
        "will learn from skipping the safety checks and the team will grow from it."
    )
    coach = coach_factory(contrary)
    advice = coach.advise(
        "A forklift driver on my night shift is skipping the safety checks right now."
    )
    assert advice.verdict == "step_in"
    assert "step back and let them" not in advice.advice
    assert advice.summary.startswith("Step in")
    assert any("withheld by the quality gate" in n for n in advice.notes)


def test_a_looping_rewording_is_withheld_and_the_composed_answer_stands(coach_factory):
    loop = "You're not sure how to do it, and you're not sure how to do it. " * 8
    coach = coach_factory(loop)
    advice = coach.advise("My new hire wants to present to the board tomorrow. Help?")
    assert "not sure how to do it" not in advice.advice
    assert "What to do now" in advice.advice
    assert len(advice.next_steps) >= 3


def test_next_steps_follow_the_situation_not_only_the_verdict(coach_factory):
    coach = coach_factory(*["ok"] * 4)
    safety = coach.advise("A forklift driver on my night shift is skipping the safety checks now.")
    data = coach.advise(
        "Customer records are being emailed to the wrong mailing list right now by our CRM job."
    )
    assert safety.verdict == data.verdict == "step_in"
    assert safety.next_steps != data.next_steps
    assert set(safety.moves) != set(data.moves)


def test_a_question_the_library_does_not_cover_is_answered_honestly(coach_factory, fake_settings):
    coach = coach_factory()
    coach.min_relevance = 0.99
    final = list(coach.stream_chat("My team argues about which espresso machine to buy."))[-1]
    assert not final.covered
    assert "does not cover" in final.text
    assert final.citations == []


def test_requests_that_are_not_about_leading_people_get_a_polite_redirect(coach_factory):
    final = list(coach_factory(GOOD).stream_chat("What is the boiling point of mercury?"))[-1]
    assert "leadership coach" in final.text
    assert final.citations == []


def test_an_empty_store_says_to_run_ingest(fake_settings):
    coach = build_coach(fake_settings, chat_model=scripted_chat(GOOD), assessor=Assessor(None))
    with pytest.raises(EmptyStoreError, match="assistant ingest"):
        list(coach.stream_chat("My team lead wants to run the meeting."))


def test_an_oversized_message_is_refused_before_any_model_call(coach_factory):
    coach = coach_factory()  # no scripted replies: any model call would fail
    with pytest.raises(InputTooLargeError, match="limit"):
        list(coach.stream_chat("team " * 2000))


class _SeenAssessor(Assessor):
    """The local assessor, recording every text it is asked to assess (what the models see)."""

    def __init__(self) -> None:
        super().__init__(None)
        self.seen: list[str] = []

    def assess(self, text, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.seen.append(text)
        return super().assess(text, *args, **kwargs)


def test_the_history_cannot_carry_more_than_the_message_cap_to_the_models(coach_factory):
    assessor = _SeenAssessor()
    coach = coach_factory("She should lead it.", "She should lead it.", assessor=assessor)
    pasted = "My deputy Ana " + "wants to run the audit alone " * 5000
    for history in (
        [{"role": "user", "content": pasted}],  # refused when sent, replayed by a script
        [{"role": "user", "content": "My deputy Ana wants to run the audit. " * 100}] * 2,
    ):
        replies = list(coach.stream_chat("and her?", history))
        assert replies[-1].done
    assert all(len(text) <= coach.max_message_chars for text in assessor.seen)
    assert not any("alone wants to run the audit alone" in text for text in assessor.seen)
    assert assessor.seen[0] == "and her?"  # the refused turn is not part of the conversation
    assert assessor.seen[-1].endswith("wants to run the audit. and her?")


def test_a_failing_chat_model_costs_the_rewording_not_the_answer(coach_factory):
    coach = coach_factory()  # the fake has no replies left, so it raises
    final = list(coach.stream_chat("My deputy wants to lead the staff meeting on Monday."))[-1]
    assert final.done and "What to do now" in final.text
    assert "⚠️" in final.text and "Try again" in final.text
    assert final.gate is not None and not final.gate.passed


def test_with_generation_off_the_composed_answer_is_final_and_no_model_is_called(coach_factory):
    coach = coach_factory()  # any model call would raise
    coach.gate = None
    final = list(coach.stream_chat("My deputy wants to lead the staff meeting on Monday."))[-1]
    assert final.done and final.gate is None
    assert "What to do now" in final.text


def test_best_quote_is_a_verbatim_sentence_of_the_chunk():
    chunk = "# Heading\n\nTrust grows slowly. Delegation needs trust and clear limits. End."
    quote = best_quote(chunk, "how do delegation limits work")
    assert quote == "Delegation needs trust and clear limits."
    assert quote in chunk


def test_best_quote_skips_markdown_debris_and_playbook_slots():
    chunk = (
        "## Move\n\n*Do:* Ask {owner} what they tried.\n**1. Harm is happening now.** "
        '"Quoted start of a line. The owner decides the timing of the rollout and the team '
        'follows."'
    )
    quote = best_quote(chunk, "who decides the rollout timing")
    assert quote == "The owner decides the timing of the rollout and the team follows."
    assert quote in chunk


def test_warming_up_makes_no_call_to_a_remote_model_assessor(coach_factory):
    with FaultServer(mode="json") as server:
        remote = ChatOpenAI(
            base_url=server.base_url, api_key="sk-test", model="fake-model", max_retries=0
        )
        coach = coach_factory(GOOD, assessor=ModelAssessor(remote, Assessor(None), "remote"))
        coach.warm_up()
        assert coach.warm
        assert server.requests == []


def test_advice_is_planned_once_so_the_library_is_searched_once(coach_factory, monkeypatch):
    coach = coach_factory(GOOD)
    searches = []
    search = coach.retriever.search
    monkeypatch.setattr(
        coach.retriever, "search", lambda *a, **k: searches.append(a) or search(*a, **k)
    )
    work = coach.plan("My deputy wants to lead the staff meeting on Monday.")
    assert work.plan is not None and work.citations and work.prompt
    advice = coach.advise("My deputy wants to lead the staff meeting on Monday.")
    assert len(searches) == 2, "one search for plan(), one for advise()"
    assert advice.citations == work.citations


def test_a_situation_written_as_notes_without_people_words_is_still_coached():
    from assistant.scope import is_about_leading

    notes = (
        "- Sam wants to present the monthly numbers at all-hands again\n"
        "- did it in March and April, went fine\n- I'd be a bit more polished"
    )
    assert is_about_leading(notes)
    assert not is_about_leading("Please write me a short poem about the city of Paris.")
    assert not is_about_leading("What is the boiling point of mercury?")


def test_someone_who_may_be_getting_hurt_is_never_turned_away():
    from assistant.harm import HarmReading
    from assistant.scope import is_about_leading, is_situation

    text = "swell building, winch grinding, four sets left, price is good"
    harmed = Assessor(None).assess(text)
    harmed = replace(harmed, harm=HarmReading(0.7, "possible"))
    assert is_about_leading(text, harmed) and is_situation(text, harmed)


def test_harm_told_late_is_what_the_answer_acts_on_not_the_first_messages_task(
    coach_factory, monkeypatch
):
    from assistant.harm import HarmReading

    coach = coach_factory(GOOD)
    told = "The new porter has a blister across his palm and keeps scrubbing the pans with it."
    coach.conversation.harm = lambda text: (
        HarmReading(0.97, "likely", text) if "blister" in text else None
    )
    composed: list[str] = []
    searched: list[str] = []
    compose, search = coach.composer.compose, coach.retriever.search
    monkeypatch.setattr(coach.composer, "compose", lambda s, a: composed.append(s) or compose(s, a))
    monkeypatch.setattr(
        coach.retriever, "search", lambda q, *a, **k: searched.append(q) or search(q, *a, **k)
    )
    first = "My kitchen lead has done the prep rota for years and wants to redo it herself."
    work = coach.plan(told, [{"role": "user", "content": first}])
    assert work.assessment.verdict == "step_in"
    assert composed == [told], "the moves answer the harm, not the rota"
    assert searched and searched[0].startswith(told)
    assert work.plan is not None and work.plan.changed
