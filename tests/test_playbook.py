import dataclasses

import pytest

from assistant.backends import HashingEmbeddings
from assistant.composer import Composer
from assistant.errors import ConfigError
from assistant.facts import ScenarioFacts
from assistant.playbook import KINDS, load_playbook

# The situations the playbook must cover (the issue on the coach's words lists them).
REQUIRED = [
    "harm_now",
    "safety",
    "legal",
    "ethics",
    "dignity",
    "wellbeing",
    "data_incident",
    "authority",
    "cross_team",
    "help_request",
    "reflex_delegation",
    "first_timer",
    "irreversible",
    "capable_owner",
    "visible_moment",
    "growth",
    "experiment",
    "hand_back",
    "debrief",
    "meeting_prep",
]


@pytest.fixture(scope="module")
def moves():
    return load_playbook()


def test_the_playbook_holds_at_least_150_moves_covering_every_required_situation(moves):
    assert len(moves) >= 150
    for kind in REQUIRED:
        assert sum(kind in m.kinds for m in moves) >= 5, kind
    for verdict in ("step_in", "balanced", "step_back"):
        assert sum(verdict in m.verdicts for m in moves) >= 40, verdict


def test_every_move_says_what_to_do_what_to_say_and_what_to_watch_with_examples(moves):
    assert len({m.id for m in moves}) == len(moves)
    for m in moves:
        assert m.when and m.do and m.say and m.watch, m.id
        assert set(m.kinds) <= set(KINDS)
        assert len(m.examples) == 3, m.id


@pytest.mark.parametrize(
    "owner", ["Priya", "your new team lead", "the night shift", "the person who owns it"]
)
def test_every_move_reads_cleanly_whoever_fills_its_slots(moves, owner):
    from assistant.composer import _fill

    facts = ScenarioFacts(owner, "the vendor negotiation", True, True)
    for m in moves:
        for text in (m.do, m.say, m.watch):
            filled = _fill(text, facts)
            assert "{" not in filled and "}" not in filled, (m.id, filled)
            assert not any(bad in filled for bad in ("the your", "the the", "your your"))


def test_a_move_missing_a_field_is_refused_with_the_fix(tmp_path):
    (tmp_path / "bad.md").write_text(
        "# Playbook: test\n\n## Do a thing\n\n*Applies when:* step_in · safety\n"
        "*When:* Always.\n*Do:* It.\n"
    )
    with pytest.raises(ConfigError, match="Say, Watch for|five fields"):
        load_playbook(tmp_path)


def test_a_move_with_an_unknown_kind_or_slot_is_refused(tmp_path):
    (tmp_path / "bad.md").write_text(
        "# Playbook: test\n\n## Do a thing\n\n*Applies when:* step_in · space_travel\n"
        '*When:* Always.\n*Do:* Call {boss}.\n*Say:* "Hi."\n*Watch for:* Nothing.\n'
    )
    with pytest.raises(ConfigError, match="unknown labels or slots"):
        load_playbook(tmp_path)


def test_a_record_is_written_after_the_moves_that_act(moves, tmp_path):
    from assistant.composer import _acts_first

    by_id = {m.id: m for m in moves}
    record, act = by_id["document-facts-not-opinions"], by_id["stop-unsafe-work-on-the-spot"]
    assert record.follows and not act.follows
    assert [m.id for _, m in _acts_first([(0.9, record), (0.5, act)])] == [act.id, record.id]
    (tmp_path / "bad.md").write_text(
        "# Playbook: test\n\n## Do a thing\n\n*Applies when:* step_in · safety\n*Order:* first\n"
        '*When:* Always.\n*Do:* It.\n*Say:* "Hi."\n*Watch for:* Nothing.\n'
    )
    with pytest.raises(ConfigError, match="Order:\\* after"):
        load_playbook(tmp_path)


def test_moves_are_chosen_for_the_verdict_and_never_repeat(moves):
    composer = Composer(moves, [HashingEmbeddings()])
    for verdict in ("step_in", "balanced", "step_back"):
        chosen = composer.choose("My deputy wants to run the budget review alone.", verdict)
        assert 3 <= len(chosen) <= 5
        assert all(verdict in m.verdicts for _, m in chosen)
        assert len({m.id for _, m in chosen}) == len(chosen)


def _move(title: str, act: str = "", when: str = "A crew is working at height unsafely.") -> str:
    same = f"*Same advice as:* {act}\n" if act else ""
    return (
        f"## {title}\n\n*Applies when:* step_in · safety\n{same}*When:* {when}\n"
        f'*Do:* {title}.\n*Say:* "Stop."\n*Watch for:* Drift.\n\n'
    )


def test_an_answer_never_offers_two_moves_that_give_the_same_advice(tmp_path):
    (tmp_path / "p.md").write_text(
        "# Playbook: test\n\n"
        + _move("Stop your crew's unsafe work", "halt-unsafe-work")
        + _move("Stop a contractor's unsafe work", "halt-unsafe-work")
        + _move("Call the safety adviser", when="Unsafe work needs a competent person.")
        + _move("Write up the near miss", when="A near miss happened at height.")
    )
    composer = Composer(load_playbook(tmp_path), [HashingEmbeddings()])
    scenario = "A crew is working at height unsafely right now."
    for lead in ((), ("safety",)):
        ids = [m.id for _, m in composer.choose(scenario, "step_in", lead=lead)]
        assert len(ids) == 3, ids
        assert sum(i.startswith("stop-") for i in ids) == 1, ids


def test_an_answer_led_by_a_move_that_repeats_a_chosen_one_still_has_three_moves(tmp_path):
    def move(title: str, kind: str, act: str = "", when: str = "") -> str:
        text = _move(title, act, when or "A crew is working at height unsafely.")
        return text.replace("step_in · safety", f"step_in · {kind}")

    (tmp_path / "p.md").write_text(
        "# Playbook: test\n\n"
        + move("Stop your crew's unsafe work", "harm_now", "halt-unsafe-work")
        + move("Clear the area at height", "harm_now", when="Work at height.")
        + move("Count the crew at height", "harm_now", when="A crew at height.")
        + move("Stop a contractor's hazard", "safety", "halt-unsafe-work", "A van blocks a lane.")
        + move("Check the harness of the crew", "harm_now", when="A harness.")
    )
    composer = Composer(load_playbook(tmp_path), [HashingEmbeddings()], per_answer=3)
    scenario = "A crew is working at height unsafely."
    ids = [m.id for _, m in composer.choose(scenario, "step_in", lead=("safety",))]
    assert ids[0] == "stop-a-contractor-s-hazard"
    assert len(ids) == 3 and "stop-your-crew-s-unsafe-work" not in ids, ids


def test_no_answer_from_the_shipped_playbook_repeats_an_act(moves):
    composer = Composer(moves, [HashingEmbeddings()])
    for scenario in (
        "The scaffold on the east wall has no inspection tag and a crew is on it now.",
        "I took over the client escalation last week; the account is stable again.",
        "My deputy ran the quarterly review and it went well; what now?",
    ):
        for verdict in ("step_in", "balanced", "step_back"):
            chosen = [m for _, m in composer.choose(scenario, verdict)]
            for i, a in enumerate(chosen):
                assert not any(a.repeats(b) for b in chosen[i + 1 :]), [m.id for m in chosen]


def test_an_act_named_by_one_move_only_is_refused_as_a_misspelling(tmp_path):
    (tmp_path / "p.md").write_text(
        "# Playbook: test\n\n"
        + _move("Stop it", "halt-unsafe-work")
        + _move("Halt it", "halt-work")
    )
    with pytest.raises(ConfigError, match="halt-unsafe-work, halt-work"):
        load_playbook(tmp_path)


def test_move_relevance_counts_chosen_moves_a_reader_marked_good_or_wrong(moves):
    from assistant.assessment import Assessment
    from assistant.move_eval import has_move_labels, move_relevance

    composer = Composer(moves, [HashingEmbeddings()])
    scenario = "My deputy wants to run the budget review alone."
    chosen = [m.id for _, m in composer.choose(scenario, "step_back")]
    rows = [
        {"scenario": scenario, "label": "step_back", "good": chosen[:2], "wrong": chosen[2:3]},
        {"scenario": scenario, "label": "step_back", "good": chosen, "wrong": []},
    ]

    def assess(text: str) -> Assessment:
        return Assessment("step_in", 0.9, [], {"step_in": 0.9})

    assert has_move_labels(rows) and not has_move_labels([{"scenario": scenario}])
    result = move_relevance(rows, composer, assess, gold_verdict=True)
    n = len(chosen)
    assert result["precision"] == round((2 + n) / (2 * n), 4)
    assert result["wrong_rate"] == round(1 / (2 * n), 4)
    assert result["all_moves_good"] == 0.5
    assert result["first_move_good"] == 1.0
    assert result["misses"][0]["not_good"] == chosen[2:]
    # Without the labelled verdict the assessor's step_in decides, and other moves are chosen.
    assert move_relevance(rows, composer, assess)["precision"] < result["precision"]


def test_a_ranker_learnt_from_labelled_choices_prefers_the_moves_readers_marked_good(moves):
    from assistant.move_eval import move_relevance
    from assistant.move_ranker import load_choices
    from assistant.signals import detect_signals

    choices = load_choices()
    learnt = Composer(moves, [HashingEmbeddings()], choices=choices)
    hand_set = Composer(moves, [HashingEmbeddings()])
    learnt.warm_up()
    assert learnt.ranker is not None and hand_set.ranker is None

    def assess(text: str):
        from assistant.assessment import Assessment

        return Assessment("balanced", 0.5, detect_signals(text), {})

    sample = choices[:30]
    ours = move_relevance(sample, learnt, assess, gold_verdict=True)
    before = move_relevance(sample, hand_set, assess, gold_verdict=True)
    assert ours["precision"] > before["precision"]
    assert 3 <= ours["moves_per_answer"] <= 5


def test_the_ranker_reads_which_moves_readers_chose_for_the_nearest_labelled_scenarios(moves):
    import numpy as np

    from assistant.move_ranker import NEIGHBOURS, Evidence, MoveRanker

    ranker = MoveRanker(moves)
    step_in = [i for i, m in enumerate(moves) if "step_in" in m.verdicts]
    safeguarding = next(i for i, m in enumerate(moves) if m.id.startswith("refer-safeguarding"))
    dim = NEIGHBOURS + 2
    vectors = np.eye(dim)  # each labelled scenario in a direction of its own
    choices = [
        {"scenario": f"labelled {n}", "label": "step_in", "good": [moves[safeguarding].id]}
        for n in range(2)
    ] + [
        {"scenario": f"labelled {n}", "label": "step_in", "good": [moves[step_in[0]].id]}
        for n in range(2, dim)
    ]
    by_text = {c["scenario"]: vectors[n] for n, c in enumerate(choices)}

    def evidence_for(text: str) -> Evidence:
        fits = [np.zeros(len(moves))]
        return Evidence(fits, frozenset(), frozenset(), vector=by_text.get(text, vectors[0]))

    ranker.fit(choices, evidence_for)
    near_first = (vectors[0] * 0.9 + vectors[2] * 0.1) / np.linalg.norm([0.9, 0.1])
    probe = evidence_for("new")
    probe = Evidence(probe.fits, frozenset(), frozenset(), vector=near_first)
    columns = ranker._neighbours(probe, leave_out=None)
    assert columns[safeguarding, 1] > 0.99  # the nearest labelled scenario chose it
    assert columns[safeguarding, 0] > columns[step_in[0], 0]
    # While learning, a labelled scenario is not its own neighbour.
    alone = ranker._neighbours(evidence_for("labelled 0"), leave_out=0)
    assert alone[safeguarding, 1] == 0.0


def test_another_playbook_is_ranked_by_the_hand_set_weights(fake_settings, tmp_path):
    import shutil

    from assistant.backends import make_embeddings
    from assistant.playbook import DEFAULT_PLAYBOOK_DIR
    from assistant.wiring import build_composer

    own = tmp_path / "playbook"
    shutil.copytree(DEFAULT_PLAYBOOK_DIR, own)
    packaged = build_composer(fake_settings, make_embeddings(fake_settings), None)
    other = build_composer(
        fake_settings.model_copy(update={"playbook_dir": own}), make_embeddings(fake_settings), None
    )
    packaged.warm_up()
    other.warm_up()
    assert packaged.ranker is not None and other.ranker is None


def test_an_answer_that_asks_first_says_which_answer_would_move_its_lean_where(moves):
    from assistant.assessment import AUTHORITY_QUESTION, HINGES, Assessment

    composer = Composer(moves, [HashingEmbeddings()])
    asking = Assessment("balanced", 0.5, [], {}, clarifying_question=AUTHORITY_QUESTION)
    plan = composer.compose("Our warehouse team wants to switch to four ten-hour days.", asking)
    assert plan.question == AUTHORITY_QUESTION
    assert plan.why == [HINGES[AUTHORITY_QUESTION]]
    assert "step in" in plan.why[0] and "let them lead" in plan.why[0]


def test_a_verb_after_the_work_agrees_with_a_plural_work():
    from assistant.composer import _fill
    from assistant.facts import read_facts

    plural = read_facts("Siobhan wants to run the tech rehearsals for the new show.")
    assert _fill("If {task} goes badly, say so.", plural) == (
        "If the tech rehearsals go badly, say so."
    )
    single = read_facts("Siobhan wants to run the analysis for the new show.")
    assert _fill("If {task} goes badly, say so.", single) == "If the analysis goes badly, say so."
    # After a preposition the work is not the subject: the decision is.
    assert _fill("The decision on {task} is theirs.", plural) == (
        "The decision on the tech rehearsals is theirs."
    )


def test_a_verdict_no_phrase_decided_is_explained_by_the_facts_the_table_read(moves):
    from assistant.assessment import Assessment

    composer = Composer(moves, [HashingEmbeddings()])
    facts = {"authority": "within", "readiness": "ready", "stakes": "visible_new"}
    read = Assessment("balanced", 0.9, [], {}, factors=facts)
    why = composer.compose("Siobhan wants to run the tech rehearsals.", read).why
    assert why == [
        "By the coach's rules: it is theirs to decide, the owner is ready for it and the moment "
        "is new or visible, so let them lead but stay close."
    ]
    # Facts whose table gives another verdict do not explain this one.
    other = Assessment("step_back", 0.9, [], {}, factors=facts)
    assert "By the coach's rules" not in " ".join(composer.compose("x y z", other).why)


def test_a_step_in_is_explained_only_by_the_facts_that_call_for_it(moves):
    from assistant.assessment import Assessment

    composer = Composer(moves, [HashingEmbeddings()])
    facts = {"harm_now": "yes", "authority": "within", "readiness": "ready"}
    read = Assessment("step_in", 0.9, [], {}, factors=facts)
    why = composer.compose("Siobhan wants to run the tech rehearsals.", read).why
    assert why == ["By the coach's rules: someone may be harmed now, so step in."]


def test_a_capable_owner_is_not_weighed_against_staying_close_but_is_against_stepping_in(moves):
    from assistant.assessment import Assessment
    from assistant.signals import detect_signals

    composer = Composer(moves, [HashingEmbeddings()])
    text = "Ines is very experienced and presents our results to the board next week."
    signals = [s for s in detect_signals(text) if s.name == "competence"]
    assert signals and signals[0].direction == "step_back"
    facts = {"authority": "within", "readiness": "ready", "stakes": "visible_new"}
    close = Assessment("balanced", 0.9, signals, {}, factors=facts)
    assert not any(line.startswith("Weighed against") for line in composer.compose(text, close).why)
    step_in = Assessment("step_in", 0.9, signals, {})
    assert "Weighed against it: the owner is capable" in " ".join(
        composer.compose(text, step_in).why
    )


def test_high_stakes_are_not_weighed_against_staying_close_but_are_against_stepping_back(moves):
    from assistant.assessment import Assessment
    from assistant.signals import detect_signals

    composer = Composer(moves, [HashingEmbeddings()])
    text = (
        "Our team lead ran the last two vendor renewals well. This one is a three-year, "
        "two-million commitment we cannot exit."
    )
    signals = [s for s in detect_signals(text) if s.name == "stakes"]
    assert signals and signals[0].direction == "step_in"
    close = Assessment("balanced", 0.9, signals, {})
    assert not any(line.startswith("Weighed against") for line in composer.compose(text, close).why)
    back = Assessment("step_back", 0.9, signals, {})
    assert any(line.startswith("Weighed against") for line in composer.compose(text, back).why)


def test_experience_said_of_other_people_is_not_weighed_as_the_owners(moves):
    from assistant.assessment import Assessment
    from assistant.signals import detect_signals

    composer = Composer(moves, [HashingEmbeddings()])
    text = (
        "Our practice manager, Dana, has tried three scheduling tools for the rota. Two of the "
        "senior vets still refuse Sunday shifts, and she asked me to step in."
    )
    signals = detect_signals(text)
    assert any(s.name == "competence" and s.direction == "step_back" for s in signals)
    why = composer.compose(text, Assessment("step_in", 0.9, signals, {})).why
    assert not any("senior vets" in line for line in why)
    ready = "Dana has tried three tools. She is very experienced with rotas."
    why = composer.compose(ready, Assessment("step_in", 0.9, detect_signals(ready), {})).why
    assert any(line.startswith("Weighed against it: the owner is capable") for line in why)


def test_when_a_row_of_the_table_decides_the_first_move_answers_it_and_the_why_says_it_once(
    moves,
):
    from assistant.assessment import Assessor

    text = (
        "Our events team wants to move the conference to a cheaper venue. They know the "
        "logistics cold. Any contract over £100k needs sign-off from the finance committee."
    )
    assessment = Assessor(None).assess(text)
    assert assessment.verdict == "step_in" and assessment.row_kinds == ("authority",)
    # As when the row overrode a model that leant the other way: its note joins the signal's line.
    row_note = (
        "It needs a decision or sign-off from beyond the team: that calls for stepping in, "
        "taking it to whoever can give it."
    )
    assessment = dataclasses.replace(assessment, notes=[row_note])
    plan = Composer(moves, [HashingEmbeddings()]).compose(text, assessment)
    assert "authority" in plan.moves[0].kinds
    beyond = [line for line in plan.why if "beyond the team" in line]
    assert len(beyond) == 1 and "whoever can give it" in beyond[0]
    assert plan.facts.owner == "your events team"


def test_the_kinds_of_the_deciding_row_lead_whatever_else_the_moves_fit(moves):
    composer = Composer(moves, [HashingEmbeddings()])
    text = "The crew want to swap the order of the jobs this week."
    unled = composer.choose(text, "step_in", ["first_timer"])
    led = composer.choose(text, "step_in", ["first_timer"], lead=("authority",))
    assert "authority" not in unled[0][1].kinds
    assert "authority" in led[0][1].kinds
    assert len(led) == len(unled)


def test_a_quoted_clause_opening_with_a_common_word_is_lowered_but_a_name_keeps_its_capital():
    from assistant.composer import _evidence

    assert _evidence("Any contract over £100k needs sign-off.") == (
        "any contract over £100k needs sign-off"
    )
    assert _evidence("Nobody has checked the rota.") == "nobody has checked the rota"
    assert _evidence("Fleming wants to run it.") == "Fleming wants to run it"
    assert (
        _evidence("She's been a sister for eight years.") == "she's been a sister for eight years"
    )
    assert _evidence("Don't want to seem like I'm checking up on her.") == (
        "don't want to seem like you're checking up on her"
    )


def test_a_chat_greeting_is_not_said_back_as_part_of_the_situation():
    from assistant.composer import _evidence

    assert _evidence("hey quick one - my dev team wants to switch our CI") == (
        "your dev team wants to switch your CI"
    )
    assert _evidence("Hi all, Priya is leading it.") == "Priya is leading it"
    assert _evidence("Dear coach, an associate sent the draft.") == "an associate sent the draft"
    assert _evidence("lol so our intern emailed the salary sheet") == (
        "your intern emailed the salary sheet"
    )
    # Only a lead-in that ends in a mark is dropped, not a question that starts a sentence.
    assert _evidence("Question for you: should I step in?") == (
        "Question for you: should you step in"
    )


def test_where_someone_may_be_harmed_the_headline_steps_in_on_the_harm_not_their_task(moves):
    from assistant.assessment import HARM_NOTE, Assessment
    from assistant.harm import HarmReading

    text = "Ana is working alone with acid at night. She needs the data for a deadline."
    harm = HarmReading(0.97, "likely", "Ana is working alone with acid at night.")
    read = Assessment("step_in", 0.9, [], {}, notes=[f"{HARM_NOTE} (97%)"], harm=harm)
    headline = Composer(moves, [HashingEmbeddings()]).compose(text, read).headline
    assert headline.startswith("Step in now: Ana is working alone with acid at night")


def test_the_harm_line_quotes_the_fact_without_the_words_that_only_lead_into_it(moves):
    from assistant.assessment import HARM_NOTE, Assessment
    from assistant.harm import HarmReading

    told = "Only thing is Ana has been working alone with acid at night."
    text = f"Ana wants to run the lab rota herself. {told}"
    read = Assessment(
        "step_in",
        0.9,
        [],
        {},
        notes=[f"{HARM_NOTE} (97%)"],
        harm=HarmReading(0.97, "likely", told),
    )
    why = Composer(moves, [HashingEmbeddings()]).compose(text, read).why
    assert "“Ana has been working alone with acid at night”" in why[0]


def test_a_harm_of_another_kind_than_the_kind_reader_found_is_not_claimed_from_one_word(moves):
    from assistant.assessment import HARM_NOTE, Assessment
    from assistant.composer import _HARM_KINDS
    from assistant.harm import HarmReading
    from assistant.situations import KIND_MEANING

    text = (
        "One of my PhD students is working alone at night with hydrofluoric acid. "
        "She says she needs the data for a deadline."
    )
    harm = HarmReading(0.97, "likely", text.split(". ")[0])
    composer = Composer(moves, [HashingEmbeddings()], harm_reader=lambda s: harm)
    harmed = composer.harm_kinds(text, harm)
    read = Assessment("step_in", 0.9, [], {}, notes=[f"{HARM_NOTE} (97%)"], harm=harm)
    why = composer.compose(text, read).why
    others = [KIND_MEANING[k] for k in _HARM_KINDS - set(harmed)]
    assert harmed and not any(line.startswith(tuple(others)) for line in why[1:])


def test_the_leaders_own_experience_is_not_said_to_show_a_capable_owner(moves):
    from assistant.assessment import Assessment

    text = (
        "My son wants to switch feed suppliers; the vet is happy and it is month to month. "
        "I've used the old supplier for 20 years."
    )
    why = Composer(moves, [HashingEmbeddings()]).compose(text, Assessment("step_back", 0.9, [], {}))
    assert not any("20 years" in line for line in why.why)


def test_a_debrief_offered_before_the_event_is_said_as_what_to_do_once_it_is_done(tmp_path):
    from assistant.assessment import Assessment

    (tmp_path / "two.md").write_text(
        "# Playbook: test\n\n"
        "## Thank them for the test\n\n*Applies when:* step_back · experiment, debrief\n"
        "*When:* A test has ended.\n*Do:* Thank {owner} for running a clean test.\n"
        '*Say:* "We now know something we did not know a month ago."\n*Watch for:* Blame.\n\n'
        "## Fix a stop date\n\n*Applies when:* step_back · experiment\n"
        "*When:* A test is proposed.\n*Do:* Agree an end date with {owner}.\n"
        '*Say:* "Run it to the date we agreed."\n*Watch for:* Drift.\n'
    )
    composer = Composer(load_playbook(tmp_path), [HashingEmbeddings()])
    read = Assessment("step_back", 0.9, [], {})
    ahead = composer.compose("Priya wants to test a new email template next week.", read)
    thanks = next(m for m in ahead.moves if "debrief" in m.kinds)
    assert thanks.do.startswith("Once it is done: thank Priya")
    assert ahead.say == "Run it to the date we agreed."
    done = composer.compose("Priya ran her email template test last week; it flopped.", read)
    assert next(m for m in done.moves if "debrief" in m.kinds).do.startswith("Thank ")


def test_a_verb_after_a_plural_owner_agrees_with_it_but_not_after_one_of_them():
    from assistant.composer import _fill

    pickers = ScenarioFacts(
        owner="your pickers", task="the layout", owner_found=True, task_found=True
    )
    assert (
        _fill("Make sure {owner} tells the team.", pickers)
        == "Make sure your pickers tell the team."
    )
    one = dataclasses.replace(pickers, owner="one of your pickers")
    assert _fill("Make sure {owner} tells the team.", one) == (
        "Make sure one of your pickers tells the team."
    )
    head = dataclasses.replace(pickers, owner="your head of maths")
    assert _fill("Make sure {owner} tells the team.", head) == (
        "Make sure your head of maths tells the team."
    )


def test_an_owner_named_like_the_templates_other_party_is_said_once():
    from assistant.composer import _fill

    team = ScenarioFacts(owner="the team", task="the rota", owner_found=True, task_found=True)
    assert _fill("Make sure it is {owner} or the team who reopens it.", team) == (
        "Make sure it is the team who reopens it."
    )
    priya = dataclasses.replace(team, owner="Priya")
    assert _fill("Make sure it is {owner} or the team who reopens it.", priya) == (
        "Make sure it is Priya or the team who reopens it."
    )


def test_a_work_named_like_the_templates_own_noun_is_said_once():
    from assistant.composer import _fill

    facts = ScenarioFacts(
        owner="the product team", task="the decision", owner_found=True, task_found=True
    )
    assert _fill("Say that the decision on {task} is theirs.", facts) == (
        "Say that the decision is theirs."
    )


def test_harm_the_harm_check_ruled_out_is_not_weighed_against_the_verdict(moves):
    from assistant.assessment import Assessment
    from assistant.harm import HarmReading
    from assistant.signals import Signal

    text = "Our comms lead is running the notices for a planned power shutdown next month."
    urgent = [Signal("urgency", "step_in", "a planned power shutdown next month")]
    composer = Composer(moves, [HashingEmbeddings()])
    none = Assessment("balanced", 0.9, urgent, {}, harm=HarmReading(0.01, "none"))
    assert not any("Weighed against" in line for line in composer.compose(text, none).why)
    unread = Assessment("balanced", 0.9, urgent, {})
    assert any("Weighed against" in line for line in composer.compose(text, unread).why)


def test_no_move_for_harm_happening_now_is_offered_when_the_coach_reads_no_harm(moves):
    from assistant.assessment import Assessment
    from assistant.harm import HarmReading
    from assistant.signals import detect_signals

    text = (
        "My analyst has been stuck on the forecast model for two days, tried the obvious "
        "fixes, and has asked me for help. The totals keep drifting and nobody can see why."
    )
    composer = Composer(moves, [HashingEmbeddings()])
    no_harm = Assessment(
        "step_in", 0.9, detect_signals(text), {}, harm=HarmReading(0.02, "none", None)
    )
    possible = dataclasses.replace(no_harm, harm=HarmReading(0.4, "possible", None))
    assert not any("harm_now" in m.kinds for m in composer.compose(text, no_harm).moves)
    scored = composer.choose(text, "step_in", no_harm_now=False)
    assert any("harm_now" in m.kinds for _, m in scored), "the filter, not the ranking, excludes"
    assert composer.compose(text, possible).moves  # a possible harm keeps every move open


def test_while_harm_is_happening_the_move_that_stops_it_is_said_first(moves):
    from assistant.composer import _safe_first

    by_id = {m.id: m for m in moves}
    chosen = [
        (0.83, by_id["get-the-safety-adviser-to-see-it"]),
        (0.78, by_id["stop-unsafe-work-on-the-spot"]),
        (0.58, by_id["protect-whoever-raised-the-alarm"]),
    ]
    acting = [m.id for _, m in _safe_first(chosen, harm_now=True)]
    assert acting == [
        "stop-unsafe-work-on-the-spot",
        "get-the-safety-adviser-to-see-it",
        "protect-whoever-raised-the-alarm",
    ]
    assert _safe_first(chosen, harm_now=False) == chosen  # otherwise the ranking's order


def test_telling_the_boss_is_never_brought_ahead_of_the_move_that_stops_the_harm(moves):
    from assistant.composer import _safe_first

    by_id = {m.id: m for m in moves}
    chosen = [
        (0.9, by_id["tell-your-boss-before-they-hear-it"]),  # of the kind harm_now, stops nothing
        (0.8, by_id["refuse-to-falsify-and-say-why"]),
        (0.7, by_id["stop-the-damage-before-gathering-facts"]),
    ]
    acting = [m.id for _, m in _safe_first(chosen, harm_now=True)]
    assert acting == [
        "stop-the-damage-before-gathering-facts",
        "tell-your-boss-before-they-hear-it",
        "refuse-to-falsify-and-say-why",
    ]
    nothing_stops = chosen[:2]  # a backdated certificate: the refusal keeps its place
    assert _safe_first(nothing_stops, harm_now=True) == nothing_stops


def test_aftercare_for_someone_already_hurt_never_comes_before_the_moves_that_make_it_safe(moves):
    from assistant.composer import _safe_first

    by_id = {m.id: m for m in moves}
    chosen = [
        (0.9, by_id["check-on-whoever-is-closest-to-it"]),  # "Once the immediate danger is ..."
        (0.8, by_id["stay-with-someone-in-immediate-danger"]),
        (0.7, by_id["stop-unsafe-work-on-the-spot"]),
    ]
    acting = [m.id for _, m in _safe_first(chosen, harm_now=True)]
    assert acting == [
        "stay-with-someone-in-immediate-danger",
        "stop-unsafe-work-on-the-spot",
        "check-on-whoever-is-closest-to-it",
    ]
    without = [chosen[0], chosen[1]]  # nothing for a harm still going on: the order stands
    without[1] = (0.8, by_id["tell-your-boss-before-they-hear-it"])
    assert _safe_first(without, harm_now=True) == without


def test_the_headline_does_not_say_back_a_sentence_that_only_restates_who_and_what(moves):
    from assistant.assessment import Assessment

    text = "Our warehouse team wants to switch the picking route to a new zone layout next week."
    read = Assessment("step_back", 0.9, [], {}, weightiest=text)
    headline = Composer(moves, [HashingEmbeddings()]).compose(text, read).headline
    assert headline == "Step back and let your warehouse team switch the picking route."


def test_a_clause_cut_from_inside_someone_s_quoted_words_is_said_back_as_their_words():
    from assistant.composer import _evidence

    scenario = (
        "Last night he sent the section a group text: 'look after each other lads, "
        "I'm signing off for good.' He isn't answering calls."
    )
    assert _evidence("I'm signing off for good", scenario) == "I'm signing off for good"
    # The leader's own words around the quote are still turned to them.
    assert _evidence("He isn't answering my calls", scenario) == "he isn't answering your calls"


def test_a_clause_said_back_drops_the_link_to_the_clause_before_it():
    from assistant.composer import _evidence

    assert _evidence("but the school's head is well known") == "the school's head is well known"
    assert _evidence("and I'm worried") == "you're worried"
    assert _evidence("Butch wants to run it") == "Butch wants to run it"


def test_a_headline_that_says_back_someone_else_s_words_puts_them_in_quotes():
    from assistant.assessment import Assessment
    from assistant.composer import Composer
    from assistant.facts import ScenarioFacts
    from assistant.signals import Signal

    scenario = "He texted the section: 'look after each other lads, I'm signing off for good.'"
    said = Signal("stakes", "step_in", "I'm signing off for good", 1.0)
    inside = Assessment(verdict="step_in", confidence=0.9, signals=[said], probabilities={})
    facts = ScenarioFacts(
        owner="the person who owns it", task="this", owner_found=False, task_found=False
    )
    assert Composer._headline(inside, facts, scenario=scenario) == (
        "Step in now: “I'm signing off for good”."
    )
