"""Configuration: every misconfiguration is one line naming the variable and the fix, and
never shows a secret."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import ConfigError, Settings, check_data_dir, env_name, load_settings

ROOT = Path(__file__).resolve().parents[2]
SECRET = "SeCrEt0123456789abcdef"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer's environment or .env leaks in."""
    for name in Settings.model_fields:
        monkeypatch.delenv(env_name(name), raising=False)
    monkeypatch.chdir(tmp_path)


def problems(monkeypatch: pytest.MonkeyPatch, **env: str) -> list[str]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as failed:
        load_settings(env_file=None)
    return failed.value.problems


def only_line(found: list[str]) -> str:
    assert len(found) == 1, found
    assert "\n" not in found[0]
    return found[0]


MISCONFIGURATIONS = [
    # (environment, variable named, words of the fix)
    ({"SLACK_BOT_TOKEN": f"xoxp-{SECRET}", "SLACK_APP_TOKEN": f"xapp-{SECRET}"},
     "SLACK_BOT_TOKEN", ["xoxb-", "user token", "xoxp-…"]),
    ({"SLACK_BOT_TOKEN": SECRET, "SLACK_APP_TOKEN": f"xapp-{SECRET}"},
     "SLACK_BOT_TOKEN", ["xoxb-", "Bot User OAuth Token"]),
    ({"SLACK_BOT_TOKEN": f"xoxb-{SECRET}", "SLACK_APP_TOKEN": f"xoxb-{SECRET}"},
     "SLACK_APP_TOKEN", ["xapp-", "connections:write", "bot token"]),
    ({"DISCORD_TOKEN": SECRET}, "DISCORD_TOKEN", ["three parts", "Reset Token"]),
    ({"DISCORD_TOKEN": f"Bot {SECRET}.abc.def"}, "DISCORD_TOKEN", ["'Bot '", "token alone"]),
    ({"DEFAULT_TIMEZONE": "Mars/Base"}, "DEFAULT_TIMEZONE",
     ["'Mars/Base' is not a known time zone", "Europe/Berlin"]),
    ({"DEFAULT_TIMEZONE": "europe/berlin"}, "DEFAULT_TIMEZONE", ["did you mean Europe/Berlin?"]),
    ({"TRENDS_COLLECT_TIME": "5:30pm"}, "TRENDS_COLLECT_TIME", ["HH:MM", "05:30"]),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL", ["DEBUG, INFO, WARNING, ERROR, CRITICAL"]),
    ({"PORT": "70000"}, "PORT", ["1 to 65535"]),
    ({"PORT": "0"}, "PORT", ["1 to 65535"]),
    ({"PORT": "http"}, "PORT", ["whole number", "default 3000"]),
    ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL", ["http(s) URL", "https://"]),
    ({"DISCORD_GATEWAY_URL": "https://gateway.discord.gg"}, "DISCORD_GATEWAY_URL",
     ["ws(s) URL", "wss://"]),
    ({"GITHUB_API_URL": "ftp://example.com"}, "GITHUB_API_URL", ["http(s) URL"]),
    ({"SLACK_BOT_TOKEN": f"xoxb-{SECRET}"}, "SLACK_BOT_TOKEN",
     ["neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode)",
      "set one of them"]),
    ({"SLACK_APP_TOKEN": f"xapp-{SECRET}"}, "SLACK_APP_TOKEN",
     ["SLACK_BOT_TOKEN is not", "set SLACK_BOT_TOKEN"]),
    ({"SLACK_SIGNING_SECRET": SECRET}, "SLACK_SIGNING_SECRET",
     ["SLACK_BOT_TOKEN is not", "set SLACK_BOT_TOKEN"]),
]


@pytest.mark.parametrize("env,variable,fix", MISCONFIGURATIONS,
                         ids=[f"{m[1]}-{i}" for i, m in enumerate(MISCONFIGURATIONS)])
def test_each_misconfiguration_is_one_line_with_variable_and_fix(monkeypatch, env, variable,
                                                                 fix):
    line = only_line(problems(monkeypatch, **env))
    assert variable in line and ": " in line
    for words in fix:
        assert words in line, line
    assert SECRET not in line


def test_exact_wording_of_the_two_examples(monkeypatch):
    assert problems(monkeypatch, SLACK_BOT_TOKEN="xoxb-1") == [
        "Slack: SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor "
        "SLACK_SIGNING_SECRET (HTTP mode) is: set one of them"]
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    assert problems(monkeypatch, DEFAULT_TIMEZONE="Mars/Base") == [
        "DEFAULT_TIMEZONE='Mars/Base' is not a known time zone: use an IANA name such as "
        "Europe/Berlin"]


def test_every_problem_is_reported_at_once(monkeypatch):
    found = problems(monkeypatch, DEFAULT_TIMEZONE="Nowhere", LOG_LEVEL="x", PORT="-1")
    assert [p.split("=")[0] for p in found] == ["LOG_LEVEL", "DEFAULT_TIMEZONE", "PORT"]


def test_problems_name_the_fields_so_doctor_can_carry_on(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("PORT", "x")
    with pytest.raises(ConfigError) as failed:
        load_settings(env_file=None)
    assert failed.value.fields == {"port", "slack_bot_token", "slack_app_token",
                                   "slack_signing_secret"}
    assert len(failed.value.problems) == 2


def test_a_malformed_token_is_not_also_reported_as_missing(monkeypatch):
    found = problems(monkeypatch, SLACK_BOT_TOKEN="xoxp-1", SLACK_SIGNING_SECRET="abcdef")
    assert "is not a bot token" in only_line(found)


def test_settings_itself_raises_without_showing_the_secret(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", f"xoxp-{SECRET}")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    with pytest.raises(ValidationError) as failed:
        Settings(_env_file=None)
    assert "SLACK_BOT_TOKEN" in str(failed.value) and SECRET not in str(failed.value)


@pytest.mark.parametrize("env,platforms", [
    ({}, []),
    ({"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_APP_TOKEN": "xapp-1-A1-abc"}, ["slack"]),
    ({"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "abc123"}, ["slack"]),
    ({"DISCORD_TOKEN": "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz_-12"},
     ["discord"]),
    ({"DISCORD_TOKEN": "a.b.c", "SLACK_BOT_TOKEN": "", "DEFAULT_TIMEZONE": "Europe/Berlin",
      "LOG_LEVEL": "debug", "PORT": "8080", "TRENDS_COLLECT_TIME": "23:59",
      "DISCORD_GATEWAY_URL": "ws://127.0.0.1:1/", "SLACK_API_URL": "http://127.0.0.1:2/api/"},
     ["discord"]),
])
def test_good_configurations_load(monkeypatch, env, platforms):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(env_file=None)
    assert settings.platforms() == platforms
    assert settings.log_level in ("INFO", "DEBUG")


def test_defaults_and_empty_values_mean_unset(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "")
    monkeypatch.setenv("DISCORD_GUILD_ID", "")
    settings = load_settings(env_file=None)
    assert settings.default_timezone == "UTC" and settings.slack_bot_token is None
    assert settings.discord_guild_id is None and settings.port == 3000


def test_dot_env_is_read_and_checked(tmp_path: Path):
    env = tmp_path / "custom.env"
    env.write_text("DEFAULT_TIMEZONE=Asia/Tokyo\nSLACK_BOT_TOKEN=xoxb-abc\n")
    with pytest.raises(ConfigError) as failed:
        load_settings(env_file=env)
    assert "SLACK_BOT_TOKEN is set but neither" in only_line(failed.value.problems)
    env.write_text("DEFAULT_TIMEZONE=Asia/Tokyo\n")
    assert load_settings(env_file=env).default_timezone == "Asia/Tokyo"


def test_keyword_arguments_are_the_programs_own_and_not_checked():
    # Tests and local fakes pass placeholder tokens; only what people configure is checked.
    settings = Settings(_env_file=None, discord_token="fake-bot-token",
                        slack_bot_token="xoxb-test", port=0)
    assert settings.platforms() == ["slack", "discord"]


def test_secret_values_lists_every_configured_secret(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-one")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "two-two")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_three")
    assert sorted(load_settings(env_file=None).secret_values()) == [
        "ghp_three", "two-two", "xoxb-one"]


def test_env_example_documents_every_variable_with_its_default():
    text = (ROOT / ".env.example").read_text()
    for name, field in Settings.model_fields.items():
        assert f"{env_name(name)}=" in text, env_name(name)
        default = field.default
        if default in (None, ""):
            continue
        shown = {Path("data"): "./data", True: "true", 10.0: "10"}.get(default, str(default))
        assert f"{env_name(name)}={shown}\n" in text, (env_name(name), shown)
    assert "# DEFAULT_TIMEZONE=UTC" in text and "Default: UTC" in text


# ---------------------------------------------------------------------- data directory
def test_data_dir_is_created_when_missing(tmp_path: Path):
    target = tmp_path / "a" / "b"
    assert check_data_dir(target) is None and target.is_dir()


def test_data_dir_check_without_create_leaves_no_trace(tmp_path: Path):
    target = tmp_path / "later"
    assert check_data_dir(target, create=False) is None and not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_file_where_the_data_dir_should_be(tmp_path: Path):
    (tmp_path / "data").write_text("not a directory")
    line = check_data_dir(tmp_path / "data")
    assert line and line.startswith("DATA_DIR=") and "is a file" in line
    below = check_data_dir(tmp_path / "data" / "sub")
    assert below and "DATA_DIR=" in below and "point DATA_DIR" in below


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only permissions")
def test_an_unwritable_data_dir(tmp_path: Path):
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        inside = check_data_dir(locked)
        missing = check_data_dir(locked / "data")
        dry = check_data_dir(locked / "data", create=False)
    finally:
        locked.chmod(0o700)
    assert inside and "is not writable (permission denied)" in inside
    assert missing and "cannot be created (permission denied)" in missing
    assert dry and "cannot be created" in dry
    for line in (inside, missing, dry):
        assert line.startswith("DATA_DIR=") and "point DATA_DIR somewhere else" in line
