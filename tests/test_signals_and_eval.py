import json

import pytest

from assistant.assessment import Assessor
from assistant.cli import main
from assistant.evaluation import score
from assistant.signals import detect_signals


def _names(scenario: str) -> dict[str, str]:
    return {s.name: s.direction for s in detect_signals(scenario)}


@pytest.mark.parametrize(
    ("scenario", "name", "direction", "evidence"),
    [
        (
            "Our checkout is down right now and customers can't pay.",
            "urgency",
            "step_in",
            "is down right now",
        ),
        (
            "One of the foremen keeps skipping the harness check on the scaffold.",
            "integrity",
            "step_in",
            "harness",
        ),
        (
            "A manager made a racist joke about a colleague in standup.",
            "integrity",
            "step_in",
            "racist",
        ),
        (
            "My veteran charge nurse, 15 years on the ward, wants to redo the rota.",
            "competence",
            "step_back",
            "veteran charge nurse",
        ),
        (
            "A new hire in her first week is handling the refund queue.",
            "competence",
            "step_in",
            "first week",
        ),
        (
            "The change is cosmetic and we can roll back in a minute.",
            "stakes",
            "step_back",
            "cosmetic",
        ),
        (
            "If the filing is late, the client loses the appeal for good.",
            "stakes",
            "step_in",
            "for good",
        ),
        (
            "Once the concrete is poured there's no going back.",
            "stakes",
            "step_in",
            "poured",
        ),
        (
            "It's our biggest weekend and you can't really roll back a re-slot mid-shift.",
            "stakes",
            "step_in",
            "can't really roll back",
        ),
        (
            "Whatever is agreed on the call becomes binding once the client signs.",
            "stakes",
            "step_in",
            "becomes binding",
        ),
        (
            "He asked me for help after trying three different fixes.",
            "help_request",
            "step_in",
            "asked me for help",
        ),
        (
            "She wants me to just write the report for her.",
            "help_request",
            "step_back",
            "wants me to just write",
        ),
        (
            "It's a stretch assignment and a real learning opportunity.",
            "learning",
            "step_back",
            "stretch",
        ),
        ("It's her call; the roadmap is within her remit.", "ownership", "step_back", "her call"),
        ("My lead is nervous about presenting to the board.", "confidence", "balanced", "nervous"),
    ],
)
def test_signals_are_detected_with_the_scenarios_own_words(scenario, name, direction, evidence):
    found = [s for s in detect_signals(scenario) if s.name == name]
    assert found, f"no {name} signal in {scenario!r}"
    assert found[0].direction == direction
    assert evidence.lower() in found[0].evidence.lower()
    assert found[0].evidence in scenario


def test_a_negated_trigger_does_not_fire():
    assert _names("Nothing is on fire and it is not urgent at all.") == {"urgency": "step_back"}


def test_a_cue_negated_by_an_auxiliary_is_not_said():
    def asked(text):
        return [s for s in detect_signals(text) if s.name == "help_request"]

    assert asked("After two attempts she asked me for help with the supplier.")
    assert not asked("She hasn't asked me for help with the supplier.")
    assert not asked("She hasn’t asked me to take over yet.")


def test_tiredness_is_not_read_as_a_request_for_help_after_trying():
    def attempts(text):
        return [s for s in detect_signals(text) if s.name == "help_request"]

    assert not attempts("Our pharmacist is too exhausted to keep checking doses properly.")
    assert not attempts("An exhausted crew is still working at height.")
    assert attempts("She has exhausted her options and asked me to call the regulator.")
    assert attempts("He exhausted every idea he had before asking.")


def test_quoted_evidence_keeps_its_subject_and_stops_where_a_list_begins():
    def evidence(text, name):
        return next(s.evidence for s in detect_signals(text) if s.name == name)

    text = "Gareth, who runs the crew, says that's normal in the first week."
    assert evidence(text, "competence").startswith("Gareth, who runs the crew, says")
    text = "Fatima has tried three ways to fix it: new scripts, coaching and a new form."
    assert evidence(text, "help_request") == "Fatima has tried three ways to fix it"


def test_an_appositive_is_quoted_with_the_sentence_it_sits_in():
    text = "Marcus, our senior groundskeeper, has been with us nine years. He wants to lead it."
    evidence = next(s.evidence for s in detect_signals(text) if s.name == "competence")
    assert evidence == "Marcus, our senior groundskeeper, has been with us nine years"


def test_quoted_evidence_drops_a_bullet_and_an_aside_cut_by_a_comma():
    text = "Pharmacy team:\n- New-ish senior tech (great attitude, 8 months in) wants to switch"
    evidence = next(s.evidence for s in detect_signals(text) if s.name == "competence")
    assert evidence == "New-ish senior tech"


def test_a_question_typed_without_its_mark_is_not_a_reason():
    from assistant.assessment import _ASKS_THE_COACH

    assert _ASKS_THE_COACH.search("its fine honestly, shoud i make her run it past me")
    assert not _ASKS_THE_COACH.search("She moved the stock around without asking me first.")


def test_a_deadline_tonight_is_not_harm_happening_now():
    def harm_now(text):
        return [s for s in detect_signals(text) if (s.name, s.direction) == ("urgency", "step_in")]

    assert not harm_now("She wants to ship the hotfix tonight without a second review.")
    assert harm_now("Customers are being charged twice right now.")


def test_a_team_or_service_named_after_fraud_is_not_fraud():
    def names(text: str) -> set[str]:
        return {s.name for s in detect_signals(text)}

    assert "integrity" not in names("Nobody agrees who owns the new fraud service.")
    assert "integrity" not in names("The fraud team say it isn't enough to act on.")
    assert "integrity" in names("She found fraud in the supplier invoices.")
    assert "integrity" in names("A fraudulent refund went through last night.")


def test_the_leaders_own_nerves_are_not_read_as_the_owners():
    def unsure(text):
        return [
            s for s in detect_signals(text) if (s.name, s.direction) == ("confidence", "balanced")
        ]

    assert unsure("She is nervous about facing the board.")
    assert not unsure("She's prepped well but I'm nervous.")
    assert not unsure("Letting him run it alone makes me a bit anxious.")


def test_a_decision_that_needs_approval_from_beyond_the_team_is_read_and_decides():
    def authority(text):
        return [s for s in detect_signals(text) if s.name == "authority"]

    assert authority("Changing the route settings needs head office sign-off.")
    assert authority("Only the divisional director can approve that.")
    assert authority("The contract is above their spend limit.")
    assert authority("Application deadlines are set by the Academic Board.")
    assert authority("It's £90k a year, way over her delegated limit.")
    assert authority("Changing it goes through the council's network management team.")
    assert not authority("The rota is set by the team itself every Monday.")
    assert not authority("She doesn't need anyone's approval for the rota.")
    verdict = Assessor(None).assess(
        "Our experienced team wants to change supplier. Anything over £50k needs governor "
        "approval, and this is £180k."
    )
    assert verdict.verdict == "step_in"
    assert any("beyond the team" in note for note in verdict.notes)


def test_a_safety_issue_overrides_a_capable_owner():
    verdict = Assessor(None).assess(
        "My most experienced site lead, 20 years in the job, told the crew to skip the "
        "lockout procedure to finish early."
    )
    assert verdict.verdict == "step_in"
    assert verdict.confidence >= 0.8


def test_missing_key_facts_produce_one_clarifying_question_and_low_confidence():
    verdict = Assessor(None).assess("Someone on my team wants to change how we do planning.")
    assert verdict.clarifying_question
    assert verdict.clarifying_question.count("?") == 1
    assert verdict.confidence <= 0.5


def test_score_computes_known_numbers_exactly():
    labels = ["step_back", "step_back", "balanced", "step_in", "step_in"]
    preds = ["step_back", "balanced", "balanced", "step_in", "step_back"]
    result = score(labels, preds)
    assert result["n"] == 5
    assert result["accuracy"] == 0.6
    # F1: step_back 2*1/(2+1+1)=0.5, balanced 2*1/(2+1+0)=0.6667, step_in 2*1/(2+0+1)=0.6667
    assert result["macro_f1"] == round((0.5 + 2 / 3 + 2 / 3) / 3, 4)
    # signed errors: 0, +1, 0, 0, -2 -> -1/5
    assert result["bias"] == -0.2
    assert result["confusion"]["step_in"]["step_back"] == 1
    assert result["confusion"]["step_back"]["balanced"] == 1


def test_the_eval_command_prints_the_documented_json(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ASSISTANT_VERDICT_BACKEND", "signals")
    rows = [
        {"scenario": "A forklift driver is skipping safety checks right now.", "label": "step_in"},
        {
            "scenario": "My veteran engineer with 10 years of experience wants to own the routine "
            "release; it can roll back in a minute.",
            "label": "step_back",
        },
    ]
    path = tmp_path / "mini.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    assert main(["eval", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) >= {"n", "accuracy", "macro_f1", "confusion", "bias"}
    assert result["n"] == 2


def test_the_eval_report_has_baselines_per_signal_results_and_a_confusion_plot(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("ASSISTANT_VERDICT_BACKEND", "signals")
    rows = [
        {"scenario": "A forklift driver is skipping safety checks right now.", "label": "step_in"},
        {
            "scenario": "A nurse is being harassed by a patient's relative on the ward right now.",
            "label": "step_in",
        },
        {"scenario": "My veteran engineer wants to own the routine release.", "label": "step_back"},
    ]
    path = tmp_path / "mini.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    report = tmp_path / "report"
    assert main(["eval", str(path), "--report", str(report)]) == 0
    results = json.loads((report / "results.json").read_text())
    assert results["majority_class"]["accuracy"] == round(2 / 3, 4)
    assert results["signals"]["integrity->step_in"]["fired"] == 2
    assert results["signals"]["integrity->step_in"]["agrees_with_label"] == 1.0
    assert (report / "confusion.png").read_bytes().startswith(b"\x89PNG")
    assert "| majority_class |" in (report / "report.md").read_text()


def test_whenever_as_a_condition_is_not_a_sign_there_is_time():
    # "whenever" says "no rush" only as a choice of time; as a condition it says how often
    # something happens, which is no reason to let it run.
    def urgency(text: str) -> list[str]:
        return [s.direction for s in detect_signals(text) if s.name == "urgency"]

    assert urgency("You can smell gas in the kitchen whenever the left burner's lit.") == []
    assert urgency("She winces whenever she puts weight on her left leg.") == []
    assert urgency("She can send the newsletter whenever she likes.") == ["step_back"]
    assert urgency("They can start the rota whenever they're ready.") == ["step_back"]
    assert urgency("No deadline, do it whenever.") == ["step_back"]
