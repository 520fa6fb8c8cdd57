"""JsonClient against the local fake: retries, rate limits, timeouts and clean errors."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import socket
import time

import pytest

from bot.trends.http import USER_AGENT, JsonClient, NotFound, RateLimited, SourceError
from tests.fakes.trends_api import TrendsFake

from .conftest import RecordingClock

REPO = "/github/repos/pytorch/pytorch"


def url(fake: TrendsFake, path: str) -> str:
    return fake.base_url + path


async def test_get_json_returns_the_body_and_identifies_itself(fake, client, clock):
    data = await client.get_json(url(fake, REPO))
    assert data["full_name"] == "pytorch/pytorch"
    assert fake.requests[0].headers["User-Agent"] == USER_AGENT
    assert clock.sleeps == []


async def test_429_retry_after_seconds_is_honoured(fake, client, clock):
    fake.fail(REPO, 429, times=1, headers={"Retry-After": "7"})
    data = await client.get_json(url(fake, REPO))
    assert data["stargazers_count"] > 0
    assert clock.sleeps == [7.0]
    assert len(fake.requests) == 2


async def test_retry_after_as_http_date_waits_until_then(fake, client, clock):
    when = email.utils.format_datetime(clock.now().replace(microsecond=0) + _seconds(42),
                                       usegmt=True)
    fake.fail(REPO, 503, times=1, headers={"Retry-After": when})
    await client.get_json(url(fake, REPO))
    assert clock.sleeps == [42.0]


async def test_500_then_success_backs_off_once(fake, client, clock):
    fake.fail(REPO, 500, times=1)
    assert (await client.get_json(url(fake, REPO)))["forks_count"] > 0
    assert clock.sleeps == [1.0]


async def test_500_forever_gives_up_naming_the_request_and_attempts(fake, client, clock):
    fake.fail(REPO, 500)
    with pytest.raises(SourceError) as err:
        await client.get_json(url(fake, REPO), what="GitHub /repos/pytorch/pytorch")
    assert str(err.value) == "GitHub /repos/pytorch/pytorch: HTTP 500 after 3 attempts"
    assert clock.sleeps == [1.0, 2.0]  # doubling backoff, no wait after the last attempt
    assert len(fake.requests) == 3


async def test_a_wait_longer_than_max_wait_gives_up_saying_when_to_retry(fake, client, clock):
    fake.fail(REPO, 429, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimited) as err:
        await client.get_json(url(fake, REPO), what="GitHub /repos/pytorch/pytorch")
    assert "retry after 2026-11-22 06:30:00 UTC" in str(err.value)
    assert err.value.retry_at == clock.now() + _seconds(3600)
    assert clock.sleeps == []
    assert len(fake.requests) == 1


async def test_github_403_rate_limit_waits_for_the_reset(fake, client, clock):
    reset = int(clock.now().timestamp()) + 30
    fake.fail(REPO, 403, times=1,
              headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})
    await client.get_json(url(fake, REPO))
    assert clock.sleeps == [30.0]
    assert len(fake.requests) == 2


async def test_a_plain_403_is_not_retried_and_says_why(fake, client, clock):
    fake.fail(REPO, 403, body={"message": "Resource not accessible by integration"})
    with pytest.raises(SourceError) as err:
        await client.get_json(url(fake, REPO), what="GitHub /repos/pytorch/pytorch")
    assert str(err.value) == (
        "GitHub /repos/pytorch/pytorch: HTTP 403 (Resource not accessible by integration)"
    )
    assert len(fake.requests) == 1 and clock.sleeps == []


async def test_404_is_not_found(fake, client):
    with pytest.raises(NotFound):
        await client.get_json(url(fake, "/github/repos/nobody/nothing"))
    assert len(fake.requests) == 1


async def test_malformed_json_names_the_url_and_is_not_retried(fake, client, clock):
    fake.malformed("/pypistats")
    target = url(fake, "/pypistats/api/packages/torch/recent")
    with pytest.raises(SourceError) as err:
        await client.get_json(target, params={"key": "k-123456"})
    assert f"malformed JSON from {target}" in str(err.value)
    assert "k-123456" not in str(err.value)
    assert len(fake.requests) == 1 and clock.sleeps == []


async def test_a_timeout_is_retried(fake, session, clock):
    client = JsonClient(session, clock, timeout=0.2)
    fake.delay(REPO, 3, times=1)
    started = time.monotonic()
    data = await client.get_json(url(fake, REPO))
    assert data["full_name"] == "pytorch/pytorch"
    assert time.monotonic() - started < 1.0
    assert clock.sleeps == [1.0]


async def test_timeouts_to_the_end_give_up(fake, session, clock):
    client = JsonClient(session, clock, timeout=0.2, retries=2)
    fake.delay(REPO, 3)
    started = time.monotonic()
    with pytest.raises(SourceError) as err:
        await client.get_json(url(fake, REPO), what="GitHub /repos/pytorch/pytorch")
    assert str(err.value) == (
        "GitHub /repos/pytorch/pytorch: timed out (limit 0.2 s) after 2 attempts"
    )
    assert time.monotonic() - started < 1.0


async def test_connection_refused_is_retried_then_reported(session, clock):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = JsonClient(session, clock, timeout=1.0)
    with pytest.raises(SourceError) as err:
        await client.get_json(f"http://127.0.0.1:{port}/x", what="pypistats /x")
    assert str(err.value).startswith("pypistats /x: connection failed (")
    assert str(err.value).endswith("after 3 attempts")
    assert clock.sleeps == [1.0, 2.0]


async def test_stack_exchange_backoff_holds_back_the_next_call_to_that_host(
    fake, client, clock
):
    info = "/stackexchange/2.3/tags/jax/info"
    fake.respond(info, {"items": [], "has_more": False, "backoff": 10}, times=1)
    await client.get_json(url(fake, info), params={"site": "stackoverflow"})
    assert clock.sleeps == []
    async with TrendsFake() as elsewhere:  # another host is not held back
        await client.get_json(url(elsewhere, REPO))
    assert clock.sleeps == []
    await client.get_json(url(fake, info), params={"site": "stackoverflow"})
    assert clock.sleeps == [10.0]
    await client.get_json(url(fake, info), params={"site": "stackoverflow"})
    assert clock.sleeps == [10.0]  # the backoff was used up


async def test_secrets_never_appear_in_errors_or_logs(fake, session, caplog):
    caplog.set_level(logging.DEBUG)
    clock = RecordingClock()
    client = JsonClient(session, clock, timeout=1.0)
    token = "ghp_s3cretTOKENvalue"
    fake.fail("/github", 500,
              body={"message": f"bad credentials Bearer {token}"})  # even if echoed back
    with pytest.raises(SourceError) as err:
        await client.get_json(url(fake, REPO), headers={"Authorization": f"Bearer {token}"})
    fake.reset()
    fake.fail("/stackexchange", 400, body={"error_name": "bad_parameter",
                                           "error_message": "key sekrit-key is not valid"})
    with pytest.raises(SourceError) as err2:
        await client.get_json(url(fake, "/stackexchange/2.3/questions"),
                              params={"key": "sekrit-key", "site": "stackoverflow"})
    assert "sekrit-key" not in str(err2.value) and "bad_parameter" in str(err2.value)
    for text in (str(err.value), str(err2.value), caplog.text):
        assert token not in text and "sekrit-key" not in text


async def test_retries_must_allow_one_attempt(session, clock):
    with pytest.raises(ValueError):
        JsonClient(session, clock, timeout=1.0, retries=0)


def _seconds(n: float) -> dt.timedelta:
    return dt.timedelta(seconds=n)
