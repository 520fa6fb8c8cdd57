"""Digest posts carry one chart per data version, and a chart that fails costs only itself."""

from __future__ import annotations

import datetime as dt

from bot.core import Core
from bot.models import Context
from bot.storage import Snapshot
from bot.trends import chart as chart_module
from bot.trends.chart import ChartMaker
from bot.trends.render import digest_response

from . import conftest as digests_conftest
from .conftest import World

UTC = dt.UTC


async def test_every_channel_gets_the_same_chart_rendered_once(world: World) -> None:
    assert world.service
    world.service.charts = ChartMaker()  # counted from zero for this test
    for n in range(30):
        await world.subscribe(f"c{n}", weekday=0, time="09:00")
    await world.run_until(dt.datetime(2026, 3, 9, 10, 0, tzinfo=UTC))  # two Mondays
    posts = [r for _, _, r in world.platform.posts]
    assert len(posts) == 60
    first = posts[0].image
    assert first is not None and first.data.startswith(b"\x89PNG")
    assert all(r.image is first for r in posts)  # one object, for 60 posts in two weeks
    assert world.service.charts.renders == 1  # the sample's figures did not change


async def test_new_trend_data_gets_a_new_chart(world: World) -> None:
    assert world.service and world.store
    world.service.charts = ChartMaker()
    await world.subscribe("news", weekday=0, time="09:00")
    await world.run_until(dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    await world.store.add_snapshots([  # collected data replaces the sample
        Snapshot("pypistats", fw, "downloads_day", 1000.0 * (i + 1),
                 dt.datetime(2026, 3, 1, tzinfo=UTC) - dt.timedelta(days=d))
        for i, fw in enumerate(("pytorch", "tensorflow", "keras", "jax")) for d in range(14)
    ])
    await world.run_until(dt.datetime(2026, 3, 9, 10, 0, tzinfo=UTC))
    before, after = (r.image for _, _, r in world.platform.posts)
    assert before is not None and after is not None and before.data != after.data
    assert "sample data" in before.alt and "sample data" not in after.alt
    assert world.service.charts.renders == 2


async def test_a_failed_chart_never_blocks_the_text(world: World, monkeypatch) -> None:  # noqa: ANN001
    assert world.service
    def broken(digest):  # noqa: ANN001, ANN202
        raise MemoryError("no room for a figure")

    monkeypatch.setattr(chart_module, "chart_attachment", broken)
    world.service.charts = ChartMaker()
    await world.subscribe("news", weekday=0, time="09:00")
    await world.subscribe("ops", weekday=0, time="09:00")
    await world.run_until(dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    posts = [r for _, _, r in world.platform.posts]
    assert len(posts) == 2 and all(r.image is None for r in posts)
    digest, _ = await world.service.digest("weekly")
    assert posts[0].plain_text() == digest_response(digest).plain_text()
    assert world.service.charts.failures == 1  # tried once for the version, not per channel


async def test_trends_shows_the_digest_chart_rendered_once(world: World, knowledge) -> None:  # noqa: ANN001
    assert world.service
    world.service.charts = ChartMaker()
    core = Core(knowledge=knowledge, clock=world.clock)
    core.services.update(store=world.store, digests=world.service)
    everything = await core.handle_text("/trends", Context())
    jax = await core.handle_text("/trends jax", Context())
    _, posted = await world.service.digest("weekly")
    assert everything.image is not None and everything.image.data.startswith(b"\x89PNG")
    assert jax.image is everything.image is posted.image
    assert world.service.charts.renders == 1


async def test_trends_without_a_data_directory_still_has_the_sample_chart(knowledge) -> None:  # noqa: ANN001
    core = Core(knowledge=knowledge)
    reply = await core.handle_text("/trends", Context())
    again = await core.handle_text("/trends keras", Context())
    assert reply.image is not None and "sample data" in reply.image.alt
    assert again.image is reply.image


async def test_the_chart_is_drawn_at_start_before_any_post_is_due(world: World,
                                                                   monkeypatch) -> None:  # noqa: ANN001
    await world.subscribe("news", weekday=0, time="09:00")
    await world.run_until(dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    await world.stop()
    fresh = ChartMaker()
    monkeypatch.setattr(digests_conftest, "shared_charts", fresh)
    await world.start()  # a restart: the next post is a week away
    assert fresh.renders == 1 and len(world.platform.posts) == 1
    await world.run_until(dt.datetime(2026, 3, 9, 10, 0, tzinfo=UTC))
    assert fresh.renders == 1 and world.platform.posts[-1][2].image is not None
