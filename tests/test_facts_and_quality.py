from assistant.facts import handler, lower_first, read_facts, sentences, to_second_person
from assistant.quality import (
    clean_quote,
    contradicts,
    degenerate,
    novelty,
    repeated_ngram_ratio,
    specificity,
)


def test_the_owner_is_the_named_person_or_their_role_said_back_as_yours():
    assert read_facts("Our process engineer, Ravi, is scaling up the new recipe.").owner == "Ravi"
    facts = read_facts("My most experienced engineer wants to lead the database migration.")
    assert facts.owner == "your most experienced engineer"
    assert facts.task == "the database migration"


def test_a_new_person_introduced_with_an_article_becomes_the_person():
    facts = read_facts("A new team lead is about to present a risky budget cut to the board.")
    assert facts.owner == "the new team lead"
    assert facts.owner_found


def test_a_person_introduced_by_their_team_is_the_owner():
    facts = read_facts("Nadia from accounts asked me to call the bank about the frozen account.")
    assert facts.owner == "Nadia"
    assert read_facts("Tom on the night shift wants me to cover Friday.").owner == "Tom"
    assert not read_facts("Sales from Europe grew last quarter.").owner_found


def test_a_role_typed_without_an_article_or_before_where_they_work_is_still_the_owner():
    facts = read_facts("Ward clerk redid the whole rota herself and two porters came to moan.")
    assert facts.owner == "the ward clerk"
    assert read_facts("New duty manager at the hostel is running his first week.").owner == (
        "the new duty manager"
    )
    assert read_facts("A locum took over the clinic list this morning.").owner == "the locum"
    assert read_facts("hi - my newest deckhand is running the nets alone.").owner == (
        "your newest deckhand"
    )


def test_a_named_person_who_has_done_the_work_for_years_is_the_owner():
    facts = read_facts("Kwame has run our night shift for five years and wants to trial a change.")
    assert facts.owner == "Kwame"


def test_a_first_name_opening_a_sentence_before_a_verb_or_an_aside_is_the_owner():
    assert read_facts("Priya has taken on the logging overhaul. Shall I?").owner == "Priya"
    zoe = "I run a lending team. Zoe, in her first month as a credit officer, is about to sign."
    assert read_facts(zoe).owner == "Zoe"
    # a name that is also an everyday word says nothing there; nor does a sign-off
    assert read_facts("Summer is our busiest season and my chef wants a new menu.").owner == (
        "your chef"
    )
    assert read_facts("Niamh, care coordinator. One of my carers wants a new rota.").owner == (
        "one of your carers"
    )


def test_a_role_may_carry_figures_a_short_function_or_a_plural_in_es():
    assert read_facts("Our under-12s coach wants to move training.").owner == "your under-12s coach"
    assert read_facts("Our new head of HR wants to run a survey.").owner == "your new head of HR"
    assert read_facts("One of our coaches has been keeping kids late.").owner == (
        "one of your coaches"
    )


def test_a_role_written_in_capitals_is_a_role_and_a_first_name_may_run_into_has():
    assert read_facts("One of my PMs has been coming in late.").owner == "one of your PMs"
    assert read_facts("our first AD wants to swap the scenes.").owner == "your first AD"
    assert read_facts("The ad ran on TV and sales rose.").owner == "the person who owns it"
    assert read_facts("Leila's spent two weeks on the flaky tests.").owner == "Leila"
    assert read_facts("Leanne's call scores have dipped for three weeks.").owner == "Leanne"
    assert read_facts("Our lab technician accidentally binned the cells.").owner == (
        "your lab technician"
    )
    # whoever reports what they saw only brings the news
    reported = "Emeka reported that bus 214 pulls left, so the depot supervisor parked it up."
    assert read_facts(reported).owner == "the depot supervisor"


def test_someone_just_put_in_charge_or_named_after_a_spoken_so_is_the_owner():
    promoted = "I've just promoted Aisha to charge nurse. The matron will be sitting in."
    assert read_facts(promoted).owner == "Aisha"
    assert read_facts("hey so Lena (backend) is going to lead the post-mortem").owner == "Lena"
    # a greeting names who the message is to, not who owns the work
    assert read_facts("Hi Mark, the client wants a revised quote. Could you?").owner != "Mark"
    assert read_facts("Our new club captain has to settle a selection row.").owner == (
        "your new club captain"
    )


def test_what_the_owner_is_doing_now_names_the_action_of_a_task_found_otherwise():
    facts = read_facts("My deputy, Daniel, is presenting our revised behaviour policy on Thursday.")
    assert facts.slots()["action"] == "present your revised behaviour policy"
    # a verb of doing makes no task of its own: "running a fever" is no work
    assert not read_facts("Andrei has a deep cut and he's running a fever.").task_found


def test_a_verb_after_a_role_is_not_read_as_part_of_the_role():
    facts = read_facts("Should I let my junior analyst present the numbers to the board?")
    assert facts.owner == "your junior analyst"
    assert read_facts("My student wants to lead the lab.").owner == "your student"


def test_a_name_followed_by_an_aside_in_brackets_is_the_owner():
    facts = read_facts("I run the ward. Aroha (four months in post) raised it with me today.")
    assert facts.owner == "Aroha"


def test_a_role_word_describing_the_next_noun_is_not_a_person():
    # "an insulin pump alarm": the -er/-ant word describes the thing after it
    facts = read_facts("She has checked an anticoagulant dose and the order form twice.")
    assert "anticoagulant" not in facts.owner and "order" not in facts.owner


def test_a_scenario_is_read_as_sentences_and_list_items():
    assert sentences(
        "- crew tired, 14h shift\n- winch making a new noise\nShould I stop? Yes."
    ) == [
        "crew tired, 14h shift",
        "winch making a new noise",
        "Should I stop?",
    ]


def test_the_leader_describing_themselves_is_not_taken_for_the_owner():
    facts = read_facts("I'm the head of a small school. The lift broke on Monday.")
    assert "head" not in facts.owner


def test_missing_facts_fall_back_to_neutral_words_not_guesses():
    facts = read_facts("What should I do?")
    assert (facts.owner, facts.task) == ("the person who owns it", "this")
    assert not facts.owner_found and not facts.task_found


def test_a_place_after_in_or_at_is_not_taken_for_the_owner():
    facts = read_facts("Our depot in Leeds is short-staffed and Marta wants to redo the rota.")
    assert facts.owner == "Marta"
    assert not read_facts("I manage a site in Abu Dhabi where it is 45 degrees.").owner_found
    assert not read_facts("We launch in Kenya and Uganda, our first markets abroad.").owner_found
    assert read_facts("A caller keeps shouting at Tomasz, one of our agents.").owner == "Tomasz"
    assert not read_facts("Two writers argue over who has done more Saturdays.").owner_found


def test_the_owner_s_action_keeps_the_scenario_s_own_verb():
    facts = read_facts("My best engineer will present our roadmap to the VP next week.")
    assert facts.slots()["action"] == "present your roadmap"
    facts = read_facts("My deputy wants to negotiate the renewal with our biggest supplier.")
    assert facts.slots()["action"] == "negotiate the renewal"
    # Without a verb the headline can reuse, the owner leads the task.
    assert read_facts("Priya owns the migration.").slots()["action"] == "lead the migration"
    # A noun of work met elsewhere is no name for it: the work is not guessed.
    assert not read_facts("The migration is behind schedule.").task_found


def test_what_the_owner_wants_to_do_names_the_work_whatever_the_verb():
    facts = read_facts("Tom has done a course and wants to rebuild the forecast model in Python.")
    assert (facts.task, facts.action) == ("the forecast model", "rebuild the forecast model")
    # A phrase cut at "and" is not the work: "sort out the Christmas"
    assert read_facts("The nurses want to sort out the Christmas and Easter shifts.").task != (
        "the Christmas"
    )


def test_what_the_leader_is_asked_to_do_is_not_the_owner_s_action():
    facts = read_facts("Elena has asked me to take over the negotiation with our supplier.")
    assert (facts.owner, facts.task) == ("Elena", "the negotiation")
    assert facts.slots()["action"] == "lead the negotiation"  # not "let Elena take over"
    facts = read_facts("Marisol wants me to take over a call with one of her agents.")
    assert facts.slots()["action"] != "take over the call"


def test_a_noun_in_an_idiom_is_not_taken_for_the_work():
    facts = read_facts("She told me about it but asked me not to make a fuss.")
    assert not facts.task_found and facts.task == "this"


def test_a_clause_after_a_pronoun_is_not_read_as_part_of_the_work():
    facts = read_facts(
        "Zara, our buyer, has tried twice and they've told her straight they'll only deal with me."
    )
    assert "they" not in facts.task and not facts.task_found


def test_after_a_verb_with_two_objects_the_work_is_the_second():
    facts = read_facts("Priya is about to give a patient his evening meds on the ward.")
    assert (facts.task, facts.action) == ("the evening meds", "give the evening meds")


def test_a_comparative_is_not_a_role_and_a_person_who_has_tried_is_the_owner():
    facts = read_facts(
        "Fatima has tried three ways to get wrap-up times down: new scripts, coaching and a "
        "shorter notes form. Nothing has moved."
    )
    assert facts.owner == "Fatima"


def test_a_title_is_kept_with_the_name_and_its_full_stop_ends_no_sentence():
    facts = read_facts("Dr. Okonkwo's group wants to switch to a cheaper supplier.")
    assert facts.owner == "Dr. Okonkwo"
    assert read_facts("Mr Lewis has his first parents' evening on Thursday.").owner == "Mr Lewis"


def test_who_must_approve_the_work_and_what_was_done_before_are_not_owner_and_work():
    facts = read_facts(
        "The surgical ward team wants to pause admissions. Pausing admissions needs approval "
        "from the hospital's medical director."
    )
    assert facts.owner == "the surgical ward team"
    facts = read_facts("Ahmed is calibrating the mass spec. He's done the training course.")
    assert facts.owner == "Ahmed" and facts.task != "the training course"


def test_what_someone_usually_does_is_not_the_work_at_hand():
    facts = read_facts(
        "I heard our night manager, Craig, mocking a guest. Craig usually runs a tight shift."
    )
    assert facts.owner == "Craig" and not facts.task_found


def test_the_addressee_of_a_pasted_email_and_a_bullet_s_first_word_are_not_the_owner():
    email = "Dear Dr Okafor,\n\nThe microscope keeps failing and I have tried everything.\n\nPriya"
    assert read_facts(email).owner != "Dr Okafor"
    bullets = (
        "Lunch rota question:\n- Team voted on it, most people like it\n- Worst case we switch back"
    )
    assert read_facts(bullets).owner != "Team"
    committee = (
        "He wants to switch brands, but changes go to the Drugs & Therapeutics Committee first."
    )
    assert read_facts(committee).owner != "Committee"


def test_what_nobody_did_and_where_it_happens_are_not_the_work():
    facts = read_facts(
        "They have been short with each other in every meeting. Nobody's made a formal complaint."
    )
    assert not facts.task_found
    facts = read_facts(
        "Marcus has been with the parks department for nine years and knows it well."
    )
    assert facts.task != "the parks department"


def test_what_someone_asked_to_do_is_their_action():
    facts = read_facts("Bea, a second-year, has asked to run the client call on a routine renewal.")
    assert (facts.task, facts.action) == ("the client call", "run the client call")


def test_first_person_words_are_turned_to_the_reader():
    assert to_second_person("I am worried my deputy and our team") == (
        "You are worried your deputy and your team"
    )


def test_words_the_leader_quotes_from_someone_else_keep_their_pronouns():
    said = "He messaged me: 'make sure Laura gets my shares, she'll need them.' I'm worried."
    assert to_second_person(said) == (
        "He messaged you: 'make sure Laura gets my shares, she'll need them.' you're worried."
    )
    assert to_second_person("My lead posted \u2018won\u2019t be long\u2019 and I saw it") == (
        "Your lead posted \u2018won\u2019t be long\u2019 and you saw it"
    )
    assert to_second_person('I said "our door is open" and Chef\'s knife is mine') == (
        'You said "our door is open" and Chef\'s knife is yours'
    )
    # a sentence said back without its full stop has lost the closing quote too
    assert to_second_person("I read her note: 'I hope you remember me") == (
        "You read her note: 'I hope you remember me"
    )
    assert to_second_person("We hired him in the '90s and I trust him") == (
        "You hired him in the '90s and you trust him"
    )


def test_a_loop_is_degenerate_and_a_plain_paragraph_is_not():
    loop = "You're not sure how to do it, and you're not sure how to do it. " * 6
    assert repeated_ngram_ratio(loop) > 0.5 and degenerate(loop)
    plain = "Let Priya run the vendor call; agree the limits first and check in on Friday."
    assert repeated_ngram_ratio(plain) == 0 and not degenerate(plain)


def test_an_echoed_prompt_marker_is_degenerate():
    assert degenerate("<<<passage 4: The Power of a Single Voice\nI'm going to talk.")
    assert degenerate("Your situation or question: what's your role in the room?")


def test_specificity_counts_the_scenario_s_own_names_and_facts():
    scenario = "Our buyer Leo was called 'sweetheart' by a supplier at the trade fair in Leeds."
    assert specificity(scenario, "Speak to Leo and the supplier before the next trade fair.") >= 3
    assert specificity(scenario, "Speak to the person and agree next steps.") == 0


def test_invented_content_raises_novelty_and_a_contrary_claim_is_caught():
    support = "Step in on the outage now. Call the vendor and tell the team who decides."
    assert novelty("Call the vendor and tell the team.", support) == 0
    assert novelty("Buy Bitcoin and fly to Lisbon with Gertrude.", support) > 0.5
    assert contradicts("Honestly, you should step back and let them handle it.", "step_in")
    assert not contradicts("Step in now, then hand it back.", "step_in")


def test_a_clean_quote_is_a_whole_sentence_without_markdown_debris():
    assert clean_quote("A ward manager prepares a new charge nurse for the meeting.")
    assert not clean_quote('"" "What worries you most about it?')
    assert not clean_quote("** A ward manager prepares a new charge nurse.")
    assert not clean_quote("Ask {owner} what they tried before.")


def test_a_person_named_after_their_role_is_the_owner_and_a_shortened_weekday_is_no_one():
    facts = read_facts(
        "I manage a depot and have given my shift supervisor Kerry the peak planning. "
        "I don't want to knock her confidence."
    )
    assert facts.owner == "Kerry"
    assert facts.task != "the confidence"  # the leader's wish, not the work
    praised = read_facts("Kerry has drafted a solid looking rota and wants to publish it.")
    assert praised.task == "the rota"
    weekday = read_facts("the volunteer running our U12s wants to move training from Tues to Weds")
    assert weekday.owner not in ("Tues", "Weds")


def test_what_the_leader_runs_is_not_the_work_unless_they_ask_about_taking_it_over():
    facts = read_facts(
        "I lead the pharmacy department. I handed the rollout of the new cabinets to Marcus."
    )
    assert facts.task != "the pharmacy department"
    asked = read_facts(
        "Kwame will meet a demanding new client next week. Should I run the meeting?"
    )
    assert asked.task == "the meeting"


def test_a_word_in_capitals_keeps_its_capitals_when_it_follows_other_words():
    assert (
        lower_first("ABSOLUTE MELTDOWN at the shop today") == "ABSOLUTE MELTDOWN at the shop today"
    )
    assert lower_first("Every time I walk past") == "every time I walk past"


def test_someone_away_is_not_the_owner():
    facts = read_facts(
        "My deputy is on leave and a junior reporter has a story set to publish in an hour."
    )
    assert facts.owner == "the junior reporter"


def test_a_role_that_opens_a_sentence_is_not_quoted_as_a_name():
    from assistant.composer import _evidence

    said = _evidence("Junior associate is leading her first client presentation")
    assert said.startswith("junior associate")
    assert _evidence("Priya wants to run it").startswith("Priya")


def test_whoever_brings_the_news_is_not_the_owner_unless_the_news_is_about_themselves():
    told = read_facts(
        "Other staff told me this morning that one of my PhD students has been working alone "
        "in the lab at night."
    )
    assert told.owner == "one of your PhD students"
    assert read_facts("Jan just mentioned that the new baker burned his arm.").owner == (
        "the new baker"
    )
    about_himself = read_facts("One of our drivers told me he's been doing 14-hour shifts.")
    assert about_himself.owner == "one of your drivers"


def test_a_role_after_is_a_describes_the_person_named_before_it():
    assert read_facts("Our new matron is a strong clinician and well liked.").owner == (
        "your new matron"
    )
    assert read_facts("Tomasz became a shift lead in May and has to run the audit.").owner == (
        "Tomasz"
    )


def test_relatives_and_trade_roles_are_people_but_a_quoted_nickname_and_a_relation_are_not():
    assert read_facts("My daughter is taking over the shop's ordering this year.").owner == (
        "your daughter"
    )
    assert read_facts("The new herdsman has been moving the cows faster.").owner == (
        "the new herdsman"
    )
    nickname = read_facts("One of our aides calls a resident 'the moaner' at mealtimes.")
    assert nickname.owner == "one of your aides"
    relation = read_facts("can I pay the invoice myself? the supplier is my husband's firm")
    assert relation.owner != "your husband"


def test_how_the_work_is_done_is_not_its_name_and_a_role_may_be_followed_by_an_aside():
    facts = read_facts("Our site foreman wants to sequence the internal fit-out differently.")
    assert facts.task == "the internal fit-out"
    assert read_facts("One of our foremen has been promoted to run his first job.").owner == (
        "one of your foremen"
    )
    aside = read_facts("my sales lead (great, 5 yrs) is negotiating our biggest renewal solo")
    assert aside.owner == "your sales lead"


def test_a_role_capitalised_by_its_sentence_is_a_role_and_a_name_stays_a_name():
    assert read_facts("Paralegal has asked to draft the update letter.").owner == "the paralegal"
    assert read_facts("Intern wants to rewrite the onboarding guide.").owner == "the intern"
    assert read_facts("Team want to change how on-call is paid.").owner == "the team"
    assert read_facts("Tyler wants to rewrite the onboarding guide.").owner == "Tyler"
    assert read_facts("Parker asked to run the standup.").owner == "Parker"


def test_a_head_of_a_two_word_function_is_named_whole_but_not_with_its_verb():
    assert (
        read_facts("Our new head of customer success is running her first QBR.").owner
        == "your new head of customer success"
    )
    assert read_facts("My head of operations runs the audit.").owner == "your head of operations"
    assert (
        read_facts("Our head of finance wants to move the close.").owner == "your head of finance"
    )


def test_the_word_a_correction_opens_with_is_no_name():
    for opener in ("Actually", "Sorry", "Wait", "Update", "Correction"):
        facts = read_facts(f"{opener}, the layout touches the fire exit routes.")
        assert not facts.owner_found, opener


def test_a_team_talked_about_is_still_the_team_that_owns_it():
    facts = read_facts("bit of grumbling in the design team about the new ticket template")
    assert facts.owner == "the design team"
    assert read_facts("Our analyst is worried about the forecast.").owner == "your analyst"


def test_the_people_a_team_serves_are_not_taken_for_the_owner_but_a_junior_doctor_is():
    served = read_facts(
        "A guest tripped on the loose stair rod last night and was fine. Our night manager "
        "wants to talk to her about it herself this morning. Should I let him?"
    )
    assert served.owner == "your night manager"
    assert (
        read_facts(
            "A resident tripped on the loose stair rod last night. The unit manager wants to "
            "speak to the family herself."
        ).owner
        == "the unit manager"
    )
    assert (
        read_facts(
            "My newest resident paged me after two failed attempts at a lumbar puncture."
        ).owner
        == "your newest resident"
    )


def test_a_group_owns_a_decision_when_its_owner_is_a_team_or_several_people_not_one():
    assert read_facts("The pickers have voted to change their break rota.").owner_is_group
    assert read_facts("My dev team wants to switch to trunk-based development.").owner_is_group
    assert not read_facts("One of my nurses wants to change the rota.").owner_is_group
    assert not read_facts("My assistant coach wants to do the team talk.").owner_is_group
    assert not read_facts("Thomas wants to run the stand-up himself.").owner_is_group
    assert read_facts("Should I step in?").owner_is_group is None


def test_a_hyphenated_modifier_that_starts_with_a_small_word_still_names_the_role():
    assert read_facts("Our on-call engineer wants to run the postmortem.").owner == (
        "your on-call engineer"
    )
    assert read_facts("My in-house lawyer will draft the reply.").owner == "your in-house lawyer"


def test_whoever_dealt_with_an_incident_is_the_subject_of_its_first_act_of_handling():
    told = (
        "A caller was racist to one of our new starters this morning. Her team leader took "
        "over the call and ended it, flagged the account and gave her a break."
    )
    assert read_facts(told).owner == "the caller"  # named first, but not the one who acted
    assert handler(told) == "the team leader"
    assert handler("fight on the touchline. our welfare officer split them up.") == (
        "your welfare officer"
    )
    assert handler("Burst pipe overnight; duty manager Karim shut the valve.") == "Karim"
    assert handler("We called the plumber and it's fixed.") is None
