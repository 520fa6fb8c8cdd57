"""The Slack adapter against the shared conformance suite, in both modes.

HTTP mode: signed requests to the real app on a loopback port. Socket Mode: envelopes from
a local fake over a loopback WebSocket. Either way the answers must carry exactly what the
core said, with the same visibility, and buttons must round-trip.
"""

from __future__ import annotations

import pytest

from adapters.slack.delivery import Pacer
from bot.core import Core
from tests.adapters.conformance import *  # noqa: F403
from tests.adapters.fakes.slack_api import Running


@pytest.fixture(params=["http", "socket"])
async def harness(request: pytest.FixtureRequest, core: Core):
    async with Running(core, request.param, pacer=Pacer(per_channel=0, overall=0)) as running:
        yield running
