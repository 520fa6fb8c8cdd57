"""The digest chart: a sane PNG, the same bytes for the same data, the frameworks' colours on
it, nothing left registered with matplotlib, and one render per digest version."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import sys
from dataclasses import replace

import pytest
from matplotlib import _pylab_helpers
from PIL import Image

from bot.trends import chart as chart_module
from bot.trends.chart import STYLE, ChartMaker, chart_attachment, render_png
from bot.trends.digest import compose
from bot.trends.hiring import HiringMonth, HiringSeries
from bot.trends.series import FrameworkTrend, Point, TrendData, from_sample

WEEKS = [dt.date(2026, 9, 26) + dt.timedelta(days=7 * i) for i in range(8)]


def live_data(scale: float = 1.0) -> TrendData:
    """Eight weeks of downloads and a Stack Overflow window, as collected data looks."""
    levels = {"pytorch": 21e6, "tensorflow": 5.4e6, "keras": 4.5e6, "jax": 4.9e6}
    trends = {
        fw: FrameworkTrend(
            fw,
            downloads=tuple(Point(d, level * scale * (1 + 0.01 * i)) for i, d in enumerate(WEEKS)),
            questions=(Point(dt.date(2026, 11, 22), q),),
        )
        for (fw, level), q in zip(levels.items(), (212, 168, 74, 19), strict=True)
    }
    return TrendData("weekly", "week", 7, WEEKS[-1], trends)


HIRING = HiringSeries((
    HiringMonth(dt.date(2026, 9, 1), 5, {"pytorch": 2, "tensorflow": 2, "keras": 1, "jax": 0}),
    HiringMonth(dt.date(2026, 10, 1), 8, {"pytorch": 3, "tensorflow": 1, "keras": 1, "jax": 2}),
    HiringMonth(dt.date(2026, 11, 1), 11, {"pytorch": 2, "tensorflow": 3, "keras": 2, "jax": 2}),
))


def size_of(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as image:
        return image.size


def pixels_near(png: bytes, hex_colour: str, tolerance: int = 12) -> int:
    target = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    with Image.open(io.BytesIO(png)) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 24) or []
    return sum(n for n, px in colours
               if all(abs(a - b) <= tolerance for a, b in zip(px, target, strict=True)))


def test_a_phone_sized_png_of_sane_size():
    png = render_png(live_data(), HIRING)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = size_of(png)
    assert width == 720  # 6 in at 120 dpi: sharp on a phone, no horizontal scrolling
    assert 900 <= height <= 1400  # four panels, each readable without zooming
    assert 20_000 < len(png) < 400_000


def test_the_same_data_gives_the_same_bytes_and_other_data_does_not():
    first = render_png(live_data(), HIRING)
    assert render_png(live_data(), HIRING) == first
    assert render_png(live_data(scale=2.0), HIRING) != first


def test_every_framework_is_drawn_in_its_own_colour():
    png = render_png(live_data(), HIRING)
    for fw, (colour, _, _) in STYLE.items():
        assert pixels_near(png, colour) > 500, f"{fw} ({colour}) is missing from the chart"


def test_frameworks_differ_by_marker_and_dash_too_not_only_by_hue():
    markers = {marker for _, marker, _ in STYLE.values()}
    dashes = {dash for _, _, dash in STYLE.values()}
    assert len(markers) == len(dashes) == len(STYLE) == 4


def test_panels_without_data_are_left_out():
    full = size_of(render_png(live_data(), HIRING))[1]
    no_hiring = size_of(render_png(live_data(), None))[1]
    no_questions = replace(live_data(), frameworks={
        fw: replace(t, questions=()) for fw, t in live_data().frameworks.items()})
    two_panels = size_of(render_png(no_questions, None))[1]
    assert full > no_hiring > two_panels


def test_nothing_to_draw_is_an_error_not_an_empty_picture():
    empty = TrendData("weekly", "week", 7, None, {"jax": FrameworkTrend("jax")})
    with pytest.raises(ValueError, match="no trend data"):
        render_png(empty)


def test_no_pyplot_and_no_figure_left_registered():
    render_png(live_data(), HIRING)
    assert "matplotlib.pyplot" not in sys.modules
    assert _pylab_helpers.Gcf.get_num_fig_managers() == 0


def test_the_sample_chart_says_sample_in_its_alt_text(knowledge):
    data = from_sample(knowledge.trend_sample, list(knowledge.frameworks))
    image = chart_attachment(compose(data, knowledge, data.as_of))
    assert image.filename == "framework-trends.png"
    newest = knowledge.trend_sample.downloads_30d.rows[-1].date  # stars are not drawn
    assert "sample data" in image.alt and f"to {newest.isoformat()}" in image.alt
    assert size_of(image.data)[0] == 720


# ------------------------------------------------------------------ once per digest version


def digest_for(knowledge, data: TrendData):  # noqa: ANN001, ANN201
    return replace(compose(data, knowledge, WEEKS[-1]), hiring=HIRING)


async def test_one_render_per_digest_version_however_many_ask(knowledge):
    maker = ChartMaker()
    digest = digest_for(knowledge, live_data())
    images = await asyncio.gather(*(maker.chart(digest) for _ in range(20)))
    assert maker.renders == 1
    assert all(image is images[0] for image in images) and images[0] is not None
    newer = digest_for(knowledge, live_data(scale=1.5))  # new data: a new digest object
    image = await maker.chart(newer)
    assert maker.renders == 2 and image is not None and image.data != images[0].data


async def test_a_failed_render_gives_none_and_is_logged(knowledge, monkeypatch, caplog):
    def broken(digest):  # noqa: ANN001, ANN202
        raise RuntimeError("font cache unreadable")

    monkeypatch.setattr(chart_module, "chart_attachment", broken)
    maker = ChartMaker()
    digest = digest_for(knowledge, live_data())
    with caplog.at_level(logging.ERROR, logger="framework_coach.trends"):
        assert await maker.chart(digest) is None
        assert await maker.chart(digest) is None  # not retried for the same version
    assert (maker.renders, maker.failures) == (0, 1)
    assert "could not render the trend chart" in caplog.text
