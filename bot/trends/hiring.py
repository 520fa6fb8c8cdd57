"""A hiring signal: how many posts in Hacker News's monthly "Who is hiring?" thread name each
framework, read through the public HN Algolia API.

It is one community's job posts (startups, mostly US and remote), not the job market: the
digest says so. Counting is done here, post by post, with whole-word rules, because the
search endpoint's hit counts use typo tolerance and prefix matching. Known traps:

- "torch" alone is not PyTorch (flashlights, Lua's Torch7); "PyTorch", "libtorch" and
  "pytorch_lightning" are.
- "TF" alone is usually Terraform; "tf.keras", "TFLite", "tfjs" are TensorFlow.
- "Keras" inside "tf.keras" counts for Keras (and, through ``tf.``, for TensorFlow).
- "TensorFlow.js" and "TensorFlow Lite" count for TensorFlow on purpose: same skills.
- "JAX" is fine, except Java's "JAX-RS", "JAX-WS", "JAX-B", "JAX-P".

A post counts once per framework however often it names it. Months are stored as
snapshots dated the first of the month (source ``hn_hiring``): one ``job_posts`` figure per
framework and one for all posts (framework ``all``), so re-collecting a month overwrites it.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from bot.storage import Snapshot
from knowledge.schema import Framework

from .http import Fetched, JsonClient, Step, run_steps

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Settings
    from bot.storage import Store
    from knowledge.schema import TrendSampleFile

NAME = "hn_hiring"
METRIC = "job_posts"
ALL = "all"  # the "framework" of a month's total post count
MONTHS = 12  # how far back a first collection reaches
HITS_PER_PAGE = 50
SOURCE_NOTE = "Hacker News “Who is hiring?” posts: one community's job posts, not the market"

_TITLE = re.compile(r"^Ask HN: Who is hiring\? \(([A-Z][a-z]+) (\d{4})\)\s*$")
_MONTH_NAMES = {name: i for i, name in enumerate(
    ("January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"), start=1)}
_TAG = re.compile(r"<[^>]+>")
_START = r"(?<![A-Za-z0-9])"  # "_" and "." separate words here (pytorch_lightning, tf.keras)
_END = r"(?![A-Za-z0-9])"

# framework id -> what counts as a mention. A content rule, tested in test_hiring.py.
RULES: Mapping[str, re.Pattern[str]] = MappingProxyType({
    "pytorch": re.compile(rf"{_START}(?:py-?torch|libtorch){_END}", re.IGNORECASE),
    "tensorflow": re.compile(
        rf"{_START}(?:tensorflow|tf\.keras|tflite|tfjs|tfx){_END}", re.IGNORECASE),
    "keras": re.compile(rf"{_START}keras{_END}", re.IGNORECASE),
    "jax": re.compile(rf"{_START}jax{_END}(?!\s*-\s*(?:rs|ws|b|p)\b)", re.IGNORECASE),
})


def plain_text(comment_html: str) -> str:
    """A post's text without tags and entities (HN escapes "/" as ``&#x2F;``)."""
    return html.unescape(_TAG.sub(" ", comment_html))


def mentions(text: str, frameworks: Iterable[str] = RULES) -> set[str]:
    """The frameworks a post names, by the rules above (frameworks without a rule: never)."""
    return {fw for fw in frameworks if fw in RULES and RULES[fw].search(text)}


def thread_month(title: str) -> dt.date | None:
    """The month a "Who is hiring?" thread is for, from its title; None for other threads
    (the same account posts "Who wants to be hired?" and "Freelancer?")."""
    found = _TITLE.match(title.strip())
    if not found or found.group(1) not in _MONTH_NAMES:
        return None
    return dt.date(int(found.group(2)), _MONTH_NAMES[found.group(1)], 1)


@dataclass(frozen=True, slots=True)
class HiringMonth:
    """One month's thread: its job posts, and how many of them name each framework."""

    month: dt.date  # the first of the month
    posts: int
    mentions: Mapping[str, int] = field(default_factory=dict)

    def share(self, framework: str) -> float | None:
        """The fraction of this month's posts naming ``framework``; None if unknown."""
        if not self.posts or framework not in self.mentions:
            return None
        return self.mentions[framework] / self.posts


@dataclass(frozen=True, slots=True)
class HiringSeries:
    """Months oldest first; ``sample`` when it is the shipped history, not collected."""

    months: tuple[HiringMonth, ...]
    sample: bool = False
    source: str = SOURCE_NOTE

    @property
    def latest(self) -> HiringMonth | None:
        return self.months[-1] if self.months else None

    def change(self, framework: str) -> float | None:
        """Percentage points between the latest month's share and the month before."""
        if len(self.months) < 2:
            return None
        now, before = self.months[-1].share(framework), self.months[-2].share(framework)
        if now is None or before is None:
            return None
        return (now - before) * 100


def count_thread(item: Mapping[str, Any], frameworks: Sequence[str]) -> HiringMonth | None:
    """Count a thread (``GET /items/<id>``): its top-level comments are the job posts;
    deleted ones (text null) and replies are not."""
    month = thread_month(str(item.get("title") or ""))
    if month is None:
        return None
    posts = 0
    counts = dict.fromkeys(frameworks, 0)
    for child in item.get("children") or ():
        text = child.get("text")
        if not text:
            continue
        posts += 1
        for fw in mentions(plain_text(text), frameworks):
            counts[fw] += 1
    return HiringMonth(month, posts, counts)


def to_snapshots(month: HiringMonth, thread_id: str) -> list[Snapshot]:
    when = dt.datetime.combine(month.month, dt.time(), dt.UTC)
    out = [Snapshot(NAME, ALL, METRIC, month.posts, when, label=thread_id)]
    out.extend(Snapshot(NAME, fw, METRIC, n, when, label=thread_id)
               for fw, n in month.mentions.items())
    return out


def from_snapshots(snapshots: Iterable[Snapshot]) -> HiringSeries:
    """Stored months back into a series (months without a total are left out)."""
    totals: dict[dt.date, int] = {}
    counts: dict[dt.date, dict[str, int]] = {}
    for s in snapshots:
        if s.source != NAME or s.metric != METRIC:
            continue
        month = s.fetched_at.astimezone(dt.UTC).date()
        if s.framework == ALL:
            totals[month] = int(s.value)
        else:
            counts.setdefault(month, {})[s.framework] = int(s.value)
    return HiringSeries(tuple(
        HiringMonth(m, totals[m], counts.get(m, {})) for m in sorted(totals)
    ))


def from_sample(sample: TrendSampleFile | None) -> HiringSeries | None:
    """The shipped hiring history, if the sample file has one."""
    hiring = getattr(sample, "hiring", None)
    if hiring is None:
        return None
    months = tuple(
        HiringMonth(row.month, row.posts, dict(row.mentions)) for row in hiring.rows
    )
    return HiringSeries(months, sample=True)


async def stored(store: Store) -> HiringSeries:
    """The collected months, oldest first."""
    return from_snapshots(await store.snapshots(source=NAME, metric=METRIC))


async def latest_figures(
    store: Store | None, sample: TrendSampleFile | None = None
) -> HiringSeries | None:
    """What /framework and the digest show: collected months, else the shipped sample,
    else None. Each month carries its date, so advice built on it can say how old it is."""
    if store is not None:
        series = await stored(store)
        if series.months:
            return series
    return from_sample(sample)


def summary(series: HiringSeries | None, names: Sequence[tuple[str, str]]) -> str | None:
    """One dated line for a digest or an answer: the latest month's share of posts naming
    each framework (``names``: id and display name), its change from the month before, and
    what the figure is. None when there is no month to show."""
    latest = series.latest if series is not None else None
    if series is None or latest is None or not latest.posts:
        return None
    before = series.months[-2].month if len(series.months) > 1 else None
    parts = []
    for fw, name in names:
        share = latest.share(fw)
        if share is None:
            continue
        change = series.change(fw)
        since = f" ({change:+.0f} pts from {before:%B})" if change is not None and before else ""
        parts.append(f"{name} {_pct(share)}{since}")
    if not parts:
        return None
    sample = "Sample data: " if series.sample else ""
    return (f"{sample}{latest.month:%B %Y}, {latest.posts:,} job posts: " + ", ".join(parts)
            + ". Share of posts naming each framework in Hacker News “Who is hiring?”: "
            "one community's job posts, not the market.")


def sample_yaml(series: HiringSeries, source_date: dt.date) -> str:
    """Collected months as the ``hiring:`` block of knowledge/trends_sample.yaml, so the
    shipped sample is real counts made by these rules (``trends hiring-sample``)."""
    lines = [
        "hiring:",
        "  source: hn-algolia",
        f"  note: Hacker News “Who is hiring?” posts naming each framework (bot/trends/hiring.py"
        f" rules), counted {source_date.isoformat()}; one community's job posts, not the"
        " market.",
        "  rows:",
    ]
    for m in series.months:
        counts = ", ".join(f"{fw}: {n}" for fw, n in m.mentions.items())
        lines += [f"    - month: {m.month.isoformat()}", f"      posts: {m.posts}",
                  f"      mentions: {{{counts}}}"]
    return "\n".join(lines)


async def sample_command(settings: Settings, clock: Clock,
                         out: Callable[[str], None]) -> int:
    """``framework-coach trends hiring-sample``: print the collected months as sample YAML
    (run ``trends collect`` first); 1 when fewer than two months are stored. Reads the
    storage the bot uses (``DATABASE_URL`` when set)."""
    from bot.storage import open_store

    store = await open_store(settings, clock)
    try:
        series = await stored(store)
    finally:
        await store.close()
    if len(series.months) < 2:
        out("Fewer than two months collected: run `framework-coach trends collect` first.")
        return 1
    out(sample_yaml(series, clock.now().date()))
    return 0


def _pct(share: float) -> str:
    return f"{share:.0%}" if share >= 0.095 or share == 0 else f"{share:.1%}"


# ---------------------------------------------------------------------- collecting


async def fetch(
    client: JsonClient,
    base_url: str,
    frameworks: Sequence[Framework],
    now: dt.datetime,
    *,
    known: Iterable[dt.date] = (),
) -> Fetched:
    """Count the newest thread, and every thread of the last ``MONTHS`` months not yet
    ``known`` (a first run fills the history; later runs fetch about one thread a day,
    the newest, which keeps growing for a few days)."""
    base = base_url.rstrip("/")
    ids = [fw.id for fw in frameworks]
    threads: list[tuple[dt.date, str]] = []

    async def find() -> list[Snapshot]:
        data = await client.get_json(
            f"{base}/search_by_date",
            params={"tags": "story,author_whoishiring", "hitsPerPage": HITS_PER_PAGE},
            what="HN Algolia /search_by_date (whoishiring)",
        )
        for hit in data["hits"]:
            month = thread_month(str(hit.get("title") or ""))
            if month is not None:
                threads.append((month, str(hit["objectID"])))
        return []

    result = await run_steps([("HN Algolia search", find)])
    if not result.ok:
        return result
    threads.sort(reverse=True)
    oldest = _months_before(now.astimezone(dt.UTC).date().replace(day=1), MONTHS - 1)
    have = set(known)
    wanted = [(m, tid) for i, (m, tid) in enumerate(threads)
              if m >= oldest and (i == 0 or m not in have)]
    steps: list[Step] = [
        (f"HN thread {tid} ({m:%B %Y})", _thread_step(client, base, tid, ids))
        for m, tid in wanted
    ]
    counted = await run_steps(steps)
    counted.errors[:0] = result.errors
    return counted


def _thread_step(client: JsonClient, base: str, thread_id: str,
                 ids: list[str]) -> Callable[[], Awaitable[list[Snapshot]]]:
    async def step() -> list[Snapshot]:
        item = await client.get_json(f"{base}/items/{thread_id}",
                                     what=f"HN Algolia /items/{thread_id}")
        month = count_thread(item, ids)
        return to_snapshots(month, thread_id) if month is not None else []
    return step


async def fetch_new(
    client: JsonClient,
    base_url: str,
    frameworks: Sequence[Framework],
    now: dt.datetime,
    store: Store,
) -> Fetched:
    """``fetch`` with the months already in ``store`` as known (the collector's entry)."""
    have = [m.month for m in (await stored(store)).months]
    return await fetch(client, base_url, frameworks, now, known=have)


def _months_before(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 - n
    return dt.date(index // 12, index % 12 + 1, 1)
