"""Digest charts: render time, PNG size, memory over many renders, and a fan-out with charts on.

1. Render: the chart of eight weeks of collected data plus a year of hiring months, drawn
   ``--renders`` times (default 1,000) with the Figure API on Agg. Reports the median and
   95th percentile time, the PNG size, and the process RSS after a warm-up and every 250
   renders: a long-running bot must not grow with every digest.
2. Fan-out: the real digest service posting to ``--subs`` channels (default 2,000) at 50
   posts/s on a scaled clock, as bench/digest_fanout.py does, with the chart on. Reports how
   many charts were drawn (goal: 1) and whether the posts still fit the rate ceiling.

Usage: .venv/bin/python bench/charts.py [--renders 1000] [--subs 2000] [--scale 10]
The last line of output is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bot.delivery import Outbox  # noqa: E402
from bot.digests.service import DigestService  # noqa: E402
from bot.quiz.bank import QuestionBank  # noqa: E402
from bot.storage import Store, Subscription, Tenant  # noqa: E402
from bot.trends.chart import render_png  # noqa: E402
from bot.trends.digest import DigestBuilder  # noqa: E402
from bot.trends.hiring import HiringMonth, HiringSeries  # noqa: E402
from bot.trends.series import from_snapshots  # noqa: E402
from knowledge import loader  # noqa: E402

_spec = importlib.util.spec_from_file_location("digest_fanout", ROOT / "bench" / "digest_fanout.py")
assert _spec and _spec.loader
fanout_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fanout_bench)  # its clock, platform stub and six months of data


def rss_mb() -> float:
    """Resident memory now (Linux /proc), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def hiring_year(today: dt.date) -> HiringSeries:
    months = []
    for back in range(11, -1, -1):
        index = today.year * 12 + today.month - 1 - back
        month = dt.date(index // 12, index % 12 + 1, 1)
        posts = 320 + 7 * back
        months.append(HiringMonth(month, posts, {"pytorch": 14 + back % 4,
                                                 "tensorflow": 6 - back % 3, "keras": 3,
                                                 "jax": 4 + back % 2}))
    return HiringSeries(tuple(months))


def renders(count: int) -> dict[str, float]:
    knowledge = loader.load()
    today = fanout_bench.START.date()
    data = from_snapshots(fanout_bench.history(knowledge, today), list(knowledge.frameworks),
                          "weekly", today)
    hiring = hiring_year(today)
    warm = 50
    times: list[float] = []
    rss: dict[int, float] = {}
    png = b""
    for n in range(1, warm + count + 1):
        t0 = time.perf_counter()
        png = render_png(data, hiring)
        times.append((time.perf_counter() - t0) * 1000)
        done = n - warm
        if done == 0 or (done > 0 and done % 250 == 0):
            gc.collect()
            rss[done] = rss_mb()
    measured = times[warm:]
    return {
        "renders": count,
        "render_ms_median": statistics.median(measured),
        "render_ms_p95": statistics.quantiles(measured, n=20)[18],
        "first_render_ms": times[0],
        "png_bytes": len(png),
        **{f"rss_mb_after_{k}": v for k, v in rss.items()},
        "rss_growth_mb": rss[max(rss)] - rss[0],
    }


async def fanout(subs: int, rate: float, scale: float, data_dir: Path) -> dict[str, float]:
    knowledge = loader.load()
    start = fanout_bench.START
    clock = fanout_bench.ScaledClock(start, scale)
    store = await Store.open(data_dir, clock)
    await store.add_snapshots(fanout_bench.history(knowledge, start.date()))
    tenants = [Tenant("stub", f"server{n}") for n in range(max(1, subs // 100))]
    entries = [(tenants[i % len(tenants)], Subscription(
        f"ch{i}", weekday=0, time="09:00", created_at=start - dt.timedelta(days=1)))
        for i in range(subs)]
    await asyncio.gather(*(store.upsert_subscription(t, s) for t, s in entries))
    outbox = Outbox(clock, rates={"stub": rate})
    stub = fanout_bench.Stub(clock, subs)
    outbox.register("stub", stub)
    service = DigestService(store, outbox, DigestBuilder(knowledge, clock, store,
                                                         QuestionBank.load()), clock)
    await service.start()
    due = (dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC) - start).total_seconds()
    await asyncio.wait_for(stub.done.wait(), timeout=(due + subs / rate * 3) / scale + 60)
    await service.stop()
    await store.close()
    return {"fanout_posts": len(stub.times), "fanout_first_post_s": stub.times[0] - due,
            "fanout_total_s": stub.times[-1] - due,
            "fanout_ceiling_s": subs / rate, "fanout_charts_rendered": service.charts.renders,
            "fanout_chart_failures": service.charts.failures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=1000)
    parser.add_argument("--subs", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--scale", type=float, default=10.0)
    args = parser.parse_args()
    figures = renders(args.renders)
    with tempfile.TemporaryDirectory() as tmp:
        figures.update(asyncio.run(fanout(args.subs, args.rate, args.scale, Path(tmp))))

    table = Table(title="Digest charts")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("render, median", f"{figures['render_ms_median']:.0f} ms")
    table.add_row("render, 95th percentile", f"{figures['render_ms_p95']:.0f} ms")
    table.add_row("first render (font cache, imports)", f"{figures['first_render_ms']:.0f} ms")
    table.add_row("PNG size", f"{figures['png_bytes'] / 1024:.0f} KiB")
    for key in sorted(k for k in figures if k.startswith("rss_mb_after_")):
        table.add_row(f"RSS after {key.rsplit('_', 1)[1]} renders", f"{figures[key]:.1f} MiB")
    table.add_row(f"RSS growth over {args.renders} renders", f"{figures['rss_growth_mb']:+.1f} MiB")
    table.add_row(f"fan-out: posts to {args.subs} channels", f"{figures['fanout_posts']}")
    table.add_row("fan-out: charts drawn", f"{figures['fanout_charts_rendered']}")
    table.add_row("fan-out: first post after due (clock s; real = / scale)",
                  f"{figures['fanout_first_post_s']:.1f} s")
    table.add_row("fan-out: last post / rate ceiling",
                  f"{figures['fanout_total_s']:.1f} s / {figures['fanout_ceiling_s']:.0f} s")
    Console().print(table)
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))


if __name__ == "__main__":
    main()
