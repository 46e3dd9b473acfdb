import json
from pathlib import Path

import jsonschema
import pytest

from assistant.domain import Advice
from assistant.prep import MeetingRequest, prepare, to_markdown
from assistant.web import prep_handler

ADVICE_SCHEMA = Advice.model_json_schema()

REPLY = (
    "Let her run the review and stay in the room; agree a signal so the team knows "
    "she owns the decision."
)


@pytest.fixture
def coach(make_coach):
    return make_coach(REPLY, repeat=20)


REQUEST = MeetingRequest(
    meeting="Quarterly review with our largest client, who is unhappy about delays",
    people="Maya, our new account lead",
    experience="first month in the role, never met this client",
    stakes="a renewal worth a third of our revenue",
    worries="she may promise dates the team cannot meet",
)


def test_advice_objects_validate_against_the_schema(coach):
    for scenario in (
        "My veteran engineer wants to own the routine release; we can roll back in a minute.",
        "A supervisor is humiliating a new hire in front of the whole shift right now.",
        "Someone on my team wants to change how we plan.",
    ):
        jsonschema.validate(json.loads(json.dumps(coach.advise(scenario).as_dict())), ADVICE_SCHEMA)


def test_an_advice_object_missing_a_field_fails_the_schema(coach):
    advice = coach.advise("My deputy wants to lead the board meeting.").as_dict()
    del advice["citations"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(advice, ADVICE_SCHEMA)


def test_meeting_prep_gives_a_verdict_and_every_part_of_the_plan(coach):
    plan = prepare(coach, REQUEST)
    assert plan.advice.verdict in {"step_in", "balanced"}
    assert plan.role and plan.opening_line and plan.hand_back and plan.follow_up
    assert 3 <= len(plan.questions) <= 5
    assert any("promise dates" in t for t in plan.tripwires)
    assert "Maya" in plan.opening_line or "Maya" in plan.hand_back


def test_the_brief_is_markdown_with_every_section(coach):
    brief = to_markdown(prepare(coach, REQUEST))
    for heading in (
        "# Meeting brief",
        "## Your role in the room",
        "## Opening line",
        "## Questions to ask",
        "## Tripwires",
        "## Handing control back",
        "## Follow-up",
        "## Sources",
    ):
        assert heading in brief


def test_the_prep_tab_handler_returns_the_plan_and_a_downloadable_file(coach):
    markdown, path = prep_handler(coach)(
        REQUEST.meeting, REQUEST.people, REQUEST.experience, REQUEST.stakes, REQUEST.worries
    )
    assert "Verdict" in markdown
    assert path and path.endswith(".md")
    assert Path(path).read_text(encoding="utf-8").startswith("# Meeting brief")


def test_the_prep_tab_asks_for_a_meeting_first(coach):
    markdown, path = prep_handler(coach)("  ", "", "", "", "")
    assert "Describe the meeting" in markdown and path is None
