from assistant.situations import detect_kinds


def test_harm_in_plain_words_is_read_as_a_risk_to_someone_with_the_words_as_evidence():
    cues = detect_kinds(
        "One of our drivers told me he has been nodding off at the wheel on the early route."
    )
    kinds = [c.kind for c in cues]
    assert "wellbeing" in kinds and "safety" in kinds
    wellbeing = next(c for c in cues if c.kind == "wellbeing")
    assert "nodding off" in wellbeing.evidence


def test_evidence_is_cut_at_whole_words():
    text = (
        "Our night-shift lead, Tomasz, says "
        + "the pickers worked long hours " * 8
        + "and one nearly fainted."
    )
    for cue in detect_kinds(text):
        assert cue.evidence.split()[0] in text.split()
        assert cue.evidence.split()[-1].strip(".") in text.replace(".", "").split()


def test_a_routine_scenario_raises_no_harm_kind():
    kinds = {
        c.kind
        for c in detect_kinds("My senior analyst wants to redesign the weekly report layout.")
    }
    assert not kinds & {"wellbeing", "safety", "data_incident", "ethics", "dignity"}


def test_someone_off_sick_is_an_absence_not_a_risk_to_their_health():
    assert not detect_kinds("The reviewer is off sick, so she wants to merge without review.")
    assert not detect_kinds("Two of the nurses are on sick leave this week.")
    kinds = [c.kind for c in detect_kinds("He was sick twice on shift and looks grey.")]
    assert "wellbeing" in kinds


def test_emailing_someone_is_not_a_data_incident():
    from assistant.situations import detect_kinds

    kinds = {c.kind for c in detect_kinds("She emailed pharmacy yesterday and hasn't heard back.")}
    assert "data_incident" not in kinds
    leak = "He sent the salary spreadsheet to the whole company by mistake."
    assert "data_incident" in {c.kind for c in detect_kinds(leak)}


def test_a_request_for_help_said_not_to_have_happened_is_not_one_but_a_denied_hazard_still_is():
    def kinds(text):
        return {c.kind for c in detect_kinds(text)}

    assert "help_request" in kinds("After a week stuck on it, she asked me for help.")
    assert "help_request" not in kinds("She hasn't asked me for help with the rota.")
    assert "dignity" in kinds(
        "Hamid, who doesn't drink for religious reasons, has never been invited."
    )


def test_a_cue_in_a_long_sentence_is_quoted_by_its_clause_and_a_cut_says_so():
    from assistant.situations import _words_around

    text = (
        "Our sales director has told the team to say on tomorrow's call that the new feature is "
        "'fully tested and certified' for a hospital client, when QA hasn't finished and there's "
        "no certification of any kind yet from anyone."
    )
    cue = next(c for c in detect_kinds(text) if c.kind == "authority")
    assert cue.evidence.endswith("for a hospital client")
    assert _words_around(text, 10, 18).endswith(" …")
