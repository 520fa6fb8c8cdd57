"""The HN "Who is hiring?" source: keyword rules, thread counting on the recorded responses,
storage as snapshots, and what a fresh install or a broken API gives."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
import yaml

from bot.config import Settings
from bot.storage import Store, open_store
from bot.trends import hiring
from bot.trends.digest import compose
from bot.trends.hiring import HiringMonth, HiringSeries, mentions, plain_text
from bot.trends.render import digest_response
from bot.trends.series import from_sample
from knowledge.schema import HiringSample
from tests.postgres import empty_database

from .conftest import NOW

FOUR = ("pytorch", "tensorflow", "keras", "jax")
NOV, OCT, SEP = dt.date(2026, 11, 1), dt.date(2026, 10, 1), dt.date(2026, 9, 1)


# ------------------------------------------------------------------ keyword rules


@pytest.mark.parametrize(("text", "expected"), [
    ("We use PyTorch and JAX", {"pytorch", "jax"}),
    ("pytorch_lightning for training", {"pytorch"}),
    ("libtorch C++ inference", {"pytorch"}),
    ("Py-Torch, oddly spelled", {"pytorch"}),
    ("our torch has 2000 lumens", set()),  # "torch" alone is not PyTorch
    ("Torch7 (Lua) legacy code", set()),
    ("Terraform (TF) modules in main.tf", set()),  # "TF" alone is Terraform here
    ("tf.keras models", {"tensorflow", "keras"}),  # Keras inside tf.keras counts for Keras
    ("TensorFlow.js in the browser", {"tensorflow"}),
    ("TFLite on Android", {"tensorflow"}),
    ("Keras 3 on any backend", {"keras"}),
    ("JAX-RS, Spring Boot", set()),  # Java's JAX-RS is not JAX
    ("JAX-WS and JAXB", set()),
    ("Jaxon Analytics in Jacksonville", set()),
    ("JAX on TPUs", {"jax"}),
    ("jax.numpy and Flax", {"jax"}),
    ("PYTORCH, TENSORFLOW", {"pytorch", "tensorflow"}),
    ("pytorchic and kerasify are not words", set()),
])
def test_whole_word_rules_with_context(text, expected):
    assert mentions(text, FOUR) == expected


def test_hn_html_is_read_as_text():
    body = ('Research | <a href="https:&#x2F;&#x2F;github.com&#x2F;jax-ml&#x2F;jax">JAX</a>'
            "<p>PyTorch&#x2F;TensorFlow")
    text = plain_text(body)
    assert "PyTorch/TensorFlow" in text and "href" not in text
    assert mentions(text, FOUR) == {"jax", "pytorch", "tensorflow"}


@pytest.mark.parametrize(("title", "month"), [
    ("Ask HN: Who is hiring? (November 2026)", NOV),
    ("Ask HN: Who is hiring? (January 2025)", dt.date(2025, 1, 1)),
    ("Ask HN: Who wants to be hired? (November 2026)", None),
    ("Ask HN: Freelancer? Seeking freelancer? (November 2026)", None),
    ("Ask HN: Who is hiring? (Smarch 2026)", None),
])
def test_only_who_is_hiring_threads_have_a_month(title, month):
    assert hiring.thread_month(title) == month


# ------------------------------------------------------------------ fetching (recorded)


async def test_counts_each_month_from_the_recorded_threads(fake, client, frameworks):
    result = await hiring.fetch(client, fake.urls["hn_algolia_url"], frameworks, NOW)
    assert result.ok, result.errors
    series = hiring.from_snapshots(result.snapshots)
    # Counted by hand from tests/fakes/trend_responses/hn/items/*.json (deleted posts and
    # replies left out; the traps in the November thread count for nothing).
    assert series.months == (
        HiringMonth(SEP, 5, {"pytorch": 2, "tensorflow": 2, "keras": 1, "jax": 0}),
        HiringMonth(OCT, 8, {"pytorch": 3, "tensorflow": 1, "keras": 1, "jax": 2}),
        HiringMonth(NOV, 11, {"pytorch": 2, "tensorflow": 3, "keras": 2, "jax": 2}),
    )
    # The other monthly threads of the same account are never fetched.
    fetched = {r.path for r in fake.requests_to("/hn/api/v1/items/")}
    assert fetched == {f"/hn/api/v1/items/{i}" for i in ("45000000", "45400000", "45800000")}
    [search] = fake.requests_to("/hn/api/v1/search_by_date")
    assert search.query["tags"] == "story,author_whoishiring"


async def test_snapshots_are_dated_by_month_and_name_the_thread(fake, client, frameworks):
    result = await hiring.fetch(client, fake.urls["hn_algolia_url"], frameworks, NOW)
    nov = [s for s in result.snapshots if s.fetched_at == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)]
    assert {(s.framework, s.value, s.label) for s in nov} == {
        ("all", 11, "45800000"), ("pytorch", 2, "45800000"), ("tensorflow", 3, "45800000"),
        ("keras", 2, "45800000"), ("jax", 2, "45800000")}
    assert {(s.source, s.metric) for s in result.snapshots} == {("hn_hiring", "job_posts")}


async def test_known_months_are_not_fetched_again_except_the_newest(fake, client, frameworks):
    await hiring.fetch(client, fake.urls["hn_algolia_url"], frameworks, NOW,
                       known=[SEP, OCT, NOV])
    assert [r.path for r in fake.requests_to("/hn/api/v1/items/")] == [
        "/hn/api/v1/items/45800000"]


async def test_months_older_than_a_year_are_left_alone(fake, client, frameworks):
    later = dt.datetime(2027, 9, 15, tzinfo=dt.UTC)  # September 2026 is now 13 months back
    await hiring.fetch(client, fake.urls["hn_algolia_url"], frameworks, later)
    assert sorted(r.path for r in fake.requests_to("/hn/api/v1/items/")) == [
        "/hn/api/v1/items/45400000", "/hn/api/v1/items/45800000"]


async def test_one_thread_failing_keeps_the_other_months(fake, client, frameworks):
    fake.fail("/hn/api/v1/items/45400000", 500)
    result = await hiring.fetch(client, fake.urls["hn_algolia_url"], frameworks, NOW)
    assert not result.ok
    assert result.errors == ["HN Algolia /items/45400000: HTTP 500 after 3 attempts"]
    assert [m.month for m in hiring.from_snapshots(result.snapshots).months] == [SEP, NOV]


async def test_search_down_is_one_error_and_no_data(fake, client, frameworks):
    fake.fail("/hn/api/v1/search_by_date", 503)
    result = await hiring.fetch(client, fake.urls["hn_algolia_url"], frameworks, NOW)
    assert result.snapshots == []
    assert result.errors == [
        "HN Algolia /search_by_date (whoishiring): HTTP 503 after 3 attempts"]


async def test_stored_months_come_back_and_fetch_new_skips_them(
    fake, client, frameworks, clock, tmp_path
):
    store = await Store.open(tmp_path, clock)
    try:
        first = await hiring.fetch_new(client, fake.urls["hn_algolia_url"], frameworks, NOW,
                                       store)
        await store.add_snapshots(first.snapshots)
        fake.reset()
        again = await hiring.fetch_new(client, fake.urls["hn_algolia_url"], frameworks, NOW,
                                       store)
        assert len(fake.requests_to("/hn/api/v1/items/")) == 1  # only the newest month
        await store.add_snapshots(again.snapshots)
        series = await hiring.latest_figures(store)
        assert series is not None and not series.sample
        assert [m.month for m in series.months] == [SEP, OCT, NOV]
        assert series.latest == HiringMonth(
            NOV, 11, {"pytorch": 2, "tensorflow": 3, "keras": 2, "jax": 2})
    finally:
        await store.close()


# ------------------------------------------------------------------ figures


def test_share_and_change_in_percentage_points():
    series = HiringSeries((
        HiringMonth(OCT, 8, {"pytorch": 3, "jax": 2}),
        HiringMonth(NOV, 10, {"pytorch": 2, "jax": 2}),
    ))
    assert series.latest is not None
    assert series.latest.share("pytorch") == 0.2
    assert series.change("pytorch") == pytest.approx(-17.5)  # 20 % from 37.5 %
    assert series.change("jax") == pytest.approx(-5.0)  # 20 % from 25 %
    assert series.latest.share("keras") is None  # not counted is not zero
    assert HiringSeries((HiringMonth(NOV, 10, {"jax": 1}),)).change("jax") is None


async def test_without_collected_months_the_sample_or_nothing(knowledge, clock, tmp_path):
    store = await Store.open(tmp_path, clock)
    try:
        found = await hiring.latest_figures(store, knowledge.trend_sample)
    finally:
        await store.close()
    shipped = hiring.from_sample(knowledge.trend_sample)
    assert found == shipped
    if shipped is not None:
        assert shipped.sample and len(shipped.months) >= 2
    assert await hiring.latest_figures(None, None) is None


# ------------------------------------------------------------------ in the digest


NAMES = [("pytorch", "PyTorch"), ("tensorflow", "TensorFlow"), ("keras", "Keras"),
         ("jax", "JAX")]
SERIES = HiringSeries((
    HiringMonth(OCT, 8, {"pytorch": 3, "tensorflow": 1, "keras": 1, "jax": 2}),
    HiringMonth(NOV, 11, {"pytorch": 2, "tensorflow": 3, "keras": 2, "jax": 2}),
))


def test_summary_is_dated_with_shares_changes_and_what_it_is():
    assert hiring.summary(SERIES, NAMES) == (
        "November 2026, 11 job posts: PyTorch 18% (-19 pts from October), "
        "TensorFlow 27% (+15 pts from October), Keras 18% (+6 pts from October), "
        "JAX 18% (-7 pts from October). Share of posts naming each framework in Hacker News "
        "“Who is hiring?”: one community's job posts, not the market.")


def test_summary_for_one_framework_small_shares_and_the_sample():
    small = HiringSeries((HiringMonth(NOV, 400, {"jax": 17}),), sample=True)
    assert hiring.summary(small, [("jax", "JAX")]).startswith(
        "Sample data: November 2026, 400 job posts: JAX 4.2%. Share")
    assert hiring.summary(SERIES, [("keras", "Keras")]).startswith(
        "November 2026, 11 job posts: Keras 18% (+6 pts from October). Share")
    assert hiring.summary(None, NAMES) is None
    assert hiring.summary(HiringSeries(()), NAMES) is None


def test_the_digest_text_carries_the_hiring_signal(knowledge):
    data = from_sample(knowledge.trend_sample, list(knowledge.frameworks))
    digest = replace(compose(data, knowledge, data.as_of), hiring=SERIES)
    sections = {s.heading: s.body for s in digest_response(digest).sections}
    assert sections["Hiring signal"].startswith("November 2026, 11 job posts: PyTorch 18%")
    only = {s.heading: s.body for s in digest_response(digest, only="jax").sections}
    assert only["Hiring signal"].startswith("November 2026, 11 job posts: JAX 18% (-7 pts")
    without = digest_response(replace(digest, hiring=None))
    assert "Hiring signal" not in {s.heading for s in without.sections}


# ------------------------------------------------------------------ the shipped sample


@pytest.mark.parametrize("where", ["data directory", "database"])
async def test_collected_months_become_a_valid_sample_block(fake, client, frameworks, clock,
                                                            tmp_path, knowledge, request, where):
    """From the storage the bot uses: the data directory, or DATABASE_URL when it is set."""
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    if where == "database":
        url = request.getfixturevalue("pg_url")
        await empty_database(url)
        settings = Settings(_env_file=None, data_dir=tmp_path / "unused",  # type: ignore[call-arg]
                            database_url=url)
    store = await open_store(settings, clock)
    try:
        fetched = await hiring.fetch(client, fake.urls["hn_algolia_url"], frameworks, NOW)
        await store.add_snapshots(fetched.snapshots)
    finally:
        await store.close()
    lines: list[str] = []
    assert await hiring.sample_command(settings, clock, lines.append) == 0
    block = HiringSample.model_validate(yaml.safe_load(lines[0])["hiring"])
    assert [(r.month, r.posts, r.mentions["pytorch"]) for r in block.rows] == [
        (SEP, 5, 2), (OCT, 8, 3), (NOV, 11, 2)]
    sample = knowledge.trend_sample.model_copy(update={"hiring": block})
    shipped = hiring.from_sample(sample)
    assert shipped is not None and shipped.sample
    assert shipped.latest == HiringMonth(
        NOV, 11, {"pytorch": 2, "tensorflow": 3, "keras": 2, "jax": 2})


async def test_no_sample_block_without_two_collected_months(clock, tmp_path):
    lines: list[str] = []
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert await hiring.sample_command(settings, clock, lines.append) == 1
    assert "trends collect" in lines[0]


def test_the_sample_block_is_checked():
    row = {"month": "2026-11-01", "posts": 10, "mentions": {"jax": 11}}
    with pytest.raises(ValueError, match="more posts than there are"):
        HiringSample.model_validate({"source": "hn-algolia", "note": "n", "rows": [
            {"month": "2026-10-01", "posts": 10, "mentions": {"jax": 1}}, row]})
    with pytest.raises(ValueError, match="first of a month"):
        HiringSample.model_validate({"source": "hn-algolia", "note": "n", "rows": [
            {"month": "2026-10-02", "posts": 10, "mentions": {"jax": 1}},
            {**row, "mentions": {"jax": 1}}]})
