"""/quiz daily subscribe|status|unsubscribe, and the daily question's answer buttons.

Schedules are read exactly as /digest reads them (times like 09:00 or 5pm, loose IANA zone
names), so both features accept the same words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.commands._shared import with_service
from bot.commands.digest import _close_enough, _local, _parse_time, _zone_complete, _zones
from bot.matching import Match
from bot.models import Context, FieldItem, Request, Response, Section, Visibility, error
from bot.quiz import render
from bot.quiz.bank import TOPICS
from bot.registry import CommandSpec, OptionSpec
from bot.storage import DailySub, Tenant

if TYPE_CHECKING:
    from bot.core import Core
    from bot.quiz.daily import DailyService

EXAMPLE = "/quiz daily subscribe time:09:00 timezone:Europe/Berlin topic:jax"
ACTIONS = ("subscribe", "status", "unsubscribe")


def _unavailable() -> Response:
    return error("The daily question is not available here",
                 "This process has no data directory to keep it in. Start the bot with "
                 "`framework-coach run` (or `make run`).")


_needs_daily = with_service("daily", _unavailable)


@_needs_daily
async def daily(request: Request, core: Core, service: DailyService) -> Response:
    action = (request.option("action") or "status").strip().lower()
    if action not in ACTIONS:
        return error("Unknown daily action", f"Use one of: {', '.join(ACTIONS)}.", EXAMPLE)
    tenant = Tenant(request.platform, request.tenant_id)
    if action != "status" and not request.context.is_manager:
        return error("Only channel managers can change the daily question",
                     "Anyone can answer it and see `/quiz daily status`.")
    if action == "subscribe":
        return await _subscribe(request, tenant, service)
    if action == "unsubscribe":
        if not await service.unsubscribe(tenant, request.channel_id):
            return error("This channel has no daily question", f"Start one with `{EXAMPLE}`.")
        return Response(title="Daily question stopped",
                        sections=(Section("No new daily questions here. One still open is "
                                          "revealed at its closing time."),))
    return await _status(request, tenant, service)


async def _subscribe(request: Request, tenant: Tenant, service: DailyService) -> Response:
    from bot.commands.quiz import TOPIC_NAMES  # the quiz module imports this one

    problems: list[str] = []
    values: dict[str, str | None] = {"time": "09:00", "close": None, "topic": None,
                                      "timezone": service.default_timezone}
    for name in ("time", "close"):
        if (raw := request.option(name)) is not None:
            parsed = _parse_time(raw)
            if parsed is None:
                problems.append(f"{name} '{raw}' is not a time of day like 09:00 or 5pm")
            values[name] = parsed
    if (raw := request.option("timezone")) is not None:
        found = _zones().resolve(raw.strip().replace(" ", "_"))
        if isinstance(found, Match) and (found.exact or _close_enough(raw, found.key)):
            values["timezone"] = found.key
        else:
            hint = _zones().complete(raw.strip().replace(" ", "_"), limit=3)
            problems.append(f"timezone '{raw}' is not a time zone I know"
                            + (f" (did you mean {', '.join(hint)}?)" if hint else ""))
    if (raw := request.option("topic")) is not None:
        found = TOPIC_NAMES.resolve(raw)
        if isinstance(found, Match):
            values["topic"] = found.key
        else:
            problems.append(f"topic '{raw}' is not one of {', '.join(TOPICS)}")
    if problems:
        return error("That daily question needs fixing",
                     "\n".join(f"• {p}" for p in problems) + f"\nExample: `{EXAMPLE}`")
    if values["close"] == values["time"]:
        values["close"] = None  # closing when the next one opens is the default anyway
    sub = await service.subscribe(tenant, DailySub(
        channel_id=request.channel_id, time=values["time"] or "09:00",
        timezone=values["timezone"] or "UTC", topic=values["topic"], close=values["close"],
        created_by=request.user_id))
    status = await service.status(tenant, request.channel_id)
    upcoming = _local(status.next_run, ZoneInfo(sub.timezone)) if status and status.next_run \
        else "soon"
    return Response(
        title="Daily question saved",
        sections=(Section(
            f"One {sub.topic or 'mixed-topic'} question a day here at {sub.time} "
            f"({sub.timezone}), open {_open_text(sub)}. First one: {upcoming}. Right answers "
            "score on the leaderboard and build daily streaks."),),
    )


def _open_text(sub: DailySub) -> str:
    return f"until {sub.close}" if sub.close else "until the next one is posted"


async def _status(request: Request, tenant: Tenant, service: DailyService) -> Response:
    found = await service.status(tenant, request.channel_id)
    if found is None:
        return Response(title="No daily question here",
                        sections=(Section(f"A channel manager can start one with `{EXAMPLE}`."),),
                        visibility=Visibility.PRIVATE)
    sub, zone = found.sub, ZoneInfo(found.sub.timezone)
    fields = [
        FieldItem("Schedule", f"every day at {sub.time} ({sub.timezone}), open "
                  f"{_open_text(sub)}" + (f", topic {sub.topic}" if sub.topic else "")),
        FieldItem("Next question", _local(found.next_run, zone) if found.next_run
                  else "none (paused)"),
    ]
    last = found.last
    fields.append(FieldItem("Last question", "none yet" if last is None else
                            f"{last.day}: {_day_status(last.status)}"
                            + (" (posted late)" if last.late else "")))
    if found.streaks:
        fields.append(FieldItem("Daily streaks", ", ".join(
            f"{s.user_name or s.user_id} {s.current} (best {s.best})"
            for s in found.streaks[:5])))
    sections = []
    if not sub.enabled:
        sections.append(Section(f"Paused: {sub.disabled_reason}. Fix it and subscribe again.",
                                heading="Why nothing arrives"))
    if sub.note:
        sections.append(Section(sub.note, heading="Last problem"))
    if sub.skipped:
        sections.append(Section(", ".join(sub.skipped[-10:]), heading="Days skipped"))
    return Response(title="Daily question status for this channel", sections=tuple(sections),
                    fields=tuple(fields), visibility=Visibility.PRIVATE)


def _day_status(status: str) -> str:
    return {"posting": "was being posted when the bot stopped (not re-posted)",
            "open": "open for answers", "failed": "could not be posted",
            "closed": "closed, reveal pending", "revealing": "closed, being revealed",
            "revealed": "revealed"}.get(status, status)


async def press_daily(button_id: str, ctx: Context, core: Core) -> Response:
    service: DailyService | None = core.services.get("daily")
    if service is None:
        return _unavailable()
    done = await service.press(button_id, ctx.platform, ctx.tenant_id, ctx.channel_id,
                               ctx.user_id, ctx.user_name)
    return render.private(done.title, done.text)


def _topic_choices(core: Core) -> list[tuple[str, str]]:
    return [(t, t) for t in TOPICS]


SUBCOMMAND = CommandSpec(
    name="daily", description="A question a day in this channel: subscribe, status, unsubscribe",
    example=EXAMPLE, handler=daily,
    options=(
        OptionSpec("action", "subscribe or unsubscribe (managers), or status",
                   choices=lambda core: [(a, a) for a in ACTIONS]),
        OptionSpec("time", "Local time to post, HH:MM (default 09:00)", example="09:00"),
        OptionSpec("timezone", "IANA time zone, e.g. Europe/Berlin",
                   autocomplete=_zone_complete),
        OptionSpec("topic", "pytorch, tensorflow, keras, jax, concepts or careers",
                   choices=_topic_choices),
        OptionSpec("close", "Local time to reveal (default: when the next one is posted)"),
    ),
    positional=("action",),
)
BUTTONS = {"daily": press_daily}
