from assistant.clauses import (
    introduces_the_leader,
    voices_the_leaders_urge,
    whole_clause,
    without_lead_in,
)


def test_a_piece_cut_before_an_aside_is_said_back_as_its_whole_clause():
    scenario = (
        "Our junior dev, Marco, realised this morning that a config change made invoices "
        "public. He's patching it quietly."
    )
    assert whole_clause("Our junior dev", scenario) == (
        "Our junior dev, Marco, realised this morning that a config change made invoices public"
    )


def test_a_piece_that_lost_its_subject_or_its_figure_gets_them_back():
    scenario = (
        "My new deputy, Daniel, is presenting our policy on Thursday, and parents are angry. "
        "Waivers over £2,000 need regional director approval."
    )
    assert whole_clause("is presenting our policy on Thursday", scenario) == (
        "My new deputy, Daniel, is presenting our policy on Thursday"
    )
    assert whole_clause("000 need regional director approval", scenario) == (
        "Waivers over £2,000 need regional director approval"
    )


def test_a_whole_clause_is_left_as_it_is():
    scenario = "She's calm, she's done this many times, and she knows the client."
    assert whole_clause("she's done this many times", scenario) == "she's done this many times"


def test_a_leader_saying_who_they_are_is_an_introduction_and_a_worry_is_not():
    assert introduces_the_leader("I'm the contracts director.")
    assert introduces_the_leader("I manage a small analytics team at a bank.")
    assert introduces_the_leader("hi, I'm head of a secondary school.")
    assert not introduces_the_leader("I'm worried about Sam's drinking.")
    assert not introduces_the_leader("I run the night shift, and tonight the alarm went off.")


def test_an_opening_that_names_the_leader_s_role_without_a_verb_is_an_introduction():
    scenario = "Executive housekeeper at a resort in Phuket. A guest opened his door naked."
    assert introduces_the_leader("Executive housekeeper at a resort in Phuket.", scenario)
    charity = "CEO of a small animal charity in Yorkshire. Our volunteer claimed Gift Aid."
    assert introduces_the_leader("CEO of a small animal charity in Yorkshire", charity)
    assert introduces_the_leader("Ops lead here.", "Ops lead here. The release failed.")
    # A verbless opening about what happened, or a role named later, is not one.
    assert not introduces_the_leader("Incident on ward 5.", "Incident on ward 5. A fall.")
    assert not introduces_the_leader("Gas leak in the basement.", "Gas leak in the basement.")
    later = "The release failed. Ops lead here."
    assert not introduces_the_leader("Ops lead here.", later)
    assert not introduces_the_leader("Executive housekeeper at a resort in Phuket.")


def test_an_aside_opening_with_a_preposition_is_said_back_with_its_clause():
    scenario = (
        "I run a lending team. Zoe, in her first month as a credit officer, is about to sign."
    )
    assert whole_clause("in her first month as a credit officer", scenario) == (
        "Zoe, in her first month as a credit officer, is about to sign"
    )
    # a clause that opens with a preposition but has its verb is whole already
    whole = "At the counter right now an elderly customer is withdrawing cash."
    assert whole_clause("At the counter right now an elderly customer is withdrawing", whole) == (
        "At the counter right now an elderly customer is withdrawing"
    )


def test_words_that_only_announce_a_fact_are_not_said_back():
    assert without_lead_in("I should probably add, tom did a dozen of these before") == (
        "tom did a dozen of these before"
    )
    assert without_lead_in("Only thing is the walk-in has been showing 11 degrees") == (
        "the walk-in has been showing 11 degrees"
    )
    assert without_lead_in("oh and by the way he's been giving the work to his brother") == (
        "he's been giving the work to his brother"
    )


def test_words_that_only_join_a_fact_to_what_came_before_are_not_said_back():
    assert without_lead_in("Also, a patient in bay 2 fell overnight and hit his head") == (
        "a patient in bay 2 fell overnight and hit his head"
    )
    assert without_lead_in("Separate thing, the new volunteer has been working alone") == (
        "the new volunteer has been working alone"
    )
    # Without a comma, "also" belongs to the sentence.
    assert without_lead_in("Also he has been great") == "Also he has been great"


def test_a_lead_in_stays_where_too_little_would_be_left_or_it_is_part_of_the_fact():
    assert without_lead_in("Honestly, it's fine.") == "Honestly, it's fine."
    assert without_lead_in("One more thing about the rota is that it was late") == (
        "One more thing about the rota is that it was late"
    )
    assert without_lead_in("the only thing that's been bugging me is the cash") == (
        "the only thing that's been bugging me is the cash"
    )


def test_a_leader_saying_what_they_feel_like_doing_is_an_urge_and_a_fact_is_not():
    for urge in (
        "Part of me wants to just pick one so we can get moving.",
        "I'm tempted to just do it myself because it's quicker.",
        "My instinct is to trust them.",
        "Honestly I'd rather stay out of tooling fights.",
    ):
        assert voices_the_leaders_urge(urge), urge
    for fact in (
        "I think she is ready.",
        "I'm worried he will burn out.",
        "She wants to run the launch herself.",
    ):
        assert not voices_the_leaders_urge(fact), fact
