from pathlib import Path

from assistant.gate import QualityGate
from assistant.gate_eval import gate_scores, load_labelled
from assistant.prompts import rewrite_prompt_lines

from .conftest import ROOT

LABELLED = ROOT / "eval" / "generations" / "labelled.jsonl"
SUPPORT = (
    "My experienced engineer Dana wants to lead the database migration on her own next week.\n"
    "Step back and let Dana lead the database migration. Agree the outcome and the limits up "
    "front, set one check-in before the cut-over, and stay out of the detail. Say: the "
    "migration is yours. Watch for: a rollback plan that nobody has tested."
)
GOOD = (
    "Dana has done this before, so let her own the database migration. Agree the outcome and "
    "the limits with her up front, set one check-in before the cut-over, and then stay out of "
    "the detail. Tell her plainly that the migration is hers, and keep an eye on one thing: "
    "whether the rollback plan has been tested."
)


def _check(text: str, verdict: str = "step_back"):
    return QualityGate().check(text, SUPPORT, verdict, rewrite_prompt_lines())


def test_a_faithful_rewording_passes_the_gate():
    result = _check(GOOD)
    assert result.passed, result.reasons


def test_a_loop_is_withheld():
    result = _check("You're not sure how to do it, and you're not sure how to do it. " * 6)
    assert not result.passed and any("repetition" in r for r in result.reasons)


def test_an_echoed_prompt_is_withheld():
    result = _check("The coach's plan: Decision: step back. " + GOOD)
    assert not result.passed and "echoes the prompt" in result.reasons


def test_invented_people_and_events_are_withheld():
    invented = (
        "Gertrude from the Lisbon office called the regulator about the outage yesterday, and "
        "the board fired three contractors over the payroll scandal, so you should buy new "
        "servers, hire an auditor, postpone the merger and brief the newspapers tonight."
    )
    result = _check(invented)
    assert not result.passed and any("unsupported" in r or "off topic" in r for r in result.reasons)


def test_a_rewording_that_argues_for_another_verdict_is_withheld():
    contrary = GOOD + " Honestly, you should step in and take over the migration yourself."
    result = _check(contrary)
    assert not result.passed and "argues against the verdict" in result.reasons


def test_on_held_out_labelled_generations_what_the_gate_lets_through_is_good():
    rows = load_labelled(Path(LABELLED))
    held_out = [r for r in rows if r.get("split") == "held_out"]
    assert len(rows) >= 200 and len(held_out) >= 80
    assert sum(r["source"] == "smollm2" for r in rows) >= 100, "real SmolLM2 generations"
    scores = gate_scores(held_out, QualityGate())
    assert scores["precision"] >= 0.95, scores
    assert scores["recall"] >= 0.5, scores
