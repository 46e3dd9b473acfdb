"""The harm safety net decides before autonomy does, and the shown confidence is measured."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from assistant.assessment import HARM_QUESTION, Assessor
from assistant.cli import main
from assistant.evaluation import calibration, harm_figures
from assistant.harm import HarmDetector, thresholds


class FixedModel:
    """A verdict model that always leans the same way."""

    def __init__(self, lean: str, p: float = 0.9) -> None:
        rest = (1 - p) / 2
        self.probs = {
            label: (p if label == lean else rest) for label in ("step_back", "balanced", "step_in")
        }

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        return [dict(self.probs) for _ in texts]


class FixedHarm:
    def __init__(self, p: float) -> None:
        self.p = p

    def harm_probabilities(self, texts: Sequence[str]) -> list[float]:
        return [self.p for _ in texts]


def _assessor(lean: str, harm_p: float) -> Assessor:
    return Assessor(FixedModel(lean), HarmDetector(FixedHarm(harm_p), possible=0.2, likely=0.6))


def test_likely_harm_turns_a_confident_step_back_into_step_in():
    verdict = _assessor("step_back", 0.9).assess("My senior chef keeps working with a burnt hand.")
    assert verdict.verdict == "step_in"
    assert verdict.harm is not None and verdict.harm.level == "likely"
    # As confident as such forced step ins were right on the blind sets, not the net's score.
    assert verdict.confidence == 0.75
    assert verdict.notes


def test_possible_harm_never_lets_step_back_through_and_asks_the_one_deciding_question():
    verdict = _assessor("step_back", 0.3).assess("My capable lead wants to run the night shift.")
    assert verdict.verdict == "balanced"
    assert verdict.clarifying_question == HARM_QUESTION
    assert verdict.confidence <= 0.5


def test_no_harm_leaves_the_verdict_to_the_model():
    verdict = _assessor("step_back", 0.01).assess("My capable lead wants to redo the rota.")
    assert verdict.verdict == "step_back"
    assert verdict.harm is not None and verdict.harm.level == "none"


def test_an_alarm_word_alone_does_not_force_step_in_when_the_harm_net_rules_harm_out():
    scenario = "Our fire drill went well: everyone was out in three minutes and Shaun logged it."
    with_net = _assessor("step_back", 0.01).assess(scenario)
    assert with_net.verdict == "step_back"
    assert Assessor(None).assess("The fire exit is blocked with boxes again.").verdict == "step_in"


def test_possible_threshold_keeps_all_but_the_weakest_held_out_harm_and_likely_is_precise():
    harm_scores = [0.95, 0.8, 0.4, 0.3, 0.9, 0.7, 0.85, 0.6, 0.75, 0.65] * 4
    harm_scores[7] = 0.001  # one outlier of 40 no longer drags "possible" to nothing
    scores = harm_scores + [0.1, 0.05, 0.5, 0.02]
    harmed = [True] * 40 + [False] * 4
    possible, likely = thresholds(scores, harmed)
    assert 0.1 < possible < 0.3
    above = [s >= possible for s, h in zip(scores, harmed, strict=True) if h]
    assert sum(above) >= 0.95 * len(above)
    flagged = [h for s, h in zip(scores, harmed, strict=True) if s >= likely]
    assert sum(flagged) / len(flagged) >= 0.9


def test_calibration_error_and_confident_mistakes_are_computed_exactly():
    labels = ["step_in", "step_in", "step_back", "balanced"]
    predictions = ["step_in", "step_back", "step_back", "step_in"]
    confidences = [0.95, 0.85, 0.55, 0.45]
    result = calibration(labels, predictions, confidences)
    # bins: (0.9,1.0] right at 0.95; (0.8,0.9] wrong at 0.85; (0.5,0.6] right at 0.55;
    # (0.4,0.5] wrong at 0.45 -> (0.05 + 0.85 + 0.45 + 0.45) / 4
    assert result["ece"] == pytest.approx((0.05 + 0.85 + 0.45 + 0.45) / 4, abs=1e-4)
    assert result["confident_wrong"] == 1
    assert result["confident_wrong_share"] == 0.25
    assert sum(b["n"] for b in result["reliability"]) == 4


def test_harm_figures_count_step_back_on_harm_recall_and_false_alarms():
    rows = [
        {"harm": True, "label": "step_in"},
        {"harm": True, "label": "step_in"},
        {"harm": False, "label": "step_back"},
        {"harm": False, "label": "balanced"},
        {"harm": False, "label": "step_in"},  # above the team's authority: no look-alike
    ]
    figures = harm_figures(rows, ["step_in", "step_back", "step_in", "balanced", "step_in"])
    assert figures["step_back_on_harm"] == 1
    assert figures["step_in_recall_on_harm"] == 0.5
    assert figures["false_alarm_on_lookalikes"] == 0.5
    assert figures["lookalike_n"] == 2


def test_the_eval_report_shows_calibration_a_reliability_plot_and_harm_figures(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("ASSISTANT_VERDICT_BACKEND", "signals")
    rows = [
        {
            "scenario": "A forklift driver is skipping safety checks right now.",
            "label": "step_in",
            "harm": True,
        },
        {
            "scenario": "My veteran engineer wants to own the routine release.",
            "label": "step_back",
            "harm": False,
        },
    ]
    path = tmp_path / "mini.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    report = tmp_path / "report"
    assert main(["eval", str(path), "--report", str(report)]) == 0
    results = json.loads((report / "results.json").read_text())
    assert set(results["coach"]["calibration"]) >= {"ece", "confident_wrong_share", "reliability"}
    assert results["coach"]["harm"]["harm_n"] == 1
    assert (report / "reliability.png").read_bytes().startswith(b"\x89PNG")
    text = (report / "report.md").read_text()
    assert "Expected calibration error" in text and "## Harm" in text


def test_the_harm_shown_is_the_sentence_whose_removal_lowers_the_reading_most():
    class ReadsOutOfContext:
        # Read alone, a short sentence can score high without showing anything.
        def harm_probabilities(self, texts):  # type: ignore[no-untyped-def]
            return [
                0.95 if t == "She came to me quietly." else 0.9 if "acid" in t else 0.1
                for t in texts
            ]

    detector = HarmDetector(ReadsOutOfContext(), possible=0.2, likely=0.6)
    reading = detector.read(
        "She works alone with acid at night. Her supervisor is away. She came to me quietly."
    )
    assert reading.level == "likely"
    assert reading.evidence == "She works alone with acid at night."


def test_the_harm_shown_is_never_the_leader_saying_what_their_role_is():
    class ReadsTheSetting:
        # Without its opening, the scenario loses where it happens and reads as less harmful.
        def harm_probabilities(self, texts):  # type: ignore[no-untyped-def]
            return [0.9 if "resort" in t else 0.8 if "naked" in t else 0.1 for t in texts]

    detector = HarmDetector(ReadsTheSetting(), possible=0.2, likely=0.6)
    reading = detector.read(
        "Executive housekeeper at a resort in Phuket. A guest opened his door naked when one "
        "of our room attendants knocked. She is scared to do that corridor."
    )
    assert reading.evidence == (
        "A guest opened his door naked when one of our room attendants knocked."
    )


def test_the_harm_net_alone_with_no_word_of_any_harm_does_not_force_a_step_in():
    plain = _assessor("balanced", 0.9).assess(
        "Our product owner's team velocity has dropped two sprints in a row."
    )
    assert plain.verdict == "balanced" and plain.harm.level == "possible"
    worded = _assessor("balanced", 0.9).assess("My chef keeps working with a burnt hand.")
    assert worded.verdict == "step_in" and worded.harm.level == "likely"
    not_back = _assessor("step_back", 0.9).assess("Velocity dropped two sprints in a row.")
    assert not_back.verdict == "balanced" and not_back.clarifying_question == HARM_QUESTION


def test_a_follow_up_the_net_reads_very_surely_calls_for_stepping_in_without_a_harm_word():
    told = "One of the lads has got his arm caught in the pump and they can't get it to stop."
    assert _assessor("step_back", 0.98).harm_told(told) is not None
    # Below the sure reading, the net alone with no word of any harm still decides nothing.
    assert _assessor("step_back", 0.9).harm_told(told) is None
    assert _assessor("step_back", 0.9).harm_told("My chef keeps working with a burnt hand.")


def _staged(lean: str, harm_p: float, handled: float, ongoing: float) -> Assessor:
    from assistant.harm_stage import StageReading

    assessor = _assessor(lean, harm_p)
    assessor.read_stage_with(lambda _: StageReading(ongoing, 0.9, handled))
    return assessor


def test_an_incident_already_dealt_with_forces_no_step_in_and_says_why():
    text = "A guest fainted in the lobby; our duty manager called the paramedics, she is fine."
    verdict = _staged("step_back", 0.9, handled=0.95, ongoing=0.05).assess(text)
    assert verdict.verdict == "step_back"
    assert any("already dealt with" in n for n in verdict.notes)
    assert verdict.clarifying_question != HARM_QUESTION


def test_a_step_in_read_from_the_words_of_a_handled_incident_becomes_the_likelier_other():
    verdict = _staged("step_in", 0.01, handled=0.95, ongoing=0.05).assess("It was dealt with.")
    assert verdict.verdict in ("step_back", "balanced")
    assert verdict.confidence <= 0.95


def test_a_handled_incident_still_steps_in_where_the_text_states_a_sign_off_beyond_the_team():
    text = "The leak was fixed, but the repair needs sign-off from the board before we reopen."
    verdict = _staged("step_back", 0.9, handled=0.95, ongoing=0.05).assess(text)
    assert verdict.verdict == "step_in"


def test_harm_still_going_on_or_not_surely_handled_still_steps_in():
    text = "My senior chef keeps working with a burnt hand."
    assert _staged("step_back", 0.9, handled=0.95, ongoing=0.8).assess(text).verdict == "step_in"
    assert _staged("step_back", 0.9, handled=0.5, ongoing=0.05).assess(text).verdict == "step_in"
