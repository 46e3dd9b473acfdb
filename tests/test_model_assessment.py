import json

import pytest
from langchain_openai import ChatOpenAI

from assistant.assessment import Assessor
from assistant.harm import HarmDetector
from assistant.model_assessment import ModelAssessor

from .support.openai_faults import FaultServer

SCENARIO = "My veteran engineer, 12 years on the team, wants to own the routine release."


@pytest.fixture
def server():
    fault = FaultServer(mode="json")
    fault.start()
    yield fault
    fault.stop()


def _assessor(server: FaultServer) -> ModelAssessor:
    chat = ChatOpenAI(
        base_url=server.base_url, api_key="sk-test", model="fake-model", max_retries=0
    )
    return ModelAssessor(chat, Assessor(None), "test model")


def _reply(verdict: str, evidence: str = "12 years on the team") -> str:
    return json.dumps(
        {
            "verdict": verdict,
            "confidence": 0.9,
            "signals": [{"name": "competence", "direction": "step_back", "evidence": evidence}],
        }
    )


def test_an_agreeing_model_assessment_is_used_as_is(server):
    server.reply = _reply("step_back")
    result = _assessor(server).assess(SCENARIO)
    assert result.verdict == "step_back" and result.confidence == 0.9
    assert result.signals[0].evidence == "12 years on the team"
    assert result.notes == []
    assert any("tools" in (r["body"] or {}) for r in server.requests)


def test_a_disagreement_lowers_confidence_and_is_shown(server):
    server.reply = _reply("step_in")
    result = _assessor(server).assess(SCENARIO)
    assert result.verdict == "step_in"
    assert result.confidence < 0.6
    assert any("disagree" in n or "says step_in" in n for n in result.notes)


def test_evidence_not_quoted_from_the_scenario_is_dropped(server):
    server.reply = _reply("step_back", evidence="she is a genius")
    result = _assessor(server).assess(SCENARIO)
    assert all(s.evidence in SCENARIO for s in result.signals)


def test_invalid_structured_output_falls_back_to_the_local_assessment(server):
    server.reply = '{"verdict": "maybe", "confidence": 7}'
    result = _assessor(server).assess(SCENARIO)
    assert result.verdict == Assessor(None).assess(SCENARIO).verdict
    assert any("no valid assessment" in n for n in result.notes)


def test_a_safety_breach_overrides_a_model_that_says_step_back(server):
    server.reply = _reply("step_back", evidence="skip the lockout procedure")
    result = _assessor(server).assess(
        "My best site lead told the crew to skip the lockout procedure to finish early."
    )
    assert result.verdict == "step_in"


def test_the_remote_assessor_is_sent_at_most_the_prompt_cap_whatever_it_is_given(server):
    from assistant.prompts import PROMPT_MAX_CHARS

    server.reply = _reply("step_back")
    pasted = "x" * 100_000 + " " + SCENARIO
    _assessor(server).assess(pasted)
    sent = server.requests[-1]["body"]["messages"][-1]["content"]
    assert len(sent) <= PROMPT_MAX_CHARS and sent.endswith(SCENARIO)


class _ReadsHarm:
    def __init__(self, p: float) -> None:
        self.p = p

    def harm_probabilities(self, texts):  # type: ignore[no-untyped-def]
        return [self.p for _ in texts]


def _with_harm(server: FaultServer, p: float) -> ModelAssessor:
    chat = ChatOpenAI(
        base_url=server.base_url, api_key="sk-test", model="fake-model", max_retries=0
    )
    local = Assessor(None, harm=HarmDetector(_ReadsHarm(p), possible=0.2, likely=0.6))
    return ModelAssessor(chat, local, "test model")


def test_a_model_that_says_step_back_is_overruled_when_harm_is_likely(server):
    server.reply = _reply("step_back")
    result = _with_harm(server, 0.9).assess(f"{SCENARIO} He is working with a burnt hand.")
    assert result.verdict == "step_in"
    assert result.harm is not None and result.harm.level == "likely"


def test_a_model_that_says_step_back_becomes_balanced_when_harm_is_possible(server):
    server.reply = _reply("step_back")
    result = _with_harm(server, 0.3).assess(SCENARIO)
    assert result.verdict == "balanced"


def test_the_local_reading_of_harm_and_facts_reaches_the_answer_whoever_decided(server):
    server.reply = _reply("step_back")
    result = _with_harm(server, 0.05).assess(SCENARIO)
    assert result.verdict == "step_back"
    assert result.harm is not None and result.harm.level == "none"
