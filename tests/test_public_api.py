import assistant


def test_the_package_exports_exactly_its_declared_surface():
    assert sorted(assistant.__all__) == [
        "Advice",
        "AssistantError",
        "Citation",
        "Coach",
        "Settings",
        "build_coach",
        "load_settings",
    ]
    for name in assistant.__all__:
        assert getattr(assistant, name) is not None


def test_every_setting_has_a_description():
    from assistant.config import Settings

    for name, field in Settings.model_fields.items():
        assert field.description, name


def test_every_table_keyed_by_verdict_names_exactly_the_three_verdicts():
    from assistant import content, prep
    from assistant.domain import VERDICTS, Advice

    tables = {
        "content.VERDICT_PHRASES": content.VERDICT_PHRASES,
        "content.VERDICT_ICONS": content.VERDICT_ICONS,
        "content.VERDICT_THEMES": content.VERDICT_THEMES,
        "prep._ROLE": prep._ROLE,
        "prep._OPENING": prep._OPENING,
        "prep._TRIPWIRES": prep._TRIPWIRES,
        "prep._HAND_BACK": prep._HAND_BACK,
        "prep._FOLLOW_UP": prep._FOLLOW_UP,
    }
    for name, table in tables.items():
        assert set(table) == set(VERDICTS), name
    published = Advice.model_json_schema()["properties"]["verdict"]["enum"]
    assert published == list(VERDICTS) == ["step_back", "balanced", "step_in"]
