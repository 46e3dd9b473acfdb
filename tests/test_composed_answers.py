"""What a person reads from the embedded default: checked on real model output, not fixtures."""

import pytest

from assistant.answer_quality import strip_quoted
from assistant.quality import clean_quote, degenerate, specificity

pytestmark = pytest.mark.slow

# Written for this test; none is taken from the scenario bank or an evaluation set.
SCENARIOS = [
    "Our night-shift warehouse lead, Tomasz, told me two pickers have worked twelve-hour "
    "shifts nine days in a row, and one nearly drove a forklift into the racking this morning.",
    "My finance analyst Aisha has rebuilt our monthly cash report three times and it is fine "
    "each time; she wants to change the layout again before Friday's internal review, which "
    "only our own team sees.",
    "Our lead designer is presenting the new brand to the whole company at Thursday's "
    "all-hands. She is great with clients but has never spoken to three hundred people at once.",
    "A supplier's account manager keeps calling my junior buyer Leo 'sweetheart' on calls and "
    "put a hand on his shoulder at the trade fair. Leo laughed it off but asked to skip the "
    "next visit.",
    "Marketing and legal have argued for three weeks over the wording of our product claims. "
    "The launch is in ten days and neither head will budge.",
    "My deputy head teacher, Grace, will chair her first disciplinary hearing on Monday. A "
    "teacher may be dismissed and she has not read the procedure yet.",
    "My senior nurse Ewan brings me every rota swap to approve, even though he has full "
    "authority to agree them himself.",
    "A volunteer at our food bank told me another volunteer has been taking tins home at the "
    "end of each shift.",
]


@pytest.fixture(scope="module")
def answers(real_coach):
    real_coach.warm_up()
    return [list(real_coach.stream_chat(s))[-1] for s in SCENARIOS]


def test_no_answer_of_the_embedded_default_loops_or_echoes_its_prompt(answers):
    for scenario, final in zip(SCENARIOS, answers, strict=True):
        assert not degenerate(final.text), (scenario, final.text)
        assert final.gate is not None, "SmolLM2 was really asked to reword the plan"


def test_answers_name_the_specifics_of_their_own_situation(answers):
    # Two specifics of the scenario outside quotes (the scenario quoted back does not count);
    # the figure over whole evaluation sets is in `assistant eval --quality` and the README.
    specific = [
        specificity(s, strip_quoted(a.text)) >= 2 for s, a in zip(SCENARIOS, answers, strict=True)
    ]
    assert sum(specific) >= 6, [a.plan.headline for a in answers]


def test_every_answer_has_its_own_next_steps(answers):
    lists = [tuple(a.plan.next_steps) for a in answers]
    assert len(set(lists)) == len(lists)
    for final in answers:
        assert 3 <= len(final.plan.moves) <= 5
        assert final.plan.say and final.plan.watch
        for heading in ("What to do now", "What to say", "Watch for"):
            assert heading in final.text


def test_citations_are_clean_sentences_quoted_verbatim_from_stored_chunks(answers, real_coach):
    store = real_coach.retriever.store
    for final in answers:
        assert final.citations
        for citation in final.citations:
            assert clean_quote(citation.quote), citation.quote
            [chunk] = store.get([citation.chunk_id])
            assert citation.quote in chunk.page_content


def test_an_answer_decided_by_the_harm_check_says_what_harm_in_the_scenario_s_words(answers):
    from assistant.quality import content_words
    from assistant.situations import KIND_MEANING

    decided = [
        (s, a)
        for s, a in zip(SCENARIOS, answers, strict=True)
        if any("the harm check reads" in w for w in a.plan.why)
    ]
    assert decided, [a.plan.why for a in answers]
    for scenario, final in decided:
        line = final.plan.why[0]  # what decided comes first
        assert "the harm check reads" in line, final.plan.why
        said = line.split(": “")[0]  # "<kind> now", with ", and <second kind>" when two
        first, _, second = said.partition(" now")
        assert first in KIND_MEANING.values(), line
        assert second in ("", *(f", and {m[:1].lower()}{m[1:]}" for m in KIND_MEANING.values()))
        quoted = line.split("“")[1].split("”")[0]
        assert len(set(content_words(quoted)) & set(content_words(scenario))) >= 3, line


def test_no_words_of_the_scenario_are_quoted_twice_in_one_why(answers):
    import re

    for final in answers:
        quotes = [q for w in final.plan.why for q in re.findall(r"“([^”]+)”", w)]
        assert len(quotes) == len(set(quotes)), final.plan.why


def test_words_the_harm_line_quotes_are_not_given_again_as_a_bare_reason(answers):
    from assistant.composer import SIGNAL_MEANING

    bare = {f"{meaning}." for meaning in SIGNAL_MEANING.values()}
    decided = [a for a in answers if a.plan.why and "the harm check reads" in a.plan.why[0]]
    assert decided
    for final in decided:
        assert not bare & set(final.plan.why[1:]), final.plan.why


def test_where_one_person_owns_a_decision_no_move_is_written_for_a_group_s(real_coach):
    from assistant.composer import situation_kinds
    from assistant.facts import read_facts

    composer = real_coach.composer
    scenario = (
        "My office manager chose a new cleaning supplier last month. I would have picked the "
        "other one, but the new one is fine and cheaper."
    )
    assessment = real_coach.assessor.assess(scenario)
    kinds, cues = situation_kinds(scenario, assessment.signals)

    def chosen(group_owner):
        picked = composer.choose(scenario, "step_back", kinds, cues, group_owner=group_owner)
        return {m.needs for _, m in picked}

    assert read_facts(scenario).owner_is_group is False
    assert "group" in chosen(None)  # "Tell the team you are fully behind their choice"
    assert "group" not in chosen(False)
    plan = composer.compose(scenario, assessment)
    assert all(m.id not in {"back-the-team-s-call-out-loud"} for m in plan.moves)
