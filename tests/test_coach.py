import shutil

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_openai import ChatOpenAI

from assistant.assessment import Assessor
from assistant.coach import Coach, best_quote
from assistant.errors import BackendError, EmptyStoreError, InputTooLargeError
from assistant.model_assessment import ModelAssessor
from assistant.wiring import build_coach, build_ingestor

from .conftest import KNOWLEDGE
from .support.openai_faults import FaultServer


def _fake_chat(*replies: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(content=r) for r in replies]))


@pytest.fixture
def coach_factory(fake_settings, tmp_path):
    folder = tmp_path / "lib"
    shutil.copytree(KNOWLEDGE, folder)
    build_ingestor(fake_settings).run([folder])

    def make(*replies: str, **overrides) -> Coach:
        return build_coach(
            fake_settings,
            chat_model=_fake_chat(*replies),
            chat_name="scripted",
            **{"assessor": Assessor(None), **overrides},
        )

    return make


def _stored_text(coach: Coach, chunk_id: str) -> str:
    return coach.retriever.store.get([chunk_id])[0].page_content


GOOD = (
    "Let your experienced engineer lead the migration and stay available; agree one "
    "check-in with the team so she owns the decision."
)


def test_a_streamed_answer_ends_with_citations_that_quote_stored_chunks_verbatim(coach_factory):
    coach = coach_factory(GOOD)
    replies = list(
        coach.stream_chat(
            "My most experienced engineer wants to lead the database migration herself."
        )
    )
    assert len(replies) > 2, "the answer should arrive in several streamed parts"
    final = replies[-1]
    assert final.done and final.text == GOOD
    assert final.citations
    for citation in final.citations:
        assert citation.quote in _stored_text(coach, citation.chunk_id)


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


def test_text_that_contradicts_the_verdict_is_replaced_by_grounded_text(coach_factory):
    coach = coach_factory("You should step back and let them handle it, the team will learn.")
    advice = coach.advise(
        "A forklift driver on my night shift is skipping the safety checks right now."
    )
    assert advice.verdict == "step_in"
    assert "step back and let them" not in advice.advice
    assert "step in" in advice.advice.lower()
    assert any(c.quote in advice.advice for c in advice.citations)


def test_empty_or_off_topic_generation_falls_back_to_the_passages(coach_factory):
    coach = coach_factory("ok")
    advice = coach.advise("My new hire wants to present to the board tomorrow. Help?")
    assert advice.advice != "ok"
    assert advice.citations and advice.citations[0].quote in advice.advice


def test_a_question_the_library_does_not_cover_is_answered_honestly(coach_factory, fake_settings):
    coach = coach_factory(GOOD)
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
    coach = build_coach(fake_settings, chat_model=_fake_chat(GOOD), assessor=Assessor(None))
    with pytest.raises(EmptyStoreError, match="assistant ingest"):
        list(coach.stream_chat("My team lead wants to run the meeting."))


def test_an_oversized_message_is_refused_before_any_model_call(coach_factory):
    coach = coach_factory()  # no scripted replies: any model call would fail
    with pytest.raises(InputTooLargeError, match="limit"):
        list(coach.stream_chat("team " * 2000))


def test_a_failing_chat_model_becomes_a_backend_error_with_a_fix(coach_factory):
    coach = coach_factory()  # the fake has no replies left, so it raises
    with pytest.raises(BackendError, match="Try again"):
        list(coach.stream_chat("My deputy wants to lead the staff meeting on Monday."))


def test_best_quote_is_a_verbatim_sentence_of_the_chunk():
    chunk = "# Heading\n\nTrust grows slowly. Delegation needs trust and clear limits. End."
    quote = best_quote(chunk, "how do delegation limits work")
    assert quote == "Delegation needs trust and clear limits."
    assert quote in chunk


def test_generated_text_is_judged_usable_only_when_on_topic_and_consistent():
    assert Coach.usable(GOOD, "step_back")
    assert not Coach.usable("", "step_in")
    assert not Coach.usable("You should step back now and wait for the team.", "step_in")
    assert Coach.usable(
        "You should step in now; do not step back until it is safe for the team.", "step_in"
    )


def test_warming_up_makes_no_call_to_a_remote_model_assessor(coach_factory):
    with FaultServer(mode="json") as server:
        remote = ChatOpenAI(
            base_url=server.base_url, api_key="sk-test", model="fake-model", max_retries=0
        )
        coach = coach_factory(GOOD, assessor=ModelAssessor(remote, Assessor(None), "remote"))
        coach.warm_up()
        assert coach.warm
        assert server.requests == []
