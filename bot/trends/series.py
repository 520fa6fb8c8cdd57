"""Per-framework time series for one digest period, from collected snapshots or the sample.

The digest never looks at raw snapshots: it gets one ``TrendData`` whose series are already
cut into periods (a week or a day of downloads), so composing and rendering stay simple and
the same for live and shipped sample data.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.storage import Snapshot
from knowledge.schema import TrendSampleFile

PERIOD_DAYS = {"weekly": 7, "daily": 1}
SPARK_PERIODS = 8
FRESH_DAYS = 3  # pypistats refreshes daily; data older than this is called out as stale
HISTORY_DAYS = PERIOD_DAYS["weekly"] * (SPARK_PERIODS + 1) + FRESH_DAYS

# What each source contributes, named the way a reader of the digest knows it.
SOURCE_NAMES = {
    "pypistats": "PyPI downloads (pypistats.org)",
    "github": "GitHub stars and releases",
    "stackexchange": "Stack Overflow questions",
}


@dataclass(frozen=True, slots=True)
class Point:
    end: dt.date
    value: float


@dataclass(frozen=True, slots=True)
class Release:
    tag: str
    published: dt.date | None


@dataclass(frozen=True, slots=True)
class FrameworkTrend:
    framework: str
    downloads: tuple[Point, ...] = ()  # one total per period, oldest first
    stars: tuple[Point, ...] = ()  # observed star counts, oldest first
    questions: tuple[Point, ...] = ()  # Stack Overflow questions per 30-day window
    release: Release | None = None


@dataclass(frozen=True, slots=True)
class TrendData:
    cadence: str  # "weekly", "daily" or "sample"
    period_label: str  # what one download point covers: "week", "day", "30 days"
    period_days: int
    as_of: dt.date | None  # the newest figure used
    frameworks: dict[str, FrameworkTrend]
    missing: tuple[str, ...] = ()  # sources with no fresh data, by reader-facing name
    sample_label: str | None = None  # set when the shipped sample history is shown

    @property
    def has_data(self) -> bool:
        return any(t.downloads or t.stars for t in self.frameworks.values())


def from_snapshots(
    snapshots: Iterable[Snapshot], frameworks: Sequence[str], cadence: str, today: dt.date
) -> TrendData:
    """Cut collected snapshots into periods ending on the newest complete day of downloads."""
    days = PERIOD_DAYS[cadence]
    daily: dict[str, dict[dt.date, float]] = defaultdict(dict)
    stars: dict[str, dict[dt.date, float]] = defaultdict(dict)
    questions: dict[str, dict[dt.date, float]] = defaultdict(dict)
    releases: dict[str, Snapshot] = {}
    newest: dict[str, dt.date] = {}
    for s in snapshots:
        day = s.fetched_at.date()
        if s.metric == "downloads_day":
            daily[s.framework][day] = s.value
        elif s.metric == "stars":
            stars[s.framework][day] = s.value
        elif s.metric == "questions_30d":
            questions[s.framework][day] = s.value
        elif s.metric == "release":
            old = releases.get(s.framework)
            if old is None or s.value > old.value:
                releases[s.framework] = s
            continue
        else:
            continue
        newest[s.source] = max(newest.get(s.source, day), day)

    last_day = max((max(d) for d in daily.values() if d), default=None)
    trends = {
        fw: FrameworkTrend(
            framework=fw,
            downloads=_period_totals(daily.get(fw, {}), last_day, days),
            stars=_points(stars.get(fw, {})),
            questions=_points(questions.get(fw, {})),
            release=_release(releases.get(fw)),
        )
        for fw in frameworks
    }
    stale_before = today - dt.timedelta(days=FRESH_DAYS)
    missing = tuple(
        name for source, name in SOURCE_NAMES.items()
        if newest.get(source) is None or newest[source] < stale_before
    )
    as_of = last_day or max(newest.values(), default=None)
    return TrendData(cadence, "week" if days == 7 else "day", days, as_of, trends, missing)


def from_sample(sample: TrendSampleFile, frameworks: Sequence[str]) -> TrendData:
    """The shipped history: 30-day download windows and star snapshots on a few dates."""
    trends = {}
    for fw in frameworks:
        trends[fw] = FrameworkTrend(
            framework=fw,
            downloads=tuple(
                Point(r.date, r.values[fw]) for r in sample.downloads_30d.rows if fw in r.values
            ),
            stars=tuple(Point(r.date, r.values[fw]) for r in sample.stars.rows if fw in r.values),
            release=(
                Release(sample.releases.tags[fw], None) if fw in sample.releases.tags else None
            ),
        )
    as_of = max(sample.downloads_30d.rows[-1].date, sample.stars.rows[-1].date)
    return TrendData(
        "sample", "30 days", 30, as_of, trends,
        missing=(SOURCE_NAMES["stackexchange"],), sample_label=sample.label,
    )


def _period_totals(
    by_day: dict[dt.date, float], last_day: dt.date | None, days: int
) -> tuple[Point, ...]:
    """Totals of complete periods ending at ``last_day``, newest first cut, oldest first out."""
    if last_day is None or not by_day:
        return ()
    totals = []
    end = last_day
    for _ in range(SPARK_PERIODS):
        window = [end - dt.timedelta(days=i) for i in range(days)]
        if any(d not in by_day for d in window):
            break
        totals.append(Point(end, sum(by_day[d] for d in window)))
        end -= dt.timedelta(days=days)
    return tuple(reversed(totals))


def _points(by_day: dict[dt.date, float]) -> tuple[Point, ...]:
    return tuple(Point(d, by_day[d]) for d in sorted(by_day))


def _release(snapshot: Snapshot | None) -> Release | None:
    if snapshot is None or not snapshot.label:
        return None
    published = dt.datetime.fromtimestamp(snapshot.value, dt.UTC).date()
    return Release(snapshot.label, published)


def value_at(points: Sequence[Point], day: dt.date) -> Point | None:
    """The newest point observed on or before ``day``."""
    found = None
    for p in points:
        if p.end > day:
            break
        found = p
    return found
