"""A conversation keeps what is established, honours corrections and says what changed."""

from __future__ import annotations

import dataclasses
import json

from assistant.assessment import Assessment, Assessor
from assistant.conversation import Conversation, is_correction, user_turns
from assistant.dialogue_eval import evaluate_dialogues

VAGUE = "My team lead wants to handle the vendor negotiation alone."
RISKY = "She is brand new and has no experience, and signing the contract is irreversible."
CORRECTED = "Actually, she is a veteran who has done this many times."


def _replay(*turns: str):
    return Conversation(Assessor(None)).replay(list(turns))


def test_a_vague_first_message_gets_one_question_and_a_provisional_lean():
    first = _replay(VAGUE)[0]
    assert first.asked
    assert first.assessment.clarifying_question.count("?") == 1
    assert first.assessment.confidence <= 0.5


def test_facts_from_earlier_turns_still_count_and_decide_the_verdict():
    views = _replay(VAGUE, RISKY)
    assert views[-1].assessment.verdict == "step_in"
    assert "vendor negotiation" in views[-1].situation


def test_a_correction_replaces_the_fact_it_contradicts_and_says_what_changed():
    views = _replay(VAGUE, RISKY, CORRECTED)
    last = views[-1]
    assert last.assessment.verdict != "step_in"
    assert "brand new" not in last.situation
    assert "irreversible" in last.situation  # the stakes still stand
    assert last.changed and last.changed.startswith("Now that I know she is a veteran")


def test_a_correction_by_meaning_retracts_the_whole_sentence_it_corrects():
    def closeness(text, others):
        return [1.0 if "approved" in other else 0.0 for other in others]

    views = Conversation(Assessor(None), similarity=closeness).replay(
        [
            "Dr. Osei's crew supervisors want to reorder the turnaround checklist.",
            "That checklist is part of our regulator-approved procedures, and any change "
            "needs the regulator's sign-off.",
            "Sorry, I checked: it is the internal cleaning checklist they update themselves.",
        ]
    )
    assert views[1].assessment.verdict == "step_in"
    last = views[-1].situation
    assert "sign-off" not in last and "regulator-approved" not in last
    assert last.startswith("Dr. Osei's crew supervisors")  # a title ends no sentence
    assert views[-1].assessment.verdict != "step_in"


class _ReadsWords:
    """A fake assessor: the retracted words lean one way, the correction's the other."""

    def assess(self, text: str) -> Assessment:
        old, new = "can't be rerun" in text, "duplicates" in text
        lean = {"step_in": 0.6, "balanced": 0.1, "step_back": 0.3} if old else {}
        if new and not old:
            lean = {"step_in": 0.05, "balanced": 0.05, "step_back": 0.9}
        lean = lean or {"step_in": 0.2, "balanced": 0.6, "step_back": 0.2}
        notes = ["a rule decided"] if "regulator" in text else []
        verdict = max(lean, key=lambda k: lean[k])
        return Assessment(verdict, lean[verdict], [], lean, notes=notes)


def test_a_correction_read_alone_outweighs_what_it_left_standing():
    turns = [
        "Ahmed is calibrating the mass spec alone. The samples can't be rerun.",
        "Scratch that: the client sent duplicates, so a bad run is no loss.",
    ]
    views = Conversation(_ReadsWords()).replay(turns)
    assert "can't be rerun" in views[1].situation  # no factor or meaning retracted it
    assert views[1].assessment.verdict == "step_back"
    assert views[1].changed and views[1].changed.startswith("Now that I know the client sent")
    # A rule that decided the whole situation is not outweighed.
    turns[0] += " The regulator gets the results."
    assert Conversation(_ReadsWords()).replay(turns)[1].assessment.verdict == "step_in"


def test_a_correction_is_known_by_how_people_open_one_after_any_interjection():
    for opening in (
        "No, I misread the ticket: it's the billing database.",
        "Hmm, sorry, I mixed her up with her colleague.",
        "Hang on, I misread the proposal.",
        "My mistake - the museum trip was last year.",
        "ok scrap that, i got the wrong piece.",
    ):
        assert is_correction(opening), opening
    assert not is_correction("She also said the client is happy with it.")
    assert not is_correction("Nothing else has changed since Monday.")


def test_a_long_correction_that_tells_the_situation_again_is_read_alone():
    short = "Scratch that: the client sent duplicates, so a bad run is no loss."
    long = (
        "Scratch that: I mixed up two jobs. This one is a routine recalibration, the client "
        "sent duplicates of every sample, and a bad run is no loss to anyone."
    )
    first = "Ahmed is calibrating the mass spec alone. The samples can't be rerun."

    class _Leans:
        """The whole leans step in; the correction alone leans step back, less surely."""

        def assess(self, text: str) -> Assessment:
            lean = (
                {"step_in": 0.9, "balanced": 0.05, "step_back": 0.05}
                if "can't be rerun" in text
                else {"step_in": 0.3, "balanced": 0.1, "step_back": 0.6}
            )
            verdict = max(lean, key=lambda k: lean[k])
            return Assessment(verdict, lean[verdict], [], lean)

    assert Conversation(_Leans()).replay([first, short])[1].assessment.verdict == "step_in"
    assert Conversation(_Leans()).replay([first, long])[1].assessment.verdict == "step_back"

    class _AsksAlone(_Leans):
        """Read alone, the correction no longer says who Ahmed is, and asks."""

        def assess(self, text: str) -> Assessment:
            read = super().assess(text)
            if "Ahmed" in text:
                return read
            return dataclasses.replace(read, clarifying_question="How experienced is he?")

    view = Conversation(_AsksAlone()).replay([first, long])[1]
    assert view.assessment.verdict == "step_back" and not view.asked


def test_what_changed_says_the_new_fact_not_the_admission_and_keeps_a_name():
    from assistant.conversation import Clause

    said = "Wait, I mixed that up, it's the simulated account. Ines has led six releases."
    clauses = [
        Clause("Wait, I mixed that up, it's the simulated account", 1, {}),
        Clause("Hang on, I misread the proposal", 1, {}),
    ]
    assert Conversation._what_changed(said, clauses, "step_back") == (
        "Now that I know it's the simulated account, I'd step back and let them lead."
    )
    named = [Clause("Ines has led your last six releases", 1, {})]
    assert Conversation._what_changed(said, named, "step_back").startswith("Now that I know Ines")


def test_a_dropped_question_keeps_the_confidence_of_its_lean():
    from assistant.conversation import _without_question

    lean = Assessment(
        "balanced",
        0.5,
        [],
        {"step_back": 0.47, "balanced": 0.09, "step_in": 0.44},
        clarifying_question="Is this theirs to decide?",
    )
    committed = _without_question(lean)
    assert committed.clarifying_question is None
    assert committed.verdict == "balanced" and committed.confidence == 0.56


def test_nothing_is_said_to_have_changed_when_the_verdict_holds():
    views = _replay(RISKY, "The signing is on Friday at the supplier's office.")
    assert views[0].assessment.verdict == views[1].assessment.verdict
    assert views[1].changed is None


def test_harm_happening_now_is_acted_on_without_a_question():
    views = _replay(VAGUE, "Right now she is shouting at the supplier's rep and he is in tears.")
    assert views[-1].assessment.verdict == "step_in"
    assert not views[-1].asked


def test_the_coach_asks_at_most_two_questions_in_a_row_then_commits():
    views = _replay(VAGUE, "It is about office chairs.", "We order them every year.")
    assert [v.asked for v in views][:2] == [True, True]
    assert not views[2].asked
    assert views[2].assessment.clarifying_question is None


def test_saying_it_is_a_new_situation_starts_afresh():
    views = _replay(RISKY, "Different topic: my veteran analyst wants to own the routine report.")
    assert "brand new" not in views[-1].situation
    assert views[-1].changed is None


def test_only_user_turns_of_a_history_count():
    history = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "a reply"},
        {"role": "user", "content": " "},
    ]
    assert user_turns(history) == ["first"]


def test_the_dialogue_evaluation_scores_turns_questions_and_corrections():
    dialogues = [
        {
            "id": "t1",
            "category": "correction",
            "turns": [
                {"user": VAGUE, "verdict": "balanced", "ask": True, "correction": False},
                {"user": RISKY, "verdict": "step_in", "ask": False, "correction": False},
                {"user": CORRECTED, "verdict": "balanced", "ask": False, "correction": True},
            ],
        }
    ]
    result = evaluate_dialogues(dialogues, Conversation(Assessor(None)))
    assert result["turns"] == 3
    assert result["question_recall"] == 1.0
    assert result["corrections"] == 1
    assert 0 <= result["turn_accuracy"] <= 1
    json.dumps(result)


def _far_apart(text: str, others) -> list[float]:
    return [0.1 for _ in others]


def test_a_long_question_about_something_else_starts_afresh_but_a_follow_up_does_not():
    conversation = Conversation(Assessor(None), similarity=_far_apart)
    fresh = (
        "How should a hospital ward manager prepare a nurse who has never done it to lead the "
        "morning safety huddle on a busy surgical ward?"
    )
    views = conversation.replay(["My designer wants to run the client workshop alone.", fresh])
    assert views[-1].situation == fresh
    views = conversation.replay(
        ["My designer wants to run the client workshop alone.", "and if she's new to the team?"]
    )
    assert "client workshop" in views[-1].situation


def test_what_changed_quotes_what_the_message_says_not_its_lead_in():
    from assistant.conversation import Clause

    def said(*texts: str) -> list[Clause]:
        return [Clause(text=t, turn=2, factors={}) for t in texts]

    filler = Conversation._what_changed(
        "", said("ok.", "She's just messaged saying she's all set and going alone."), "step_back"
    )
    assert filler.startswith("Now that I know she's just messaged saying she's all set")
    dash = Conversation._what_changed(
        "", said("Actually I just checked - she has pitched this client five times."), "step_back"
    )
    assert dash.startswith("Now that I know she has pitched this client five times")


def test_a_message_is_read_as_written_and_only_one_that_lost_a_clause_is_rebuilt():
    written = "Velocity dropped two sprints in a row; she says it's a blip, and nothing slipped."
    assert _replay(written)[0].situation == written  # as `assistant eval` reads a scenario
    views = _replay(VAGUE, RISKY, CORRECTED)
    assert views[1].situation == f"{VAGUE} {RISKY}"
    assert views[2].situation.startswith(f"{VAGUE} ")  # untouched, as written
    assert "brand new" not in views[2].situation  # the contradicted clause is gone


def _statements():
    from assistant.statements import StatementReader

    return StatementReader.fit(
        [
            {"text": t, "factor": "authority", "value": "beyond"}
            for t in (
                "Any change to the rota has to be approved by HR and the union.",
                "Opening hours are set by the council, we can't change them ourselves.",
                "That budget line needs the finance committee's sign-off.",
            )
        ]
        + [
            {"text": t, "factor": "none", "value": "none"}
            for t in (
                "The review meeting is on Thursday after lunch.",
                "There are nine of us in the team, most part-time.",
                "She has been here about two years.",
            )
        ]
    )


class _AlwaysStepBack:
    def assess(self, scenario: str) -> Assessment:
        return Assessment(
            verdict="step_back",
            confidence=0.9,
            signals=[],
            probabilities={"step_back": 0.9, "balanced": 0.08, "step_in": 0.02},
        )


LATER_FACT = "Any change to the rota has to be approved by HR and the union."


def test_a_follow_up_stating_the_decision_belongs_beyond_the_team_decides_step_in():
    views = Conversation(_AlwaysStepBack(), statements=_statements()).replay(
        ["The nurses want to swap their weekend rota pattern. Let them?", LATER_FACT]
    )
    assert views[0].assessment.verdict == "step_back"
    last = views[-1]
    assert last.assessment.verdict == "step_in"
    assert last.assessment.row_kinds == ("authority",)
    assert any("beyond the team" in note for note in last.assessment.notes)
    assert last.changed and last.changed.startswith("Now that I know any change to the rota")


def test_a_later_fact_keeps_deciding_while_it_stands_but_not_in_a_new_situation():
    views = Conversation(_AlwaysStepBack(), statements=_statements()).replay(
        [
            "The nurses want to swap their weekend rota pattern.",
            LATER_FACT,
            "The ward sister has done rota changes before.",
            "Different question: my analyst wants to rename the dashboard tabs.",
        ]
    )
    assert [v.assessment.verdict for v in views] == ["step_back", "step_in", "step_in", "step_back"]


def test_the_first_message_is_left_to_the_assessor_that_reads_whole_situations():
    views = Conversation(_AlwaysStepBack(), statements=_statements()).replay([LATER_FACT])
    assert views[0].assessment.verdict == "step_back"


def _harm_in(words: str):
    """A harm reader that finds likely harm in any message holding these words."""
    from assistant.harm import HarmReading

    def read(text: str) -> HarmReading | None:
        return HarmReading(0.97, "likely", text) if words in text else None

    return read


HARM_LATE = "Just now Callum's glove got caught in the hauler and they're still hauling."


def test_harm_told_in_a_follow_up_is_stepped_in_on_without_a_question():
    views = Conversation(_AlwaysStepBack(), harm=_harm_in("glove")).replay(
        ["Ewan wants to run the deck crew himself this trip. Let him?", HARM_LATE]
    )
    assert views[0].assessment.verdict == "step_back"
    last = views[-1]
    assert last.assessment.verdict == "step_in"
    assert last.assessment.clarifying_question is None
    assert last.assessment.harm is not None and last.assessment.harm.level == "likely"
    assert any("outranks autonomy" in note for note in last.assessment.notes)
    assert last.changed and "glove" in last.changed


def test_what_changed_names_the_harm_not_the_first_fact_of_the_message():
    from assistant.harm import HarmReading

    # Read in the situation, the message gained a full stop it was typed without.
    evidence = "Separate thing, the new volunteer Craig has been changing nappies on his own."
    told = f"yeah she knows the babies better than me. {evidence[:-1]}"

    def read(text: str) -> HarmReading | None:
        return HarmReading(0.98, "likely", evidence) if "nappies" in text else None

    views = Conversation(_AlwaysStepBack(), harm=read).replay(
        ["Our baby room leader wants to redo the daily routine. Let her?", told]
    )
    changed = views[-1].changed
    assert changed == (
        "Now that I know the new volunteer Craig has been changing nappies on his own, I'd step in."
    )


def test_harm_told_late_keeps_deciding_while_it_stands_and_the_first_message_is_not_reread():
    conversation = Conversation(_AlwaysStepBack(), harm=_harm_in("glove"))
    views = conversation.replay(
        [
            "Ewan wants to run the deck crew himself this trip.",
            HARM_LATE,
            "He says he has it under control.",
            "Different question: my analyst wants to rename the dashboard tabs.",
        ]
    )
    assert [v.assessment.verdict for v in views] == ["step_back", "step_in", "step_in", "step_back"]
    # Harm in the opening message is the assessor's to read, not this check's.
    first = conversation.replay(["The glove is caught, what now?"])[0]
    assert first.assessment.verdict == "step_back"


def test_harm_told_late_decides_nothing_once_the_situation_reads_as_dealt_with():
    from assistant.assessment import DEALT_WITH_NOTE

    class _Dealt(_AlwaysStepBack):
        def assess(self, scenario: str) -> Assessment:
            seen = super().assess(scenario)
            return Assessment(**{**seen.__dict__, "notes": [f"{DEALT_WITH_NOTE} (90%)."]})

    views = Conversation(_Dealt(), harm=_harm_in("glove")).replay(
        ["Ewan ran the deck crew this trip.", HARM_LATE]
    )
    assert views[-1].assessment.verdict == "step_back"
