"""Issue #17: two Slack web processes on one PostgreSQL database, as behind a load balancer.

Two real ``framework-coach run`` processes (A and B) in Slack's HTTP mode for one workspace,
each on its own OS-chosen port, share one fresh database and the loopback fake of Slack.

* A digest subscribed through A and due while both run is posted exactly once: both
  processes fire it at the same moment, one claim wins, the other process stands down.
* A quiz started through A takes presses through either process: the first answer counts
  wherever it was pressed, and a late one is refused. A is SIGKILLed mid-question; B takes
  the game's timer over, finishes the game, and every answer that was acknowledged as
  recorded is in the standings and the leaderboard.
"""

from __future__ import annotations

import datetime as dt
import re
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.clock import SystemClock
from bot.storage import Tenant
from bot.storage.postgres.store import PostgresStore
from tests.adapters.fakes.slack_api import TEAM, button_values, visible_text
from tests.e2e.process import WAIT, BotProcess, Fakes, Launch
from tests.e2e.slack_web import Web, posted, single_workspace, start_webs
from tests.postgres import empty_database

DIGESTS, QUIZ = "CDIGEST", "CQUIZ"
ADMIN = "UADMIN"  # in SLACK_MANAGER_IDS: may subscribe a channel
LEAD = 15.0  # seconds from the launch to the next minute on the processes' shifted clock
MARGIN = 5.0  # a subscription is for the first minute at least this far ahead
TAKEOVER = 15.0  # a dead process's game is taken over within this (lease 10 s, checks 3 s)
SHIFTED = (sys.executable, "-m", "tests.e2e.shifted", "run")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def _outcome(bot: BotProcess, channel: str) -> list[str]:
    """What this process's run of the channel's digest ended with (posted, or stood down)."""
    return [m for m in bot.logged("digest ") if m.endswith((f"posted to slack/{channel}",
                                                            f"slack/{channel} already claimed"))]


async def test_a_digest_due_while_both_processes_run_is_posted_once(
    launch: Launch, fakes: Fakes, pg_url: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    await empty_database(pg_url)
    fake = fakes.slack
    # Both clocks run the same offset ahead, so that a minute starts LEAD s after the launch.
    offset = (60.0 - LEAD - time.time() % 60.0) % 60.0
    env = {**single_workspace(pg_url), "SLACK_MANAGER_IDS": ADMIN,
           "E2E_CLOCK_OFFSET": f"{offset:.6f}", "E2E_DIGEST_REFRESH": "1"}
    a, b = await start_webs(launch, fakes, session, [tmp_path / "a", tmp_path / "b"], env,
                            argv=SHIFTED)

    def shifted_now() -> dt.datetime:
        return dt.datetime.fromtimestamp(time.time() + offset, dt.UTC)

    # Subscribed through A, for the next minute that leaves B time to learn of it.
    soon = shifted_now() + dt.timedelta(seconds=MARGIN + 60)
    due = soon.replace(second=0, microsecond=0)
    shown = await a.shown(f"/digest subscribe cadence:daily time:{due:%H:%M} timezone:UTC",
                          user=ADMIN, channel=DIGESTS)
    assert "Digest subscription saved" in shown, shown
    await b.bot.until(b.bot.output, lambda: b.bot.logged("digest subscriptions refreshed: 1"))
    early = (due - shifted_now()).total_seconds()
    assert early > 0, f"B learned of the subscription {-early:.1f} s after it was due"
    assert not posted(fake, DIGESTS)

    # Due: both fire it; one posts, the other finds the period claimed.
    outcomes = []
    for web in (a, b):
        outcomes += await web.bot.until(web.bot.output, lambda w=web: _outcome(w.bot, DIGESTS),
                                        timeout=early + WAIT)
    period = f"digest {due:%Y-%m-%d}"
    assert sorted(outcomes) == sorted([f"{period} posted to slack/{DIGESTS}",
                                       f"{period} for slack/{DIGESTS} already claimed"])
    (digest,) = posted(fake, DIGESTS)  # both runs are over: nothing else can come
    assert "Framework trends" in visible_text(digest.data)

    store = await PostgresStore.open(pg_url, SystemClock(), max_size=1)
    try:
        (record,) = await store.digest_history(Tenant("slack", TEAM), DIGESTS)
    finally:
        await store.close()
    assert record.status == "delivered" and record.message_id == digest.reply["ts"]
    for web in (a, b):
        assert not [e for e in web.bot.logs() if e["level"] in ("ERROR", "CRITICAL")], \
            web.bot.stderr_text[-4000:]


def _answered(text: str) -> dict[str, int]:
    """Answers per player in a leaderboard: lines like "1. U3: 230 pts · 50% right (1/2)"."""
    found = re.findall(r"^\d+\. (\S+): .*\((\d+)/(\d+)\)", text, re.MULTILINE)
    return {user: int(answered) for user, _, answered in found}


async def test_a_quiz_takes_presses_on_both_and_finishes_on_b_after_a_is_killed(
    launch: Launch, fakes: Fakes, pg_url: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    await empty_database(pg_url)
    fake = fakes.slack
    a, b = await start_webs(launch, fakes, session, [tmp_path / "a", tmp_path / "b"],
                            single_workspace(pg_url))
    recorded: dict[str, int] = {}

    async def press(web: Web, question: dict, user: str, option: int) -> str:
        shown = await web.press(question, button_values(question)[option], user=user,
                                channel=QUIZ)
        if "recorded" in shown:
            recorded[user] = recorded.get(user, 0) + 1
        return shown

    # Long enough for every press of a question to arrive in time on a busy machine. It
    # costs nothing: B takes the game over only once A's lease has run out (up to 13 s), and
    # the second question closes as soon as everyone in the game has answered it.
    started = await a.shown("/quiz start questions:2 time:15", user="U1", channel=QUIZ)
    assert "Quiz starting" in started, started
    (first,) = await a.bot.until(fake, lambda: posted(fake, QUIZ, buttons=True))
    q1 = first.data

    # Presses alternate between the processes, as a load balancer spreads them.
    for n, web in enumerate((a, b, a, b), 1):
        shown = await press(web, q1, f"U{n}", n % 2)
        assert "recorded" in shown, (f"U{n} via {'AB'[n % 2 == 0]}", shown)
    # The first answer counts, wherever the second press lands.
    assert "already answered" in await press(b, q1, "U1", 0)
    assert "already answered" in await press(a, q1, "U2", 0)

    # A dies mid-question, without a word; B takes presses on meanwhile.
    a.bot.proc.send_signal(signal.SIGKILL)
    assert await a.bot.proc.wait() == -signal.SIGKILL
    for user in ("U5", "U6"):
        shown = await press(b, q1, user, 2)
        assert "recorded" in shown, (user, shown)

    # B takes the game over: closes the question, reveals it, asks the next one.
    await b.bot.until(fake, lambda: len(posted(fake, QUIZ, buttons=True)) > 1,
                      timeout=TAKEOVER + WAIT)
    q2 = posted(fake, QUIZ, buttons=True)[1].data
    closed = [c for c in fake.of("chat.update") if c.data.get("ts") == first.reply["ts"]]
    assert closed and not button_values(closed[-1].data)
    assert "Time was up" in await press(b, q1, "U7", 0)  # too late, and not a player

    for n in range(1, 7):
        shown = await press(b, q2, f"U{n}", n % 3)
        assert "recorded" in shown, (f"U{n}", shown)

    # Everyone answered: the game ends on B, with every acknowledged answer in it.
    (final,) = await b.bot.until(fake, lambda: [
        c for c in posted(fake, QUIZ, buttons=False)
        if "Quiz over" in visible_text(c.data)], timeout=WAIT)
    assert recorded == {f"U{n}": 2 for n in range(1, 7)}
    standings = visible_text(final.data)
    answered = [int(total) for _, total in re.findall(r"(\d+)/(\d+) right", standings)]
    assert answered == [2] * 6, standings
    board = await b.shown("/quiz leaderboard", user="U1", channel=QUIZ)
    assert _answered(board) == recorded, board
    assert "Traceback" not in b.bot.stderr_text, b.bot.stderr_text[-8000:]
