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
