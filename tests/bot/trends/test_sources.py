"""Each trend source against the fake: the exact snapshot contract, and per-framework isolation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from bot.trends import github, pypistats, stackexchange
from tests.fakes.trends_api import RESPONSES

from .conftest import NOW

MIDNIGHT = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)


def recorded(relative: str) -> dict:
    return json.loads((RESPONSES / Path(relative)).read_text())


def by(snapshots, metric, framework=None):
    return [s for s in snapshots
            if s.metric == metric and (framework is None or s.framework == framework)]


# ------------------------------------------------------------------ pypistats


async def test_pypistats_daily_rows_and_recent_totals(fake, client, frameworks):
    result = await pypistats.fetch(client, fake.urls["pypistats_url"], frameworks, NOW)
    assert result.ok and result.errors == []
    assert {s.source for s in result.snapshots} == {"pypistats"}
    days = by(result.snapshots, "downloads_day", "pytorch")
    rows = recorded("pypistats/overall/torch.json")["data"]
    assert len(days) == len(rows) == 180
    assert days[0].fetched_at == dt.datetime(2026, 5, 26, tzinfo=dt.UTC)
    assert days[-1].fetched_at == dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
    assert [s.value for s in days] == [r["downloads"] for r in rows]
    recent = recorded("pypistats/recent/jax.json")["data"]
    for key in ("last_day", "last_week", "last_month"):
        [snap] = by(result.snapshots, f"downloads_{key}", "jax")
        assert (snap.value, snap.fetched_at, snap.label) == (recent[key], NOW, None)
    assert len(result.snapshots) == 4 * (180 + 3)
    overall = fake.requests_to("/pypistats/api/packages/torch/overall")
    assert overall[0].query == {"mirrors": "false"}


async def test_pypistats_keeps_only_rows_without_mirrors(fake, client, frameworks):
    fake.respond("/pypistats/api/packages/keras/overall", {"data": [
        {"category": "with_mirrors", "date": "2026-11-21", "downloads": 999},
        {"category": "without_mirrors", "date": "2026-11-21", "downloads": 640},
    ], "package": "keras", "type": "overall_downloads"})
    result = await pypistats.fetch(client, fake.urls["pypistats_url"], frameworks, NOW)
    [day] = by(result.snapshots, "downloads_day", "keras")
    assert day.value == 640


async def test_one_package_failing_keeps_the_others(fake, client, frameworks):
    fake.fail("/pypistats/api/packages/keras/", 500)
    result = await pypistats.fetch(client, fake.urls["pypistats_url"], frameworks, NOW)
    assert not result.ok
    assert result.errors == [
        "pypistats /packages/keras/overall: HTTP 500 after 3 attempts",
        "pypistats /packages/keras/recent: HTTP 500 after 3 attempts",
    ]
    assert {s.framework for s in result.snapshots} == {"pytorch", "tensorflow", "jax"}


async def test_an_unexpected_shape_is_that_request_failing(fake, client, frameworks):
    fake.respond("/pypistats/api/packages/jax/recent", {"data": {"last_day": 1}})
    result = await pypistats.fetch(client, fake.urls["pypistats_url"], frameworks, NOW)
    assert len(result.errors) == 1 and "pypistats jax: unexpected response" in result.errors[0]
    assert by(result.snapshots, "downloads_day", "jax")


# ------------------------------------------------------------------ GitHub


async def test_github_repository_counts_and_latest_release(fake, client, frameworks):
    result = await github.fetch(client, fake.urls["github_api_url"], frameworks, NOW,
                                token="t0k3n-for-test")
    assert result.ok
    repo = recorded("github/repos/tensorflow__tensorflow.json")
    for metric, key in (("stars", "stargazers_count"), ("forks", "forks_count"),
                        ("open_issues", "open_issues_count")):
        [snap] = by(result.snapshots, metric, "tensorflow")
        assert (snap.source, snap.value, snap.fetched_at) == ("github", repo[key], NOW)
    releases = {s.framework: s for s in by(result.snapshots, "release")}
    assert {fw: s.label for fw, s in releases.items()} == {
        "pytorch": "v2.15.0", "tensorflow": "v2.21.0", "keras": "v3.15.1",
        "jax": "jax-v0.12.0.1",
    }
    jax = releases["jax"]
    assert jax.fetched_at == dt.datetime(2026, 11, 17, 16, 25, 4, tzinfo=dt.UTC)
    assert jax.value == 1_794_932_704  # its published_at, 2026-11-17T16:25:04Z, in epoch seconds
    assert len(result.snapshots) == 4 * 4
    for request in fake.requests:
        assert request.headers["Authorization"] == "Bearer t0k3n-for-test"
        assert request.headers["Accept"] == "application/vnd.github+json"
        assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert {r.path for r in fake.requests} >= {"/github/repos/jax-ml/jax",
                                                "/github/repos/jax-ml/jax/releases/latest"}


async def test_github_without_a_token_sends_no_authorization(fake, client, frameworks):
    await github.fetch(client, fake.urls["github_api_url"], frameworks, NOW)
    assert all("Authorization" not in r.headers for r in fake.requests)


async def test_no_release_is_no_data_not_a_failure(fake, client, frameworks):
    fake.fail("/github/repos/jax-ml/jax/releases/latest", 404)
    result = await github.fetch(client, fake.urls["github_api_url"], frameworks, NOW)
    assert result.ok
    assert "jax" not in {s.framework for s in by(result.snapshots, "release")}
    assert by(result.snapshots, "stars", "jax")


async def test_a_long_rate_limit_stops_the_source_at_once(fake, client, clock, frameworks):
    reset = int(NOW.timestamp()) + 1800
    fake.fail("/github", 403, headers={"x-ratelimit-remaining": "0",
                                       "x-ratelimit-reset": str(reset)})
    result = await github.fetch(client, fake.urls["github_api_url"], frameworks, NOW)
    assert result.snapshots == []
    assert result.errors == ["GitHub /repos/pytorch/pytorch: rate limited (HTTP 403); "
                             "retry after 2026-11-22 06:00:00 UTC"]
    assert len(fake.requests) == 1 and clock.sleeps == []


# ------------------------------------------------------------------ Stack Exchange


async def test_stackexchange_totals_and_two_monthly_windows(fake, client, frameworks):
    result = await stackexchange.fetch(client, fake.urls["stackexchange_api_url"], frameworks,
                                       NOW, key="se-key-1")
    assert result.ok
    totals = {s.framework: s for s in by(result.snapshots, "questions_total")}
    assert {fw: s.value for fw, s in totals.items()} == {
        "pytorch": 25_960, "tensorflow": 81_390, "keras": 43_520, "jax": 1_510}
    assert {s.fetched_at for s in totals.values()} == {NOW}
    windows = by(result.snapshots, "questions_30d", "pytorch")
    assert [(s.fetched_at, s.value) for s in windows] == [
        (MIDNIGHT, 212), (MIDNIGHT - dt.timedelta(days=30), 236)]
    assert len(result.snapshots) == 4 + 4 * 2

    [info] = fake.requests_to("/stackexchange/2.3/tags/")
    assert info.path == "/stackexchange/2.3/tags/pytorch;tensorflow;keras;jax/info"
    assert info.query["site"] == "stackoverflow" and info.query["key"] == "se-key-1"
    newest = fake.requests_to("/stackexchange/2.3/questions")[0].query
    assert newest == {"site": "stackoverflow", "key": "se-key-1", "tagged": "pytorch",
                      "filter": "total",
                      "fromdate": str(int((MIDNIGHT - dt.timedelta(days=30)).timestamp())),
                      "todate": str(int(MIDNIGHT.timestamp()) - 1)}


async def test_stackexchange_unknown_tag_is_reported_the_rest_kept(fake, client, frameworks):
    jax = next(f for f in frameworks if f.id == "jax")
    renamed = [f for f in frameworks if f.id != "jax"] + [
        jax.model_copy(update={"stackoverflow_tag": "no-such-tag"})]
    result = await stackexchange.fetch(client, fake.urls["stackexchange_api_url"], renamed, NOW)
    assert result.errors == ["Stack Exchange: no tag [no-such-tag] on stackoverflow"]
    assert len(by(result.snapshots, "questions_total")) == 3


async def test_stackexchange_backoff_is_respected_within_a_run(fake, client, clock, frameworks):
    recorded_info = recorded("stackexchange/tags_info.json")
    fake.respond("/stackexchange/2.3/tags/", {**recorded_info, "backoff": 5}, times=1)
    result = await stackexchange.fetch(client, fake.urls["stackexchange_api_url"], frameworks,
                                       NOW)
    assert result.ok
    assert clock.sleeps == [5.0]  # once, before the first call after the backoff
    assert len(fake.requests) == 9
