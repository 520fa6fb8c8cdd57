"""A digest as a platform-neutral response: the same text for /digest, /trends and posts."""

from __future__ import annotations

import datetime as dt

from bot.models import Button, FieldItem, Response, Section
from bot.trends import hiring
from bot.trends.digest import Digest, Figures

PROXY_NOTE = "Downloads and stars are proxies for use, not counts of users."


def digest_response(digest: Digest, *, title: str = "Framework trends",
                    only: str | None = None) -> Response:
    """The full digest, or just one framework's figures when ``only`` names it."""
    data = digest.data
    figures = [f for f in digest.figures if only is None or f.framework == only]
    sections: list[Section] = []
    if data.sample_label:
        sections.append(Section(
            f"{data.sample_label} shipped with the bot, newest figure from "
            f"{_date(data.as_of)}: downloads are 30-day totals. Live figures replace it once "
            "the bot has collected trend data (daily, or `framework-coach trends collect`).",
            heading="Sample data",
        ))
    elif not digest.fresh:
        sections.append(Section(
            f"No fresh trend data this {data.period_label}: the newest figures are from "
            f"{_date(data.as_of)}. The sources could not be reached; the bot keeps trying daily.",
            heading="No fresh data",
        ))
    if only is None and digest.mover is not None and digest.mover.downloads_change is not None:
        m = digest.mover
        sections.append(Section(
            f"{m.name}: downloads {_pct(m.downloads_change)} against the {data.period_label} "
            f"to {_date(m.downloads_since)}.",
            heading="Biggest mover",
        ))
    if data.missing and data.sample_label is None and digest.fresh:
        sections.append(Section(
            "No fresh data from " + ", ".join(data.missing) + "; those figures are left out "
            "or older.",
            heading="Missing sources",
        ))
    if only is None and digest.tip is not None:
        tip = digest.tip
        sections.append(Section(
            f"{tip.text} (as of {tip.as_of.isoformat()}; source: {'; '.join(tip.sources)})",
            heading="Tip",
        ))
    hiring_line = hiring.summary(digest.hiring, [(f.framework, f.name) for f in figures])
    if hiring_line:
        sections.append(Section(hiring_line, heading="Hiring signal"))
    buttons: list[Button] = []
    if only is None and digest.teaser is not None:
        q = digest.teaser
        sections.append(Section(
            f"{q.prompt}\nFind out in a quiz: `/quiz start topic:{q.topic} questions:5`",
            heading="Quiz teaser",
        ))
        buttons.append(Button(f"run:/quiz start topic:{q.topic} questions:5", "Start a quiz"))
    if only is None:
        buttons.extend(Button(f"run:/trends framework:{f.framework}", f"{f.name} trend")
                       for f in figures)
    return Response(
        title=f"{title}: {_heading(digest, figures)}",
        sections=tuple(sections),
        fields=tuple(FieldItem(f.name, _figure_lines(f, digest)) for f in figures),
        buttons=tuple(buttons),
        footer=_footer(digest),
        accent=only,
    )


def _heading(digest: Digest, figures: list[Figures]) -> str:
    data = digest.data
    names = figures[0].name if len(figures) == 1 else "PyTorch, TensorFlow, Keras, JAX"
    if data.sample_label:
        return f"{names} ({data.sample_label.lower()} to {_date(data.as_of)})"
    if data.period_days == 1:
        return f"{names}, {_date(data.as_of)}"
    return f"{names}, the {data.period_label} to {_date(data.as_of)}"


def _figure_lines(f: Figures, digest: Digest) -> str:
    data = digest.data
    sample = data.sample_label is not None
    lines = []
    if f.downloads is not None:
        line = f"Downloads: {_count(f.downloads)} per {data.period_label}"
        if f.downloads_change is not None:
            since = f" since {_date(f.downloads_since)}" if sample else ""
            line += f" ({_pct(f.downloads_change)}{since})"
        if f.share is not None:
            line += f", {f.share:.0%} of the four"
        lines.append(line)
    else:
        lines.append("Downloads: no data")
    if f.stars is not None:
        line = f"GitHub stars: {f.stars:,.0f}"
        if sample or (f.stars_at and data.as_of and f.stars_at < data.as_of):
            line += f" on {_date(f.stars_at)}"
        if f.stars_change is not None:
            line += f" ({f.stars_change:+,.0f} since {_date(f.stars_since)})"
        lines.append(line)
    if f.questions is not None:
        change = f" ({_pct(f.questions_change)})" if f.questions_change is not None else ""
        lines.append(f"Stack Overflow: {f.questions:,.0f} questions in 30 days{change}")
    if f.release is not None:
        when = f" on {_date(f.release.published)}" if f.release.published else ""
        label = "New release" if f.new_release else "Latest release"
        lines.append(f"{label}: {f.release.tag}{when}")
    if len(f.spark) > 1:
        what = "sample dates" if sample else f"{data.period_label}s"
        lines.append(f"Last {len(f.spark)} {what}: {f.spark}")
    return "\n".join(lines)


def _footer(digest: Digest) -> str:
    data = digest.data
    if data.sample_label:
        return f"{PROXY_NOTE} Sample sources: hugovk/top-pypi-packages, EvanLi/Github-Ranking."
    return f"{PROXY_NOTE} Sources: pypistats.org, GitHub, Stack Exchange API."


def _count(value: float) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}{suffix}"
    return f"{value:,.0f}"


def _pct(change: float | None) -> str:
    return "n/a" if change is None else f"{change:+.1%}"


def _date(day: dt.date | None) -> str:
    return day.strftime("%-d %b %Y") if day else "unknown"
