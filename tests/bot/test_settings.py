import pytest

from bot.settings import SettingsError, load


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.upper().startswith(("CONVENE_", "SLACK_", "TEAMS_")) or name.upper() in ("DATABASE_URL", "PORT"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    settings = load(env_file=None)
    assert settings.database_url == "sqlite+aiosqlite:///./convene.db"
    assert settings.convene_command == "/convene" and settings.port == 3000
    assert settings.convene_admins == frozenset() and not settings.slack_enabled


def test_admins_are_platform_and_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVENE_ADMINS", "slack:U0123ABCD, console:ada")
    assert load(env_file=None).convene_admins == frozenset({"slack:U0123ABCD", "console:ada"})
    monkeypatch.setenv("CONVENE_ADMINS", "U0123ABCD")
    with pytest.raises(SettingsError, match=r"CONVENE_ADMINS.*platform:user_id"):
        load(env_file=None)


def test_unknown_setting_is_named_with_a_guess(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKN", "xoxb-1")
    with pytest.raises(SettingsError, match=r"Unknown setting SLACK_BOT_TOKN\. Did you mean SLACK_BOT_TOKEN\?"):
        load(env_file=None)


def test_invalid_values_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "99999")
    with pytest.raises(SettingsError, match="PORT"):
        load(env_file=None)
    monkeypatch.setenv("PORT", "3000")
    monkeypatch.setenv("CONVENE_COMMAND", "convene")
    with pytest.raises(SettingsError, match=r"CONVENE_COMMAND: .*start with /"):
        load(env_file=None)


def test_dotenv_file_is_read_and_unknown_keys_in_it_stop_start_up(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    env = tmp_path / ".env"
    env.write_text("CONVENE_COMMAND=/cl\nPORT=8080\n")
    settings = load(env_file=str(env))
    assert (settings.convene_command, settings.port) == ("/cl", 8080)
    env.write_text("CONVENE_COMAND=/cl\n")
    with pytest.raises(SettingsError, match="Unknown setting CONVENE_COMAND"):
        load(env_file=str(env))


def test_secrets_do_not_show_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "shh-secret")
    settings = load(env_file=None)
    assert "very-secret" not in repr(settings) and "shh-secret" not in repr(settings)
    assert settings.slack_enabled
