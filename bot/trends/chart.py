"""The digest's chart: downloads (share and absolute), job-post share and question share.

Rendered with matplotlib's Figure API on the Agg canvas: no pyplot, so no global figure
registry, nothing to close, nothing that grows in a long-running bot. The same digest always
gives the same PNG bytes (no timestamp or version in the file). Sized for a phone (about
720 px wide), coloured with the Okabe–Ito palette plus a marker and line style per
framework, so no reader depends on telling hues apart.

``ChartMaker`` renders once per data version (a digest rebuilt on the same figures reuses
the picture) in a worker thread, so a render never stalls the event loop, and a failed render gives
None: the text digest goes out without a picture.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import threading
from collections.abc import MutableMapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from bot.models import Attachment, Response

if TYPE_CHECKING:
    from bot.trends.digest import Digest
    from bot.trends.hiring import HiringSeries
    from bot.trends.series import TrendData

log = logging.getLogger("framework_coach.trends")

FILENAME = "framework-trends.png"
WIDTH_IN, DPI = 6.0, 120  # 720 px wide: sharp on a phone, small to upload
PANEL_IN = 2.45  # height per panel, its title and date labels included
TOP_IN, BOTTOM_IN, LEFT_IN, GAP_IN = 0.95, 0.85, 0.95, 0.75  # title, legend; labels, note
# Okabe & Ito (2008), safe for the common colour-vision deficiencies; marker and dash too.
STYLE = {
    "pytorch": ("#D55E00", "o", "-"),
    "tensorflow": ("#0072B2", "s", "--"),
    "keras": ("#CC79A7", "^", "-."),
    "jax": ("#009E73", "D", ":"),
}
FALLBACK_STYLE = ("#000000", "x", "-")
NAMES = {"pytorch": "PyTorch", "tensorflow": "TensorFlow", "keras": "Keras", "jax": "JAX"}
INK, GRID = "#222222", "#DDDDDD"
# matplotlib promises no thread safety; figures are drawn in worker threads, one at a time.
_RENDERING = threading.Lock()


def render_png(data: TrendData, hiring: HiringSeries | None = None,
               names: dict[str, str] | None = None) -> bytes:
    """The chart as PNG bytes; panels without data are left out. Raises ValueError when
    there is nothing at all to draw."""
    with _RENDERING:
        return _render(data, hiring, {**NAMES, **(names or {})})


def _render(data: TrendData, hiring: HiringSeries | None, names: dict[str, str]) -> bytes:
    panels = [p for p in (_share_panel(data), _downloads_panel(data),
                          _hiring_panel(hiring), _questions_panel(data)) if p is not None]
    if not panels:
        raise ValueError("no trend data to chart")
    height = TOP_IN + BOTTOM_IN + PANEL_IN * len(panels)
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    FigureCanvasAgg(fig)
    # Fixed margins, not a layout engine: the design is fixed, and constrained layout
    # costs a second full draw (about 40 % of a render).
    fig.subplots_adjust(left=LEFT_IN / WIDTH_IN, right=1 - 0.2 / WIDTH_IN,
                        top=1 - TOP_IN / height, bottom=BOTTOM_IN / height,
                        hspace=GAP_IN / (PANEL_IN - GAP_IN))
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    for ax, draw in zip(axes, panels, strict=True):
        _style(ax)
        draw(ax, names)
    fig.suptitle(_title(data, hiring), fontsize=13, fontweight="bold", color=INK,
                 y=1 - 0.12 / height, va="top")
    handles = [h for fw in STYLE if (h := _legend_handle(axes, names.get(fw, fw))) is not None]
    # Above the first panel's title, under the figure's.
    axes[0].legend(handles=handles, loc="lower left", bbox_to_anchor=(-0.15, 1.1), ncols=4,
                   frameon=False, fontsize=11, handlelength=2.4, borderaxespad=0,
                   columnspacing=1.2)
    fig.supxlabel(_footnote(data, hiring), fontsize=8, color="#555555", y=0.06 / height,
                  va="bottom")
    buffer = io.BytesIO()
    # No "Software" or date chunk: the same data gives the same bytes.
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def chart_attachment(digest: Digest) -> Attachment:
    """The digest's chart as an attachment, with alt text saying what it shows."""
    data = digest.data
    hiring = getattr(digest, "hiring", None)
    names = {f.framework: f.name for f in digest.figures}
    png = render_png(data, hiring, names)
    what = "Download share and downloads per framework"
    if hiring is not None and hiring.months:
        what += ", share of Hacker News job posts naming each"
    newest = newest_drawn(data, hiring)
    when = newest.isoformat() if newest else "unknown date"
    sample = " (sample data)" if data.sample_label or (hiring and hiring.sample) else ""
    return Attachment(png, FILENAME, f"{what}, to {when}{sample}.")


class ChartMaker:
    """One render per digest version, off the event loop; None when it cannot be drawn."""

    def __init__(self) -> None:
        self.renders = 0  # charts actually drawn (tests, benchmarks)
        self.failures = 0
        self._last: dict[str, tuple[object, Attachment | None]] = {}
        self._lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    async def chart(self, digest: Digest) -> Attachment | None:
        """The chart of ``digest``'s data. A digest rebuilt with the same figures (the next
        day, no new data) reuses the last picture: the chart shows data, not the date."""
        key = digest.data.cadence
        drawn = (digest.data, getattr(digest, "hiring", None),
                 tuple((f.framework, f.name) for f in digest.figures))
        async with self._loop_lock():  # two channels asking at once still cost one render
            cached = self._last.get(key)
            if cached is not None and cached[0] == drawn:
                return cached[1]
            try:
                image: Attachment | None = await asyncio.to_thread(chart_attachment, digest)
                self.renders += 1
            except Exception:  # a chart is an extra: never let it cost the text
                log.exception("could not render the trend chart; sending the digest without")
                self.failures += 1
                image = None
            self._last[key] = (drawn, image)
            return image

    def _loop_lock(self) -> asyncio.Lock:
        """This loop's lock (a lock belongs to one loop; the cache may outlive it)."""
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock[0] is not loop:
            self._lock = (loop, asyncio.Lock())
        return self._lock[1]


def maker_for(services: MutableMapping[str, Any]) -> ChartMaker:
    """The running digest service's chart cache (the same picture as the digests), else a
    process-wide one kept in ``services`` (a bot without a store: the sample's chart)."""
    found = getattr(services.get("digests"), "charts", None)
    if isinstance(found, ChartMaker):
        return found
    own = services.get("charts")
    if not isinstance(own, ChartMaker):
        own = services["charts"] = ChartMaker()
    return own


async def with_chart(services: MutableMapping[str, Any], digest: Digest,
                     response: Response) -> Response:
    """``response`` with ``digest``'s chart attached; unchanged if the chart failed."""
    image = await maker_for(services).chart(digest)
    return replace(response, image=image) if image is not None else response


# ---------------------------------------------------------------------- panels

def _share_panel(data: TrendData):  # noqa: ANN202 - returns a drawing function or None
    dates = _common_dates(data)
    if len(dates) < 1:
        return None

    def draw(ax: Axes, names: dict[str, str]) -> None:
        for fw, trend in data.frameworks.items():
            by_date = {p.end: p.value for p in trend.downloads}
            ys = [by_date[d] / _total(data, d) for d in dates]
            _line(ax, fw, names, dates, ys)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_ylim(bottom=0)
        _title_panel(ax, f"Share of the four's PyPI downloads ({_per(data)})")
        _date_axis(ax, dates, data)
    return draw


def _downloads_panel(data: TrendData):  # noqa: ANN202
    if not any(len(t.downloads) for t in data.frameworks.values()):
        return None

    def draw(ax: Axes, names: dict[str, str]) -> None:
        dates: set[dt.date] = set()
        for fw, trend in data.frameworks.items():
            if trend.downloads:
                xs = [p.end for p in trend.downloads]
                dates.update(xs)
                _line(ax, fw, names, xs, [p.value for p in trend.downloads])
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _count(v)))
        ax.set_ylim(bottom=0)
        _title_panel(ax, f"PyPI downloads ({_per(data)})")
        _date_axis(ax, sorted(dates), data)
    return draw


def _hiring_panel(hiring: HiringSeries | None):  # noqa: ANN202
    if hiring is None or not hiring.months:
        return None

    def draw(ax: Axes, names: dict[str, str]) -> None:
        months = [m.month for m in hiring.months]
        for fw in STYLE:
            ys = [m.share(fw) for m in hiring.months]
            if all(y is None for y in ys):
                continue
            _line(ax, fw, names, months, [y if y is not None else float("nan") for y in ys])
        top = max((m.share(fw) or 0.0 for m in hiring.months for fw in STYLE), default=0.0)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0 if top >= 0.05 else 1))
        ax.set_ylim(bottom=0)
        label = " (sample)" if hiring.sample else ""
        _title_panel(ax, f"Hacker News “Who is hiring?” posts naming it{label}")
        _month_axis(ax, months)
    return draw


def _questions_panel(data: TrendData):  # noqa: ANN202
    latest = {fw: t.questions[-1] for fw, t in data.frameworks.items() if t.questions}
    total = sum(p.value for p in latest.values())
    if len(latest) < 2 or not total:
        return None

    def draw(ax: Axes, names: dict[str, str]) -> None:
        fws = list(latest)
        shares = [latest[fw].value / total for fw in fws]
        colours = [STYLE.get(fw, FALLBACK_STYLE)[0] for fw in fws]
        hatches = ["", "//", "..", "xx"]
        bars = ax.barh([names.get(fw, fw) for fw in fws], shares, color=colours,
                       edgecolor="white")
        for bar, hatch in zip(bars, hatches * 2, strict=False):
            bar.set_hatch(hatch)
        for y, share in enumerate(shares):
            ax.text(share, y, f" {share:.0%}", va="center", fontsize=10, color=INK)
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlim(0, max(shares) * 1.25)
        when = max(p.end for p in latest.values())
        _title_panel(ax, f"Share of Stack Overflow questions, 30 days to {when:%-d %b}")
        ax.grid(axis="y", visible=False)
    return draw


# ---------------------------------------------------------------------- helpers


def _line(ax: Axes, fw: str, names: dict[str, str], xs: Sequence[dt.date],
          ys: Sequence[float]) -> None:
    colour, marker, dash = STYLE.get(fw, FALLBACK_STYLE)
    ax.plot(xs, ys, color=colour, marker=marker, linestyle=dash, linewidth=2.2,
            markersize=6, label=names.get(fw, fw))


def _legend_handle(axes: Sequence[Axes], label: str):  # noqa: ANN202
    for ax in axes:
        for line in ax.get_lines():
            if line.get_label() == label:
                return line
    return None


def _style(ax: Axes) -> None:
    ax.tick_params(labelsize=10, colors=INK)
    ax.grid(True, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _title_panel(ax: Axes, text: str) -> None:
    ax.set_title(text, fontsize=11, loc="left", color=INK)


def _date_axis(ax: Axes, dates: Sequence[dt.date], data: TrendData) -> None:
    """Ticks on the data's own dates (at most eight), so every label is a real figure."""
    ticks = list(dates)
    if len(ticks) > 8:
        ticks = ticks[::-1][::2][::-1]
    ax.set_xticks(ticks)
    fmt = "%b\n%Y" if data.period_days >= 30 else "%-d %b"
    ax.xaxis.set_major_formatter(DateFormatter(fmt))
    _pad_x(ax, dates)


def _month_axis(ax: Axes, months: Sequence[dt.date]) -> None:
    ticks = list(months)
    while len(ticks) > 6:
        ticks = ticks[::-1][::2][::-1]
    ax.set_xticks(ticks)
    ax.xaxis.set_major_formatter(DateFormatter("%b\n%Y"))
    _pad_x(ax, months)


def _pad_x(ax: Axes, dates: Sequence[dt.date]) -> None:
    if not dates:
        return
    first, last = min(dates), max(dates)
    pad = max((last - first) / 20, dt.timedelta(days=3))
    ax.set_xlim(first - pad, last + pad)


def _common_dates(data: TrendData) -> list[dt.date]:
    """Dates on which every framework with downloads has a figure (shares need all four)."""
    series = [{p.end for p in t.downloads} for t in data.frameworks.values() if t.downloads]
    if len(series) < 2:
        return []
    return sorted(set.intersection(*series))


def _total(data: TrendData, day: dt.date) -> float:
    return sum(p.value for t in data.frameworks.values() for p in t.downloads if p.end == day)


def _per(data: TrendData) -> str:
    return "30-day totals" if data.period_days >= 30 else f"per {data.period_label}"


def newest_drawn(data: TrendData, hiring: HiringSeries | None) -> dt.date | None:
    """The date of the newest figure the chart shows (stars are not drawn)."""
    drawn = [p.end for t in data.frameworks.values() for p in (*t.downloads, *t.questions)]
    if hiring is not None:
        drawn.extend(m.month for m in hiring.months)
    return max(drawn, default=None)


def _title(data: TrendData, hiring: HiringSeries | None) -> str:
    """Dated by the newest figure drawn, and marked when any of it is sample data."""
    newest = newest_drawn(data, hiring)
    when = _date(newest) if newest else "no date"
    sample = data.sample_label or ("Sample data" if hiring is not None and hiring.sample
                                   else None)
    return f"Framework trends to {when}" + (f" · {sample.upper()}" if sample else "")


def _footnote(data: TrendData, hiring: HiringSeries | None) -> str:
    sources = ("hugovk/top-pypi-packages" if data.sample_label else "pypistats.org")
    if any(t.questions for t in data.frameworks.values()):
        sources += ", Stack Exchange API"
    if hiring is not None and hiring.months:
        sources += ", HN Algolia (one community's job posts, not the market)"
    return f"Proxies for use, not user counts. Sources: {sources}.".replace(", HN", ",\nHN")


def _count(value: float) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:g}{suffix}"
    return f"{value:g}"


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"
