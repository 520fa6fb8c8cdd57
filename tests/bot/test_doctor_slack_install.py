"""``doctor`` with Slack installable by any workspace: the client id and secret are checked
against Slack (here the fake) without a bot token."""

from __future__ import annotations

from tests.adapters.fakes import slack_api
from tests.bot.test_doctor import Check, check, clean_env, fails, slack  # noqa: F401

OAUTH = {"SLACK_CLIENT_ID": slack_api.CLIENT_ID, "SLACK_SIGNING_SECRET": "signing-secret"}


async def test_accepted_client_credentials(slack, check: Check):  # noqa: F811
    code, text = await check(online=True, SLACK_CLIENT_SECRET=slack_api.CLIENT_SECRET,
                             SLACK_API_URL=slack.api_url, **OAUTH)
    assert code == 0, text
    assert "Slack: any workspace can install the app" in text
    assert "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are accepted" in text
    assert slack_api.CLIENT_SECRET not in text
    assert [c.method for c in slack.calls] == ["oauth.v2.access"]


async def test_rejected_client_credentials(slack, check: Check):  # noqa: F811
    code, text = await check(online=True, SLACK_CLIENT_SECRET="wrong-secret-0000",
                             SLACK_API_URL=slack.api_url, **OAUTH)
    assert code == 1
    (found,) = fails(text)
    assert found.startswith("Slack: SLACK_CLIENT_ID/SLACK_CLIENT_SECRET were rejected "
                            "(invalid_client_id)")
    assert "wrong-secret-0000" not in text
