"""With the factor heads, the coach asks for the one missing fact that could flip its advice,
and leans to staying close, not letting go, until it knows."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.assessment import (
    ATTEMPTS_QUESTION,
    AUTHORITY_QUESTION,
    EXPERIENCE_QUESTION,
    STAKES_QUESTION,
    Assessor,
)
from assistant.attempts import VALUES
from assistant.verdict_model import FACTORS


class Leaning:
    def __init__(self, lean: str) -> None:
        self.lean = lean

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        return [{v: (0.8 if v == self.lean else 0.1) for v in ("step_back", "balanced", "step_in")}]


class Reads:
    """Factor heads that read the given values with certainty, the rest as their first value."""

    def __init__(self, **values: str) -> None:
        self.values = values

    def factor_probabilities(self, texts: Sequence[str]) -> list[dict[str, dict[str, float]]]:
        options_of = {**FACTORS, "help_after_trying": VALUES}  # the attempts reader's values
        read = {
            name: {v: float(v == self.values.get(name, options[0])) for v in options}
            for name, options in options_of.items()
        }
        return [read for _ in texts]


def _assess(lean: str, text: str = "Maya wants to run the launch review.", **values: str):
    return Assessor(Leaning(lean), factors=Reads(**values)).assess(text)


def test_an_owner_of_unknown_experience_facing_visible_stakes_is_asked_about_and_kept_close():
    result = _assess("step_back", readiness="unknown", stakes="visible_new")
    assert result.clarifying_question == EXPERIENCE_QUESTION
    assert result.verdict == "balanced"
    assert result.confidence <= 0.5
    assert result.factors["readiness"] == "unknown"


def test_an_owner_not_ready_for_stakes_nobody_stated_is_asked_what_is_at_stake():
    result = _assess("step_back", readiness="not_ready", stakes="unknown")
    assert result.clarifying_question == STAKES_QUESTION


def test_a_request_for_help_with_unknown_attempts_is_asked_what_was_tried_first():
    result = _assess("step_back", help_after_trying="unknown", stakes="recoverable")
    assert result.clarifying_question == ATTEMPTS_QUESTION
    assert result.verdict == "balanced"
    harm = _assess("step_in", help_after_trying="unknown", harm_now="yes")
    assert harm.clarifying_question is None


def test_a_decision_that_may_not_be_the_teams_to_make_is_asked_about_before_letting_go():
    result = _assess("step_back", authority="unknown", stakes="recoverable")
    assert result.clarifying_question == AUTHORITY_QUESTION
    assert result.verdict == "balanced"


def test_whose_decision_it_is_goes_unasked_when_the_rest_already_calls_for_stepping_in():
    result = _assess(
        "step_in", authority="unknown", readiness="not_ready", stakes="high_irreversible"
    )
    assert result.clarifying_question is None
    assert result.verdict == "step_in"


def test_of_two_missing_facts_the_one_read_as_unknown_most_surely_is_asked():
    class Unsure(Reads):
        def factor_probabilities(self, texts):
            read = super().factor_probabilities(texts)[0]
            read["authority"] = {"within": 0.4, "beyond": 0.0, "unknown": 0.6}
            read["readiness"] = {"ready": 0.1, "not_ready": 0.0, "unknown": 0.9}
            return [read for _ in texts]

    result = Assessor(Leaning("step_back"), factors=Unsure(stakes="visible_new")).assess("x")
    assert result.clarifying_question == EXPERIENCE_QUESTION


def test_known_facts_or_plainly_recoverable_stakes_need_no_question():
    assert _assess("step_back", readiness="ready", stakes="visible_new").clarifying_question is None
    recoverable = _assess("step_back", readiness="unknown", stakes="recoverable")
    assert recoverable.clarifying_question is None
    assert recoverable.verdict == "step_back"


def test_harm_read_now_is_never_met_with_a_question():
    result = _assess("step_in", harm_now="yes", readiness="unknown", stakes="unknown")
    assert result.clarifying_question is None


def test_factor_figures_score_each_fact_and_how_often_an_unstated_one_is_read_as_unknown():
    from assistant.evaluation import factor_figures

    rows = [
        {"factors": {"readiness": "ready", "harm_now": "no"}},
        {"factors": {"readiness": "unknown", "harm_now": "yes"}},
        {"factors": {"readiness": "unknown", "harm_now": "no"}},
    ]
    read = [
        {"readiness": "ready", "harm_now": "no"},
        {"readiness": "unknown", "harm_now": "no"},
        {"readiness": "not_ready", "harm_now": "no"},
    ]
    figures = factor_figures(rows, read)
    assert figures["readiness"] == {"n": 3, "accuracy": 0.6667, "unknown_read_as_unknown": 0.5}
    assert figures["harm_now"]["accuracy"] == 0.6667
    assert figures["harm_now"]["unknown_read_as_unknown"] is None


def test_when_someone_may_be_at_risk_and_the_lean_is_to_step_in_it_acts_before_asking():
    from assistant.harm import HarmDetector

    class Scored:
        def harm_probabilities(self, texts: Sequence[str]) -> list[float]:
            return [0.3 for _ in texts]  # between "possible" and "likely"

    class Sure:
        def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
            return [{"step_back": 0.001, "balanced": 0.001, "step_in": 0.998} for _ in texts]

    text = "Joon has done 14-hour shifts five days running and skips her breaks."
    read = Reads(readiness="not_ready", stakes="unknown")
    harm = HarmDetector(Scored(), possible=0.2, likely=0.6)
    acting = Assessor(Sure(), harm=harm, factors=read).assess(text)
    assert acting.verdict == "step_in" and acting.clarifying_question is None
    assert acting.harm is not None and acting.harm.level == "possible"
    # Without the possible harm, the same reading asks what is at stake first.
    asking = Assessor(Sure(), factors=read).assess(text)
    assert asking.verdict == "step_in" and asking.clarifying_question == STAKES_QUESTION


def test_what_weighs_most_is_a_fact_about_the_situation_never_the_leaders_own_urge():
    class UrgeWeighs:
        """A model whose step back rests on the urge sentence more than on any other."""

        def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
            return [
                {
                    "step_back": 0.5 if "Part of me" not in t else 0.9,
                    "balanced": 0.3,
                    "step_in": 0.1,
                }
                for t in texts
            ]

    scenario = (
        "The student council are choosing which charity to support. Part of me wants to just "
        "pick one so we can get moving. They have it down to two."
    )
    read = Assessor(UrgeWeighs()).assess(scenario)
    assert read.weightiest is not None and "Part of me" not in read.weightiest
