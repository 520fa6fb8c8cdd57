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
            "Shipped with the bot until it collects live figures (daily, or `framework-coach "
            f"trends collect`). {_sample_windows(figures)} Not in the sample: Stack Overflow "
            "counts and release dates."
        ))
    elif not digest.fresh:
        sections.append(Section(
            f"No fresh trend data this {data.period_label}: the newest figures are from "
            f"{_date(data.as_of)}. The sources could not be reached; the bot keeps trying daily.",
            heading="No fresh data",
        ))
    if only is None and digest.mover is not None and digest.mover.downloads_change is not None:
        m = digest.mover
        against = ("" if data.sample_label else
                   f" against the {data.period_label} to {_date(m.downloads_since)}")
        sections.append(Section(f"{m.name}: downloads {_pct(m.downloads_change)}{against}.",
                                heading="Biggest mover"))
    if data.missing and data.sample_label is None and digest.fresh:
        sections.append(Section(
            "No fresh data from " + ", ".join(data.missing) + "; those figures are left out "
            "or older.",
            heading="Missing sources",
        ))
    if only is None and digest.tip is not None:
        tip = digest.tip
        more = f" and {len(tip.sources) - 1} more" if len(tip.sources) > 1 else ""
        source = f"; source: {tip.sources[0]}{more}" if tip.sources else ""
        sections.append(Section(f"{tip.text} (as of {tip.as_of.isoformat()}{source})",
                                heading="Tip"))
    hiring_line = hiring.summary(digest.hiring, [(f.framework, f.name) for f in figures])
    if hiring_line:
        sections.append(Section(hiring_line, heading="Hiring signal"))
    buttons: list[Button] = []
    if only is None and digest.teaser is not None:
        q = digest.teaser
        sections.append(Section(q.prompt, heading="Quiz teaser"))
        buttons.append(Button(f"run:/quiz start topic:{q.topic} questions:5",
                              f"Quiz: {q.topic}, 5 questions"))
    if only is None:
        buttons.extend(Button(f"run:/trends framework:{f.framework}", f"{f.name} trend")
                       for f in figures)
    if only is not None and figures:
        title = f"{figures[0].name} trends"
    return Response(
        title=f"{title}{_period(digest)}",
        sections=tuple(sections),
        fields=tuple(FieldItem(f.name, _figure_lines(f, digest)) for f in figures),
        buttons=tuple(buttons),
        footer=_footer(digest),
        accent=only,
    )


def _sample_windows(figures: list[Figures]) -> str:
    """The sample's download windows, said once for every framework."""
    ends = {f.downloads_at for f in figures if f.downloads_at}
    since = {f.downloads_since for f in figures if f.downloads_since}
    if len(ends) != 1:
        return "Downloads are 30-day totals."
    text = f"Downloads: the 30 days to {_date(ends.pop())}"
    if len(since) == 1:
        text += f", changes against the 30 days to {_date(since.pop())}"
    return text + "."


def _period(digest: Digest) -> str:
    """What the figures cover, short enough to keep the title on one line."""
    data = digest.data
    if data.sample_label:
        return f" ({data.sample_label.lower()} to {_date(data.as_of)})"
    if data.period_days == 1:
        return f", {_date(data.as_of)}"
    return f", the {data.period_label} to {_date(data.as_of)}"


def _figure_lines(f: Figures, digest: Digest) -> str:
    data = digest.data
    sample = data.sample_label is not None
    lines = []
    if f.downloads is not None:
        line = f"Downloads: {_count(f.downloads)}" + ("" if sample else
                                                       f" per {data.period_label}")
        if f.downloads_change is not None:
            line += f" ({_pct(f.downloads_change)})"
        if f.share is not None:
            line += f", {f.share:.0%} of the four"
        lines.append(line)
    else:
        lines.append(f"Downloads: no data ({_why_missing(data.sample_label)})")
    if f.stars is None:
        lines.append(f"GitHub stars: no data ({_why_missing(data.sample_label)})")
    else:
        line = f"GitHub stars: {f.stars:,.0f}"
        if sample or f.stars_old or (f.stars_at and data.as_of and f.stars_at < data.as_of):
            line += f" on {_date(f.stars_at)}"
        if f.stars_change is not None:
            line += f" ({f.stars_change:+,.0f} since {_date(f.stars_since)})"
        if f.stars_old:
            line += f" (old: {f.stars_old})"
        lines.append(line)
    if f.questions_share is not None:
        change = (f" ({f.questions_share_change:+.1f} pts)"
                  if f.questions_share_change is not None else "")
        lines.append(f"Stack Overflow: {f.questions_share:.0%} of the four's questions "
                     f"in 30 days{change}")
    if f.release is not None:
        when = f" on {_date(f.release.published)}" if f.release.published else ""
        label = "New release" if f.new_release else "Latest release"
        lines.append(f"{label}: {f.release.tag}{when}")
    if len(f.spark) > 1:
        what = "sample dates" if sample else f"{data.period_label}s"
        lines.append(f"Downloads, last {len(f.spark)} {what}: {f.spark}")
    return "\n".join(lines)


def _why_missing(sample_label: str | None) -> str:
    if sample_label:
        return f"not in the {sample_label.lower()}"
    return "none collected yet: the source has not answered"


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
