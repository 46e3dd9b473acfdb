"""Where a harm is in time decides which moves fit: "stop the work" while it goes on, "tell the
people affected" once it has reached someone."""

import json

import numpy as np
import pytest

from assistant.composer import situation_kinds
from assistant.errors import ConfigError
from assistant.harm_stage import (
    HANDLED_FROM,
    NOT_ONGOING_BELOW,
    NOT_REACHED_BELOW,
    HarmStage,
    StageReading,
    load_harm_stage,
)
from assistant.playbook import NEEDS, load_playbook

from .conftest import ROOT

WORDS = ["now", "still", "yesterday", "last", "hurt", "customers", "next", "month"]


def bag_of_words(texts):
    return np.array([[float(w in t.lower()) for w in WORDS] for t in texts])


ROWS = [
    {"scenario": f"{text} case {i}", "ongoing": ongoing, "reached": reached, "handled": handled}
    for i in range(8)
    for text, ongoing, reached, handled in (
        ("the leak is still going on now and customers are hurt", True, True, False),
        ("the crew is still up there now", True, False, False),
        ("yesterday a customer was hurt, last thing we did was call", False, True, True),
        ("next month we plan the move", False, False, False),
    )
]


def test_each_fact_is_learnt_from_scenarios_labelled_with_it():
    stage = HarmStage().fit(ROWS, bag_of_words)

    def read(text):
        return stage.read(text, bag_of_words([text])[0])

    live = read("the crew is still up there now case 9")
    over = read("yesterday a customer was hurt, last thing we did was call case 9")
    assert live.ongoing > 0.5 > live.reached
    assert over.reached > 0.5 > over.ongoing
    assert over.handled > 0.5 > live.handled


def test_a_move_is_left_out_only_when_the_reader_is_sure_its_harm_is_elsewhere_in_time():
    nothing_yet = StageReading(ongoing=0.9, reached=NOT_REACHED_BELOW / 2)
    assert nothing_yet.allows("ongoing") and not nothing_yet.allows("reached")
    over = StageReading(ongoing=NOT_ONGOING_BELOW / 2, reached=0.9)
    assert over.allows("reached") and not over.allows("ongoing")
    unsure = StageReading(ongoing=NOT_ONGOING_BELOW, reached=NOT_REACHED_BELOW)
    assert unsure.allows("ongoing") and unsure.allows("reached")
    assert StageReading(0.0, 0.0).allows("")
    # Several stages: each must be allowed (someone in danger now).
    assert unsure.allows("ongoing, reached")
    assert not nothing_yet.allows("ongoing, reached") and not over.allows("ongoing, reached")


def test_a_move_for_a_harm_already_dealt_with_needs_the_reader_sure_it_is_over_and_handled():
    assert StageReading(ongoing=0.1, reached=0.9, handled=HANDLED_FROM).allows("handled")
    assert not StageReading(ongoing=0.1, reached=0.9, handled=HANDLED_FROM - 0.01).allows("handled")
    assert not StageReading(ongoing=NOT_ONGOING_BELOW, reached=0.9, handled=0.99).allows("handled")


def test_the_fitted_reader_is_kept_in_the_cache_folder(tmp_path):
    calls = []

    def encode(texts):
        calls.append(len(texts))
        return bag_of_words(texts)

    bank = tmp_path / "bank.jsonl"
    bank.write_text("\n".join(json.dumps(r) for r in ROWS))
    load_harm_stage(encode, ["fake"], tmp_path, bank)
    load_harm_stage(encode, ["fake"], tmp_path, bank)
    assert len(calls) == 1 and list(tmp_path.glob("harm-stage-*.pkl"))


def test_a_playbook_move_may_say_which_stage_it_needs_and_no_other(tmp_path):
    move = (
        "## Tell them\n\n*Applies when:* step_in · ethics\n*Needs:* {needs}\n*When:* w.\n"
        "*Examples:* a | b | c\n*Do:* d.\n*Say:* s.\n*Watch for:* x.\n"
    )
    (tmp_path / "a.md").write_text(move.format(needs="reached"))
    assert load_playbook(tmp_path)[0].needs == "reached"
    (tmp_path / "a.md").write_text(move.format(needs="tomorrow"))
    with pytest.raises(ConfigError, match="not a stage"):
        load_playbook(tmp_path)


def test_the_playbooks_stage_bound_moves_are_the_ones_for_live_harm_and_harm_done():
    needs = {m.id: m.stages for m in load_playbook() if m.needs}
    assert needs["stop-unsafe-work-on-the-spot"] == ("ongoing",)
    assert needs["tell-the-people-affected-promptly-and-plainly"] == ("reached",)
    assert needs["let-them-lead-the-review-of-what-happened"] == ("handled",)
    # A person in danger now: the harm still goes on and has reached them.
    assert needs["stay-with-someone-in-immediate-danger"] == ("ongoing", "reached")
    assert {s for stages in needs.values() for s in stages} == set(NEEDS)


# Written blind to the banks and the project by a helper in session 26 (120, sha256
# dfba13e0...; the 19 within cosine 0.6 of a training bank left out): 30 of each combination.
# Read once with the reader as chosen by cross-validation on the stage bank: 0.980 / 0.891.
STAGE_FLOORS = {"ongoing": 0.95, "reached": 0.85}


@pytest.mark.slow
def test_the_stage_is_read_right_on_scenarios_written_blind(real_coach):
    rows = [json.loads(line) for line in (ROOT / "eval" / "stage_blind.jsonl").open()]
    read = [real_coach.composer.harm_stage(r["scenario"]) for r in rows]
    for fact, floor in STAGE_FLOORS.items():
        right = [(getattr(s, fact) >= 0.5) == r[fact] for s, r in zip(read, rows, strict=True)]
        assert sum(right) / len(rows) >= floor, fact


@pytest.mark.slow
def test_nobody_is_told_to_inform_the_people_affected_before_anyone_is(real_coach):
    composer = real_coach.composer
    scenario = (
        "A contractor just told me the scaffolding on the east wall went up without its "
        "inspection sign-off, and a crew is working on it now. The site lead says it's fine."
    )
    assessment = real_coach.assessor.assess(scenario)
    harmed = composer.harm_kinds(scenario, assessment.harm)
    kinds, cues = situation_kinds(scenario, assessment.signals)

    def chosen(stage):
        picked = composer.choose(scenario, "step_in", kinds, cues, harmed, harmed, stage=stage)
        return {m.id for _, m in picked}

    stage = composer.harm_stage(scenario)
    assert stage is not None and stage.ongoing >= 0.5 and not stage.allows("reached")
    # The harm's kinds (a legal duty) make the move a candidate; the stage rules it out. (Until
    # session 39 the ranking also chose it without the stage; what readers chose for the
    # nearest labelled scenarios no longer does.)
    tell = next(
        m for m in composer.moves if m.id == "tell-the-people-affected-promptly-and-plainly"
    )
    assert set(tell.kinds) & set(harmed) and not stage.allows(tell.needs)
    assert tell.id not in chosen(stage)
    plan = composer.compose(scenario, assessment)
    assert plan.moves[0].id == "stop-unsafe-work-on-the-spot"


# 48 scenarios written blind by a helper in session 26 (harm still happening, over, only a
# risk, or none), their moves labelled good or wrong by another helper who never saw the
# composer's choices (sha256 ab204ebb...); the 14 within cosine 0.6 of a training bank are
# left out. Measured 0.365 good and 0.019 wrong (0.361 and 0.037 without the stage reader).
@pytest.mark.slow
def test_moves_fit_where_the_harm_is_in_time_on_scenarios_labelled_blind(real_coach):
    from assistant.move_eval import move_relevance

    rows = [json.loads(line) for line in (ROOT / "eval" / "moves_fresh.jsonl").open()]
    result = move_relevance(rows, real_coach.composer, real_coach.assessor.assess)
    assert result["precision"] >= 0.33
    assert result["wrong_rate"] <= 0.03


def test_the_headline_of_an_incident_dealt_with_leaves_the_follow_up_with_whoever_handled_it():
    from assistant.assessment import Assessment
    from assistant.composer import Composer
    from assistant.facts import ScenarioFacts

    facts = ScenarioFacts(owner="the team leader", task="this", owner_found=True, task_found=False)
    back = Assessment(verdict="step_back", confidence=0.8, signals=[], probabilities={})
    assert Composer._headline(back, facts, dealt=True) == (
        "It has been dealt with: step back and leave the follow-up with the team leader."
    )
    assert "dealt with" not in Composer._headline(back, facts)
    inside = Assessment(verdict="step_in", confidence=0.8, signals=[], probabilities={})
    assert "dealt with" not in Composer._headline(inside, facts, dealt=True)
