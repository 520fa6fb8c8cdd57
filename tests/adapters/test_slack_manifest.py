"""The app manifest declares exactly what the code needs: every core command under its Slack
name, the scopes of the Web API methods the adapter calls, interactivity and Socket Mode."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from adapters.slack.app import EVENTS_PATH
from bot.core import Core

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "slack_manifest.yaml").read_text())
SEVEN = {"/framework", "/about", "/compare", "/quiz", "/digest", "/trends", "/fc-help"}

# What each Web API method the adapter may call needs (https://docs.slack.dev/reference).
METHOD_SCOPES = {
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "users.info": {"users:read"},
    "conversations.info": {"channels:read", "groups:read"},
    # slack-sdk's files_upload_v2: files.getUploadURLExternal + files.completeUploadExternal
    "files.uploadV2": {"files:write"},
}


def _commands() -> dict[str, dict]:
    return {c["command"]: c for c in MANIFEST["features"]["slash_commands"]}


def test_the_manifest_lists_the_seven_commands():
    assert set(_commands()) == SEVEN
    for entry in _commands().values():
        assert entry["description"] and len(entry["description"]) <= 2000
        assert entry["should_escape"] is True  # mentions arrive as ids; we unescape &<>
        assert "url" not in entry  # Socket Mode; docs/slack.md covers HTTP mode


def test_every_registered_command_is_in_the_manifest_as_registered(core: Core):
    commands = _commands()
    for spec in core.registry.commands():
        name = f"/{spec.name_on('slack')}"
        assert name in commands, f"{name} is registered but missing from slack_manifest.yaml"
        assert commands[name]["description"] == spec.description, (
            f"update {name}'s description in slack_manifest.yaml to the registry's")


def test_scopes_are_exactly_those_of_the_methods_the_adapter_calls():
    source = "\n".join(p.read_text() for p in (ROOT / "adapters" / "slack").glob("*.py"))
    called = set(re.findall(r'"((?:chat|users|conversations)\.[A-Za-z]+)"', source))
    called |= {m.replace("_", ".", 1) for m in
               re.findall(r"\.((?:chat|users|conversations|files)_[a-z0-9_]+)\(", source)}
    called = {re.sub(r"_([a-z])", lambda x: x.group(1).upper(), m) for m in called}
    assert called <= set(METHOD_SCOPES), f"add scopes for {called - set(METHOD_SCOPES)}"
    needed = {"commands"}.union(*(METHOD_SCOPES[m] for m in called))
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed
    assert "user" not in MANIFEST["oauth_config"]["scopes"]


def test_interactivity_and_socket_mode_are_on_and_only_uninstalls_are_subscribed():
    settings = MANIFEST["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    # the only events the adapter listens to: an uninstall stops the workspace
    assert settings["event_subscriptions"] == {"bot_events": ["app_uninstalled",
                                                              "tokens_revoked"]}
    assert EVENTS_PATH == "/slack/events"  # what docs/slack.md tells HTTP-mode users


def test_the_redirect_url_is_bolts_oauth_redirect_over_https():
    (url,) = MANIFEST["oauth_config"]["redirect_urls"]
    assert url.startswith("https://") and url.endswith("/slack/oauth_redirect")
