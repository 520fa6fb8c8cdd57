"""The digest built from collected data (real HTTP to the fake) and from the shipped sample."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.clock import FakeClock
from bot.quiz.bank import QuestionBank
from bot.storage import Store
from bot.trends import collector
from bot.trends.digest import DigestBuilder, _teaser, sparkline
from bot.trends.render import digest_response
from tests.fakes.trends_api import TrendsFake

from .conftest import NOW, RecordingClock, settings_for


async def collected_store(fake: TrendsFake, tmp_path: Path, knowledge, clock) -> Store:  # noqa: ANN001
    settings = settings_for(fake, tmp_path)
    store = await Store.open(tmp_path, clock)
    await collector.collect(store, settings, list(knowledge.frameworks.values()), clock)
    return store


async def test_live_digest_has_every_figure_and_names_no_missing_source(
    fake: TrendsFake, tmp_path: Path, knowledge, clock: RecordingClock  # noqa: ANN001
) -> None:
    store = await collected_store(fake, tmp_path, knowledge, clock)
    try:
        digest = await DigestBuilder(knowledge, clock, store, QuestionBank.load()).build("weekly")
    finally:
        await store.close()
    assert digest.data.sample_label is None and digest.fresh and digest.data.missing == ()
    figures = {f.framework: f for f in digest.figures}
    torch = figures["pytorch"]
    assert torch.downloads and torch.downloads_change is not None and torch.share
    assert abs(sum(f.share or 0 for f in figures.values()) - 1) < 1e-9
    assert torch.stars and torch.questions is not None and torch.release is not None
    assert len(torch.spark) == 8
    assert digest.mover is not None and digest.mover.downloads_change == max(
        (f.downloads_change for f in figures.values()), key=lambda c: abs(c or 0))
    text = digest_response(digest).plain_text()
    assert "the week to" in text and "sample" not in text.lower()
    assert "proxies for use" in text and digest.teaser is not None and digest.tip is not None


async def test_a_failed_source_is_named_in_the_digest(
    fake: TrendsFake, tmp_path: Path, knowledge, clock: RecordingClock  # noqa: ANN001
) -> None:
    fake.fail("/stackexchange", 500)
    store = await collected_store(fake, tmp_path, knowledge, clock)
    try:
        digest = await DigestBuilder(knowledge, clock, store).build("weekly")
    finally:
        await store.close()
    assert digest.data.missing == ("Stack Overflow questions",)
    text = digest_response(digest).plain_text()
    assert "No fresh data from Stack Overflow questions" in text
    assert all(f.questions is None for f in digest.figures)


async def test_stale_data_says_there_is_no_fresh_data(
    fake: TrendsFake, tmp_path: Path, knowledge, clock: RecordingClock  # noqa: ANN001
) -> None:
    store = await collected_store(fake, tmp_path, knowledge, clock)
    later = FakeClock(NOW + dt.timedelta(days=10))
    try:
        digest = await DigestBuilder(knowledge, later, store).build("weekly")
    finally:
        await store.close()
    assert not digest.fresh and len(digest.data.missing) == 3
    assert "No fresh trend data this week" in digest_response(digest).plain_text()


async def test_without_collected_data_the_sample_is_shown_with_its_label_and_date(
    tmp_path: Path, knowledge  # noqa: ANN001
) -> None:
    clock = FakeClock(NOW)
    store = await Store.open(tmp_path, clock)
    try:
        digest = await DigestBuilder(knowledge, clock, store).build("weekly")
    finally:
        await store.close()
    text = digest_response(digest).plain_text()
    assert digest.data.sample_label == "Sample data" and not digest.fresh
    assert "sample data to 22 Aug 2026" in text
    # facts: torch 87.3M in the 30 days to 2026-04-01, said once for every line
    assert "Downloads: 87.3M" in text and text.count("the 30 days to 1 Apr 2026") == 1
    # JAX's newest star count (2024-03-21) is 2 years older than the others': said, and why
    jax = next(f for f in digest.figures if f.framework == "jax")
    assert jax.stars_at == dt.date(2024, 3, 21) and jax.stars_old
    assert "27,398 on 21 Mar 2024 (old: the sample's star ranking last listed JAX then)" in text
    assert [f.framework for f in digest.figures if f.stars_old] == ["jax"]
    assert "Not in the sample: Stack Overflow counts" in text


async def test_the_digest_is_composed_once_until_data_or_day_changes(
    fake: TrendsFake, tmp_path: Path, knowledge, clock: RecordingClock  # noqa: ANN001
) -> None:
    store = await collected_store(fake, tmp_path, knowledge, clock)
    builder = DigestBuilder(knowledge, clock, store)
    try:
        first = await builder.build("weekly")
        assert await builder.build("weekly") is first and builder.compositions == 1
        await collector.collect(store, settings_for(fake, tmp_path),
                                list(knowledge.frameworks.values()), clock)
        assert await builder.build("weekly") is not first and builder.compositions == 2
    finally:
        await store.close()


def test_sparkline_scales_between_lowest_and_highest() -> None:
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5, 5, 5]) == "▄▄▄"
    assert sparkline([]) == ""


async def test_a_star_count_older_than_the_others_says_so_and_why(
    fake: TrendsFake, tmp_path: Path, knowledge, clock: RecordingClock  # noqa: ANN001
) -> None:
    store = await collected_store(fake, tmp_path, knowledge, clock)
    try:
        await clock.sleep(10 * 86_400)
        fake.fail("/github/repos/jax-ml/jax", 500)  # JAX's count stops coming for 10 days
        await collector.collect(store, settings_for(fake, tmp_path),
                                list(knowledge.frameworks.values()), clock)
        digest = await DigestBuilder(knowledge, clock, store).build("weekly")
    finally:
        await store.close()
    old = {f.framework: f.stars_old for f in digest.figures if f.stars_old}
    assert list(old) == ["jax"] and "no newer count was collected" in old["jax"]
    text = digest_response(digest).plain_text()
    assert f"on {NOW.day} Nov 2026 (old: no newer count was collected" in text


async def test_a_figure_missing_from_the_start_says_so_and_why(
    fake: TrendsFake, tmp_path: Path, knowledge, clock: RecordingClock  # noqa: ANN001
) -> None:
    fake.fail("/github", 500)
    store = await collected_store(fake, tmp_path, knowledge, clock)
    try:
        digest = await DigestBuilder(knowledge, clock, store).build("weekly")
    finally:
        await store.close()
    text = digest_response(digest).plain_text()
    assert text.count("GitHub stars: no data (none collected yet: the source has not "
                      "answered)") == len(knowledge.frameworks)



def test_every_weeks_quiz_teaser_is_short_enough_to_read_in_passing() -> None:
    bank = QuestionBank.load()
    assert any(len(q.prompt) > 140 for q in bank.shipped.values())  # so the rule is tested
    teasers = [_teaser(bank, turn) for turn in range(60)]  # sixty periods of data
    assert all(q is not None and len(q.prompt) <= 140 for q in teasers)
    assert len({q.id for q in teasers if q}) > 20  # and it still rotates through the bank
