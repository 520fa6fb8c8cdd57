"""The digest built from collected data (real HTTP to the fake) and from the shipped sample."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.quiz.bank import QuestionBank
from bot.storage import Snapshot, Store
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
    torch, jax = figures["pytorch"], figures["jax"]
    # Summed by hand from the recorded pypistats rows: torch 15-21 Nov 21,420,437 against
    # 8-14 Nov 21,457,575; the four together 36,132,281 (torch 21,420,437, tensorflow
    # 5,463,617, keras 4,458,663, jax 4,789,564); jax 4,789,564 against 4,872,882.
    assert torch.downloads == 21_420_437 and torch.downloads_at == dt.date(2026, 11, 21)
    assert torch.downloads_change == pytest.approx(-0.0017308, abs=1e-7)  # -37,138
    assert torch.share == pytest.approx(0.592834, abs=1e-6)
    assert jax.downloads_change == pytest.approx(-0.0170983, abs=1e-7)  # -83,318
    assert [round(f.share or 0, 4) for f in digest.figures] == [0.5928, 0.1512, 0.1234, 0.1326]
    assert torch.stars == 105_041 and torch.release is not None
    assert torch.questions == 212  # the recorded total for the 30 days from 23 Oct
    assert len(torch.spark) == 8
    assert digest.mover is jax  # -1.7 %, the largest move of the four
    text = digest_response(digest).plain_text()
    assert "JAX: downloads -1.7% against the week to 14 Nov 2026." in text
    assert "Downloads: 21.4M per week (-0.2%), 59% of the four" in text
    assert "the week to" in text and "sample" not in text.lower()
    assert f"Downloads, last 8 weeks: {torch.spark}" in text  # says what the bars count
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
    assert "Downloads, last 4 sample dates: " in text


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


async def test_stack_overflow_is_each_frameworks_share_of_the_four_not_a_raw_count(
    fake: TrendsFake, tmp_path: Path, knowledge, clock: RecordingClock  # noqa: ANN001
) -> None:
    """Recorded totals: 212, 168, 74 and 19 questions from 23 Oct (473 in all); 236, 181,
    83 and 22 in the 30 days before (522). The site's traffic is falling, so every raw count
    dropped; the shares say who gained: TensorFlow 34.7 % -> 35.5 %."""
    store = await collected_store(fake, tmp_path, knowledge, clock)
    try:
        digest = await DigestBuilder(knowledge, clock, store).build("weekly")
    finally:
        await store.close()
    shares = {f.framework: (f.questions_share, f.questions_share_change)
              for f in digest.figures}
    expected = {"pytorch": (0.448203, -0.390), "tensorflow": (0.355180, 0.844),
                "keras": (0.156448, -0.256), "jax": (0.040169, -0.198)}
    for framework, (share, points) in expected.items():
        assert shares[framework] == (pytest.approx(share, abs=1e-6),
                                     pytest.approx(points, abs=1e-3)), framework
    text = digest_response(digest).plain_text()
    assert "Stack Overflow: 45% of the four's questions in 30 days (-0.4 pts)" in text
    assert "Stack Overflow: 36% of the four's questions in 30 days (+0.8 pts)" in text
    assert "Stack Overflow: 4% of the four's questions in 30 days (-0.2 pts)" in text
    assert "212" not in text and "questions in 30 days (-" in text


async def test_question_share_without_every_earlier_count_has_no_change(
    tmp_path: Path, knowledge  # noqa: ANN001
) -> None:
    """JAX has no count for the earlier window: its share of then is unknown, so is
    everyone's; today's shares still show."""
    clock = FakeClock(NOW)
    store = await Store.open(tmp_path, clock)
    earlier, latest = NOW - dt.timedelta(days=30), NOW
    rows = [("pytorch", earlier, 100), ("tensorflow", earlier, 100),
            ("pytorch", latest, 60), ("tensorflow", latest, 30), ("jax", latest, 10)]
    try:
        await store.add_snapshots([
            *(Snapshot("stackexchange", fw, "questions_30d", value, when)
              for fw, when, value in rows),
            Snapshot("github", "pytorch", "stars", 1000, latest)])  # collected data, not sample
        digest = await DigestBuilder(knowledge, clock, store).build("weekly")
    finally:
        await store.close()
    shares = {f.framework: (f.questions_share, f.questions_share_change)
              for f in digest.figures}
    assert shares == {"pytorch": (0.6, None), "tensorflow": (0.3, None),
                      "keras": (None, None), "jax": (0.1, None)}
    text = digest_response(digest).plain_text()
    assert "Stack Overflow: 60% of the four's questions in 30 days\n" in text


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
