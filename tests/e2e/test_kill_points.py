"""Issue #15: a quiz survives a SIGKILL at any step of closing a question or finishing a game.

The real bot (``framework-coach run``, Discord through the local fake) is told to kill itself
at one named step (``QUIZ_KILL_AT``, test-only: ``bot/quiz/faults.py``), then started again
on the same data directory. Every step of close and finish is walked when the starter stops
a game mid-question (the close and the finish then follow each other at once); the close,
and the finish once, also when a one-question game runs out of time. After the restart only
what a person can see is checked:

- every answer the bot confirmed ("Answer X recorded"), before the kill or after it, is
  counted exactly once in ``/quiz stats``;
- a stopped or finished game stays over: ``/quiz stop`` says none is running and no next
  question appears;
- one game counts once in games and wins, and its standings are shown (the one exception:
  a kill after the game is deleted and before its standings are posted loses that message;
  the scores are all there).
"""

from __future__ import annotations

import asyncio
import copy
import signal
from pathlib import Path
from typing import Any

import pytest

from bot.quiz.faults import ENV, STEPS
from tests.adapters.fakes.discord_fake import FakeDiscord, Post, command_data, seen_text
from tests.e2e.people import ADA, discord_interaction, option_button
from tests.e2e.process import WAIT, BotProcess, Fakes, Launch

BOB, CY = 980000000000000002, 980000000000000003
NAMES = {ADA: "ada", BOB: "bob", CY: "cy"}
CHANNEL = 970000000000000015


def _command(discord: FakeDiscord, user: int, sub: str,
             options: dict[str, str] | None = None) -> dict[str, Any]:
    return discord.interaction(2, command_data("quiz", sub, options or {}), user_id=user,
                               user_name=NAMES[user], channel_id=CHANNEL)


async def _quiz(bot: BotProcess, discord: FakeDiscord, user: int, sub: str,
                options: dict[str, str] | None = None) -> str:
    return await discord_interaction(bot, discord, _command(discord, user, sub, options))


async def _press(bot: BotProcess, discord: FakeDiscord, user: int, question: dict[str, Any],
                 right: bool) -> str:
    """A click on the question as it was first posted (the fake keeps later edits)."""
    button = option_button(question, right=right)
    click = discord.interaction(3, {"custom_id": button, "component_type": 2},
                                user_id=user, user_name=NAMES[user], channel_id=CHANNEL,
                                message=question)
    return await discord_interaction(bot, discord, click)


def _posts(discord: FakeDiscord, starting: str) -> list[Post]:
    return [p for p in discord.channel_posts(CHANNEL)
            if seen_text(p.message).startswith(starting)]


async def _stats(bot: BotProcess, discord: FakeDiscord, user: int) -> dict[str, int]:
    """Games, wins and answers as ``/quiz stats`` shows them to ``user``."""
    iid = int((payload := _command(discord, user, "stats"))["id"])
    await discord_interaction(bot, discord, payload)
    fields = {f["name"]: f["value"] for p in discord.posts_for(iid)
              for e in p.message.get("embeds") or [] for f in e.get("fields") or []}
    return {k.lower(): int(fields.get(k, "0")) for k in ("Games", "Wins", "Answers")}


async def _killed(bot: BotProcess, step: str, answer: asyncio.Future[Any] | None = None) -> None:
    """The bot killed itself at ``step`` (and did not answer ``answer`` first)."""
    exited = asyncio.ensure_future(bot.proc.wait())
    waits: set[asyncio.Future[Any]] = {exited} | ({answer} if answer else set())
    done, _ = await asyncio.wait(waits, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
    exited.cancel()
    assert exited in done, f"the bot never reached {step} (it answered or kept running)"
    await asyncio.gather(*bot.readers, return_exceptions=True)
    assert bot.proc.returncode == -signal.SIGKILL, bot.stderr_text[-4000:]
    assert bot.logged(f"fault injection: killing the process at {step}")


# A stop walks every step (the close, then the finish); a game running out of time walks the
# close, whose restart differs (the deadline has passed, the reveal pause runs on), and the
# finish once (the same code as after a stop, standings posted to the channel).
TRIALS = [("stopped", step) for step in STEPS] + [
    ("timed-out", step) for step in ("close:after-state", "close:after-scores",
                                     "finish:after-scores")
]


@pytest.mark.parametrize(("how", "step"), TRIALS)
async def test_a_kill_at_any_step_of_close_and_finish_loses_and_repeats_nothing(
    fakes: Fakes, launch: Launch, tmp_path: Path, how: str, step: str
) -> None:
    discord = fakes.discord
    data_dir = tmp_path / "data"
    bot = await launch(data_dir, env={ENV: step})
    if how == "stopped":  # two long questions, stopped while the first is open
        started = await _quiz(bot, discord, ADA, "start", {"questions": "2", "time": "120"})
    else:  # one short question that closes, reveals and finishes on its own
        started = await _quiz(bot, discord, ADA, "start", {"questions": "1", "time": "5"})
    assert "Quiz starting" in started
    posted = await bot.until(discord, lambda: next(iter(_posts(discord, "Question 1/")), None))
    question = copy.deepcopy(posted.message)
    confirmed = {ADA: 0, BOB: 0, CY: 0}
    for user, right in ((ADA, True), (BOB, False)):
        if "recorded" in await _press(bot, discord, user, question, right):
            confirmed[user] += 1
    assert confirmed[ADA] == 1  # the winner (Bob, wrong, may be late on a very busy machine)
    if how == "stopped":
        reply = await discord.dispatch(_command(discord, ADA, "stop"))
        await _killed(bot, step, reply)
    else:
        await _killed(bot, step)
    shown_before = len(_posts(discord, "Quiz over"))

    again = await launch(data_dir)
    # Cy presses the first question late: whatever the bot confirms must count.
    if "recorded" in await _press(again, discord, CY, question, True):
        confirmed[CY] += 1
    if how == "timed-out" and step.startswith("close:"):  # the game goes on to its end
        await again.until(discord, lambda: _posts(discord, "Quiz over"))
    running = "No quiz is running here" not in await _quiz(again, discord, ADA, "stop")
    seen = {
        "a game still running": running,
        "a second question posted": bool(_posts(discord, "Question 2/")),
        "standings shown": len(_posts(discord, "Quiz over")),
        **{f"{NAMES[u]} {k}": v for u in (ADA, BOB, CY)
           for k, v in (await _stats(again, discord, u)).items()},
    }
    expected = {
        "a game still running": False,
        "a second question posted": False,
        "standings shown": 0 if step == "finish:after-delete" and not shown_before else 1,
        "ada games": 1, "ada wins": 1, "ada answers": confirmed[ADA],
        "bob games": confirmed[BOB], "bob wins": 0, "bob answers": confirmed[BOB],
        "cy games": confirmed[CY], "cy wins": 0, "cy answers": confirmed[CY],
    }
    assert seen == expected
