"""Socket Mode end to end against a local fake: ``apps.connections.open`` hands out a loopback
WebSocket URL, the fake sends envelopes as Slack does, and the app acknowledges each with its
envelope id (and, for a slash command, the response itself)."""

from __future__ import annotations

import pytest

from adapters.slack import SlackConfigError, start_slack
from tests.adapters.fakes.slack_api import (
    APP_TOKEN,
    Running,
    action_payload,
    settings_for,
    slash_payload,
    visible_text,
)


async def test_it_connects_with_the_app_token_through_apps_connections_open(core):
    async with Running(core, "socket") as h:
        (opened,) = h.fake.of("apps.connections.open")
        assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"
        assert h.adapter.mode == "socket"


async def test_a_slash_command_envelope_is_acked_with_its_id_and_the_response(core):
    async with Running(core, "socket") as h:
        payload = slash_payload(h.fake, "/framework", "role:ml-engineer", user="U1",
                                channel="C1")
        await h.fake.send_envelope({"envelope_id": "e-42", "type": "slash_commands",
                                    "accepts_response_payload": True, "payload": payload})
        reply = await h.fake.socket_reply()
        assert reply["envelope_id"] == "e-42"
        assert reply["payload"]["response_type"] == "in_channel"
        expected = await core.handle_text("/framework role:ml-engineer",
                                          h.context(user="U1", channel="C1"))
        assert expected.title in visible_text(reply["payload"])


async def test_a_private_answer_is_ephemeral_in_socket_mode_too(core):
    async with Running(core, "socket") as h:
        payload = slash_payload(h.fake, "/framework", "role:astronaut", user="U1",
                                channel="C1")
        await h.fake.send_envelope({"envelope_id": "e-1", "type": "slash_commands",
                                    "accepts_response_payload": True, "payload": payload})
        reply = await h.fake.socket_reply()
        assert reply["payload"]["response_type"] == "ephemeral"
        assert "astronaut" in visible_text(reply["payload"])


async def test_a_click_envelope_is_acked_and_answered_through_response_url(core):
    async with Running(core, "socket") as h:
        shown = await h.command_shown("/framework role:ml-engineer", user="U1", channel="C1")
        message = shown[0].message
        value = message["blocks"][-1]["elements"][0]["value"]
        payload = action_payload(h.fake, message, value, user="U2", channel="C1")
        await h.fake.send_envelope({"envelope_id": "e-click", "type": "interactive",
                                    "accepts_response_payload": False, "payload": payload})
        reply = await h.fake.socket_reply()
        assert reply == {"envelope_id": "e-click"}
        key = payload["response_url"].rsplit("/", 1)[1]
        (answer,) = await h.fake.wait_for(f"response_url:{key}")
        expected = await core.press(value, h.context(user="U2", channel="C1"))
        assert expected.title in visible_text(answer.data)


@pytest.mark.parametrize("mode,variable", [("http", "SLACK_BOT_TOKEN"),
                                           ("socket", "SLACK_BOT_TOKEN"),
                                           ("socket", "SLACK_APP_TOKEN")])
async def test_a_rejected_token_stops_the_start_with_a_clear_error(core, mode, variable):
    from tests.adapters.fakes.slack_api import FakeSlack

    fake = FakeSlack()
    await fake.start()
    try:
        wrong = {variable.lower(): "xoxb-wrong" if variable == "SLACK_BOT_TOKEN" else "xapp-x"}
        with pytest.raises(SlackConfigError, match=f"Slack rejected {variable} "
                                                   r"\(invalid_auth\)"):
            await start_slack(core, settings_for(fake, mode, **wrong), host="127.0.0.1")
    finally:
        await fake.stop()


async def test_slack_needs_an_app_token_or_a_signing_secret(core):
    from tests.adapters.fakes.slack_api import FakeSlack

    settings = settings_for(FakeSlack(), "neither")
    with pytest.raises(SlackConfigError, match="SLACK_APP_TOKEN"):
        await start_slack(core, settings)
