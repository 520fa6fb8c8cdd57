"""Configuring Slack for any workspace to install (SLACK_CLIENT_ID/SLACK_CLIENT_SECRET):
each mistake is one line naming the variables and the fix, and never shows the secret."""

from __future__ import annotations

import pytest

from bot.config import load_settings
from tests.bot.test_config import SECRET, clean_env, only_line, problems  # noqa: F401

OAUTH = {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": SECRET}


@pytest.mark.parametrize(("env", "words"), [
    ({**OAUTH, "SLACK_BOT_TOKEN": f"xoxb-{SECRET}", "SLACK_SIGNING_SECRET": SECRET},
     ["SLACK_BOT_TOKEN and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are both set", "not both"]),
    ({"SLACK_CLIENT_ID": "1111.2222", "SLACK_SIGNING_SECRET": SECRET},
     ["SLACK_CLIENT_SECRET is not set", "App Credentials"]),
    ({"SLACK_CLIENT_SECRET": SECRET, "SLACK_SIGNING_SECRET": SECRET},
     ["SLACK_CLIENT_ID is not set"]),
    (OAUTH, ["SLACK_SIGNING_SECRET is not", "HTTP mode"]),
    ({**OAUTH, "SLACK_SIGNING_SECRET": SECRET, "SLACK_APP_TOKEN": f"xapp-{SECRET}"},
     ["SLACK_APP_TOKEN (Socket Mode)", "remove it"]),
])
def test_each_oauth_mistake_is_one_line(monkeypatch, env, words):
    line = only_line(problems(monkeypatch, **env))
    assert line.startswith("Slack: ")
    for word in words:
        assert word in line, line
    assert SECRET not in line


def test_the_oauth_variables_with_a_signing_secret_run_slack_for_any_workspace(monkeypatch):
    for name, value in {**OAUTH, "SLACK_SIGNING_SECRET": SECRET}.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(env_file=None)
    assert settings.slack_installable and settings.platforms() == ["slack"]
    assert SECRET in settings.secret_values()  # masked in logs
