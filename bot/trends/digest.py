"""The trend digest: figures per framework, the biggest mover, a tip and a quiz teaser.

``compose`` is a pure function of the trend data and the knowledge; ``DigestBuilder``
computes it once per cadence and data version and hands the same digest to every channel,
so a fan-out to thousands of subscriptions costs one composition.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.trends import hiring
from bot.trends.hiring import HiringSeries
from bot.trends.series import (
    HISTORY_DAYS,
    PERIOD_DAYS,
    Point,
    Release,
    TrendData,
    from_sample,
    from_snapshots,
    value_at,
)
from knowledge.loader import Knowledge
from knowledge.schema import Question

if TYPE_CHECKING:
    from bot.quiz.bank import QuestionBank
    from bot.storage import Store

SPARK_BARS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True, slots=True)
class Figures:
    """One framework's numbers for the period; ``None`` where the data is missing."""

    framework: str
    name: str
    downloads: float | None = None
    downloads_at: dt.date | None = None  # end of the period the downloads cover
    downloads_change: float | None = None  # fraction against the previous period
    downloads_since: dt.date | None = None  # end of the period compared against
    share: float | None = None  # of the four frameworks' downloads
    stars: float | None = None
    stars_at: dt.date | None = None
    stars_change: float | None = None  # absolute, against one period earlier
    stars_since: dt.date | None = None
    questions: float | None = None  # Stack Overflow questions in the last 30 days
    # Share of the four frameworks' questions, and its change in percentage points against
    # the 30 days before: the site's traffic is falling, so raw counts mislead.
    questions_share: float | None = None
    questions_share_change: float | None = None
    release: Release | None = None
    new_release: bool = False  # published within this period
    spark: str = ""
    stars_old: str | None = None  # why the star count is older than the others', when it is


@dataclass(frozen=True, slots=True)
class Tip:
    framework: str
    text: str
    as_of: dt.date
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Digest:
    data: TrendData
    figures: tuple[Figures, ...]
    mover: Figures | None
    tip: Tip | None
    teaser: Question | None
    hiring: HiringSeries | None = None  # HN "Who is hiring?" months, collected or sample

    @property
    def fresh(self) -> bool:
        """False when none of the sources had fresh data (sample data counts as not fresh)."""
        return self.data.sample_label is None and len(self.data.missing) < 3


def compose(
    data: TrendData, knowledge: Knowledge, today: dt.date, bank: QuestionBank | None = None
) -> Digest:
    figures = [_figures(data, fw_id, knowledge.framework(fw_id).name, today)
               for fw_id in data.frameworks]
    figures = _mark_old_stars(figures, data, knowledge)
    figures = _question_shares(figures, data)
    total = sum(f.downloads for f in figures if f.downloads is not None)
    if total:
        figures = [
            replace(f, share=f.downloads / total) if f.downloads is not None else f
            for f in figures
        ]
    movers = [f for f in figures if f.downloads_change is not None]
    mover = max(movers, key=lambda f: abs(f.downloads_change or 0.0), default=None)
    turn = (data.as_of or today).toordinal() // max(data.period_days, 1)
    return Digest(data, tuple(figures), mover, _tip(knowledge, turn), _teaser(bank, turn))


def sparkline(values: list[float]) -> str:
    """Eight bar heights scaled between the smallest and the largest value shown."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return SPARK_BARS[3] * len(values)
    top = len(SPARK_BARS) - 1
    return "".join(SPARK_BARS[round((v - low) / (high - low) * top)] for v in values)


def _figures(data: TrendData, fw_id: str, name: str, today: dt.date) -> Figures:
    trend = data.frameworks[fw_id]
    downloads = trend.downloads
    latest = downloads[-1].value if downloads else None
    previous = downloads[-2].value if len(downloads) > 1 else None
    stars_at, stars_since, stars_change = _stars(trend.stars, data.period_days)
    questions = trend.questions[-1].value if trend.questions else None
    release = trend.release
    new_release = bool(
        release and release.published
        and release.published > today - dt.timedelta(days=data.period_days)
    )
    return Figures(
        framework=fw_id,
        name=name,
        downloads=latest,
        downloads_at=downloads[-1].end if downloads else None,
        downloads_change=_change(latest, previous),
        downloads_since=downloads[-2].end if previous is not None else None,
        stars=stars_at.value if stars_at else None,
        stars_at=stars_at.end if stars_at else None,
        stars_change=stars_change,
        stars_since=stars_since,
        questions=questions,
        release=release,
        new_release=new_release,
        spark=sparkline([p.value for p in downloads]),
    )


def _mark_old_stars(figures: list[Figures], data: TrendData,
                    knowledge: Knowledge) -> list[Figures]:
    """Say why a star count is more than a period older than the newest one shown beside it:
    the sample's own note on the gap, or that collection got no newer count."""
    dates = [f.stars_at for f in figures if f.stars_at is not None]
    if not dates:
        return figures
    cutoff = max(dates) - dt.timedelta(days=data.period_days)
    sample = knowledge.trend_sample if data.sample_label else None
    gaps = sample.stars.gaps if sample else {}
    default = ("the sample has no newer figure" if data.sample_label
               else "no newer count was collected: GitHub has not answered for it since")
    return [
        replace(f, stars_old=gaps.get(f.framework, default))
        if f.stars_at is not None and f.stars_at < cutoff else f
        for f in figures
    ]


def _question_shares(figures: list[Figures], data: TrendData) -> list[Figures]:
    """Each framework's share of the four's Stack Overflow questions, now and 30 days
    earlier; the earlier share only when every framework has the earlier count."""
    latest = {f.framework: f.questions for f in figures if f.questions is not None}
    total = sum(latest.values())
    if not total:
        return figures
    prior = {fw: t.questions[-2].value for fw, t in data.frameworks.items()
             if fw in latest and len(t.questions) > 1}
    prior_total = sum(prior.values()) if prior.keys() == latest.keys() else 0.0
    out = []
    for f in figures:
        if f.questions is None:
            out.append(f)
            continue
        share = f.questions / total
        change = (share - prior[f.framework] / prior_total) * 100 if prior_total else None
        out.append(replace(f, questions_share=share, questions_share_change=change))
    return out


def _stars(
    points: tuple[Point, ...], period_days: int
) -> tuple[Point | None, dt.date | None, float | None]:
    """The newest count, and its change since one period earlier (or the previous sample)."""
    if not points:
        return None, None, None
    latest = points[-1]
    earlier = value_at(points, latest.end - dt.timedelta(days=period_days))
    if earlier is not None:
        return latest, earlier.end, latest.value - earlier.value
    if len(points) > 1 and period_days >= 30:  # sparse sample data: the previous snapshot
        return latest, points[-2].end, latest.value - points[-2].value
    return latest, None, None


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or not before:
        return None
    return (now - before) / before


def _tip(knowledge: Knowledge, turn: int) -> Tip | None:
    """A dated "since the article" fact, a different one each period."""
    updates = [(fw, u) for fw in knowledge.frameworks.values() for u in fw.updates]
    if not updates:
        return None
    fw, update = updates[turn % len(updates)]
    return Tip(fw.id, update.now, update.as_of, tuple(knowledge.source_titles(update.sources)))


TEASER_CHARS = 140  # a teaser is a hook read in passing; long prompts wait for the quiz


def _teaser(bank: QuestionBank | None, turn: int) -> Question | None:
    if bank is None or not bank.shipped:
        return None
    ids = sorted(i for i, q in bank.shipped.items() if len(q.prompt) <= TEASER_CHARS)
    ids = ids or sorted(bank.shipped)
    return bank.shipped[ids[(turn * 7) % len(ids)]]


class DigestBuilder:
    """Builds the digest for a cadence once per data version and reuses it for every channel.

    Collected snapshots are used as soon as there are any; until then the shipped sample
    history stands in, labelled as such.
    """

    def __init__(self, knowledge: Knowledge, clock: Clock, store: Store | None = None,
                 bank: QuestionBank | None = None) -> None:
        self.knowledge = knowledge
        self.clock = clock
        self.store = store
        self.bank = bank
        self.compositions = 0  # how many digests were actually computed (tests, benchmarks)
        self._cache: dict[str, tuple[tuple[object, ...], Digest]] = {}

    async def build(self, cadence: str = "weekly") -> Digest:
        if cadence not in PERIOD_DAYS:
            raise ValueError(f"unknown cadence {cadence!r}")
        today = self.clock.now().date()
        version = await self.store.trends_version() if self.store else 0
        key = (today, version)
        cached = self._cache.get(cadence)
        if cached and cached[0] == key:
            return cached[1]
        data = await self._data(cadence, today)
        digest = compose(data, self.knowledge, today, self.bank)
        digest = replace(digest, hiring=await hiring.latest_figures(
            self.store, self.knowledge.trend_sample))
        self.compositions += 1
        self._cache[cadence] = (key, digest)
        return digest

    async def _data(self, cadence: str, today: dt.date) -> TrendData:
        frameworks = list(self.knowledge.frameworks)
        if self.store is not None:
            since = dt.datetime.combine(today, dt.time(), dt.UTC) - dt.timedelta(days=HISTORY_DAYS)
            snaps = await self.store.snapshots(since=since)
            releases = await self.store.snapshots(source="github", metric="release")
            data = from_snapshots([*snaps, *releases], frameworks, cadence, today)
            if data.has_data:
                return data
        sample = self.knowledge.trend_sample
        if sample is None:
            return from_snapshots([], frameworks, cadence, today)
        return from_sample(sample, frameworks)
