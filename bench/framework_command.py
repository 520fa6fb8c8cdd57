"""In-process cost of /framework: parse -> bind -> recommend -> response -> plain-text render.

Runs 10,000 calls over a mix of real inputs (exact ids, aliases, typos, modifiers, unknown
roles, a description of the work, a detail-button press, the guided chooser's last press)
inside one event loop, and reports p50/p99 per kind and overall. A second, smaller
run adds the rich console rendering, to show what the terminal view costs on top.

Usage: .venv/bin/python bench/framework_command.py [--calls N]
The last line of output is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from adapters.console import render_to_text  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.commands.framework import CARD_WORDS, word_count  # noqa: E402
from bot.core import Core  # noqa: E402
from bot.models import Context  # noqa: E402
from knowledge import loader  # noqa: E402

MIX = {
    "exact id": "/framework role:ml-engineer",
    "alias": "/framework role:MLE",
    "positional": "/framework data sci",
    "typo": "/framework role:reseacher",
    "modifiers": "/framework role:data-scientist experience:beginner region:asia goal:enterprise",
    "unknown role": "/framework role:astronaut",
    "described": "/framework someone who runs models on phones",
    "detail press": "press:fw:since:data-scientist:beginner:asia:enterprise",
    "chooser end": "press:fwc:vision:beginner:enterprise",
}
TARGET_P99_MS = 1.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(core: Core, calls: int, with_rich: bool) -> dict[str, list[float]]:
    ctx = Context(platform="console", user_id="bench", channel_id="bench")
    kinds = list(MIX)
    samples: dict[str, list[float]] = {k: [] for k in kinds}
    for i in range(calls):
        kind = kinds[i % len(kinds)]
        start = time.perf_counter_ns()
        text = MIX[kind]
        response = await (core.press(text.removeprefix("press:"), ctx)
                          if text.startswith("press:") else core.handle_text(text, ctx))
        text = render_to_text(response) if with_rich else response.plain_text()
        samples[kind].append((time.perf_counter_ns() - start) / 1e6)
        assert text
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=10_000)
    args = parser.parse_args()
    # The answer cache is off for the main figures: they measure the work, not a lookup.
    core = Core(knowledge=loader.load(), clock=FakeClock(), cache_size=0)
    asyncio.run(measure(core, 600, with_rich=False))  # warm the matchers
    gc.collect()
    samples = asyncio.run(measure(core, args.calls, with_rich=False))
    rich_samples = asyncio.run(measure(core, max(600, args.calls // 10), with_rich=True))
    cached_core = Core(knowledge=core.knowledge, clock=FakeClock())
    cached = [v for vs in asyncio.run(measure(cached_core, args.calls, False)).values()
              for v in vs]

    table = Table(title=f"/framework in-process cost ({args.calls:,} calls)")
    for col in ("input kind", "calls", "p50 ms", "p99 ms", "max ms"):
        table.add_column(col, justify="right" if col != "input kind" else "left")
    every: list[float] = []
    for kind, values in samples.items():
        every += values
        table.add_row(kind, f"{len(values):,}", f"{statistics.median(values):.3f}",
                      f"{pct(values, 0.99):.3f}", f"{max(values):.3f}")
    rich_all = [v for values in rich_samples.values() for v in values]
    table.add_row("all", f"{len(every):,}", f"{statistics.median(every):.3f}",
                  f"{pct(every, 0.99):.3f}", f"{max(every):.3f}", style="bold")
    table.add_row("all + rich render", f"{len(rich_all):,}",
                  f"{statistics.median(rich_all):.3f}", f"{pct(rich_all, 0.99):.3f}",
                  f"{max(rich_all):.3f}")
    table.add_row("all, answer cache on", f"{len(cached):,}",
                  f"{statistics.median(cached):.3f}", f"{pct(cached, 0.99):.3f}",
                  f"{max(cached):.3f}")
    Console().print(table)
    cards = [asyncio.run(core.handle_text(t, Context())) for t in MIX.values()
             if t.startswith("/framework role:") and "astronaut" not in t]
    card_words = max(word_count(c) for c in cards)
    print(f"longest card in the mix: {card_words} words (budget {CARD_WORDS})")
    p99 = pct(every, 0.99)
    verdict = "meets" if p99 < TARGET_P99_MS else "MISSES"
    print(f"p99 {p99:.3f} ms {verdict} the {TARGET_P99_MS} ms target")
    print(json.dumps({
        "bench": "framework_command",
        "calls": len(every),
        "p50_ms": round(statistics.median(every), 4),
        "p99_ms": round(p99, 4),
        "max_ms": round(max(every), 4),
        "per_kind_p99_ms": {k: round(pct(v, 0.99), 4) for k, v in samples.items()},
        "cached_p50_ms": round(statistics.median(cached), 4),
        "cached_p99_ms": round(pct(cached, 0.99), 4),
        "rich_render_p50_ms": round(statistics.median(rich_all), 4),
        "rich_render_p99_ms": round(pct(rich_all, 0.99), 4),
        "target_p99_ms": TARGET_P99_MS,
        "card_words_max": card_words,
    }))


if __name__ == "__main__":
    main()
