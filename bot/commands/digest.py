"""/digest: subscribe a channel to framework-trend digests, and see how they are going."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import zoneinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.commands._shared import with_service
from bot.matching import Match, Matcher
from bot.models import (
    TEXT_LIMIT,
    Button,
    FieldItem,
    Request,
    Response,
    Section,
    Visibility,
    error,
    user_text,
)
from bot.registry import CommandSpec, OptionSpec
from bot.storage import Subscription, Tenant

if TYPE_CHECKING:
    from bot.core import Core
    from bot.digests.service import DigestService, Status

DAYS = Matcher({
    "mon": ["monday", "mo"], "tue": ["tuesday", "tu", "tues"], "wed": ["wednesday", "we"],
    "thu": ["thursday", "th", "thur", "thurs"], "fri": ["friday", "fr"],
    "sat": ["saturday", "sa"], "sun": ["sunday", "su"],
})
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CADENCES = Matcher({"weekly": ["week", "w"], "daily": ["day", "d", "everyday"]})
_TIME = re.compile(r"^(\d{1,2})(?::?(\d{2}))?\s*(am|pm)?$", re.IGNORECASE)
EXAMPLE = "/digest subscribe cadence:weekly day:mon time:09:00 timezone:Europe/Berlin"


@functools.cache
def _zones() -> Matcher:
    """Every IANA zone, matched loosely ("berlin", "new york", "europe/berlin")."""
    names = sorted(zoneinfo.available_timezones())
    return Matcher({z: [z.rsplit("/", 1)[-1]] for z in names if "/" in z or z == "UTC"})


def _unavailable() -> Response:
    return error("Digests are not available here",
                 "This process has no data directory for subscriptions. Start the bot "
                 "with `framework-coach run` (or `make run`) to subscribe.")


_needs_service = with_service("digests", _unavailable)


def _tenant(request: Request) -> Tenant:
    return Tenant(request.platform, request.tenant_id)


# --------------------------------------------------------------------------- subscribe


@_needs_service
async def subscribe(request: Request, core: Core, service: DigestService) -> Response:
    parsed = _parse_schedule(request, service.default_timezone)
    if isinstance(parsed, Response):
        return parsed
    sub = await service.subscribe(_tenant(request), dataclasses.replace(
        parsed, channel_id=request.channel_id, created_by=request.user_id))
    status = await service.status(_tenant(request), request.channel_id)
    when = _next_run_text(status) if status else "soon"
    return Response(
        title="Digest subscription saved",
        sections=(Section(
            f"This channel gets the framework-trend digest {_schedule_text(sub)}. "
            f"Next one: {when}.\nSee it now with `/digest preview`; stop with "
            "`/digest unsubscribe`."),),
        buttons=(Button("run:/digest preview", "Preview"), Button("run:/digest status", "Status")),
    )


def _parse_schedule(request: Request, default_zone: str) -> Subscription | Response:
    problems: list[str] = []
    cadence = "weekly"
    if (raw := request.option("cadence")) is not None:
        found = CADENCES.resolve(raw)
        if isinstance(found, Match):
            cadence = found.key
        else:
            problems.append(f"cadence '{user_text(raw)}' is not weekly or daily")
    weekday = 0
    if (raw := request.option("day")) is not None:
        found = DAYS.resolve(raw)
        if isinstance(found, Match):
            weekday = DAYS.keys.index(found.key)
        else:
            problems.append(f"day '{user_text(raw)}' is not a weekday (mon, tue, … sun)")
    time = "09:00"
    if (raw := request.option("time")) is not None:
        parsed = _parse_time(raw)
        if parsed is None:
            problems.append(f"time '{user_text(raw)}' is not a time of day like 09:00 or 5pm")
        else:
            time = parsed
    zone = default_zone
    if (raw := request.option("timezone")) is not None:
        found = _zones().resolve(raw.strip().replace(" ", "_"))
        if isinstance(found, Match) and (found.exact or _close_enough(raw, found.key)):
            zone = found.key
        else:
            hint = _zones().complete(raw.strip().replace(" ", "_"), limit=3)
            problems.append(f"timezone '{user_text(raw)}' is not a time zone I know"
                            + (f" (did you mean {', '.join(hint)}?)" if hint else ""))
    if problems:
        return error("That schedule needs fixing",
                     "\n".join(f"• {p}" for p in problems) + f"\nExample: `{EXAMPLE}`")
    return Subscription(channel_id="-", cadence=cadence, weekday=weekday,  # type: ignore[arg-type]
                        time=time, timezone=zone)


def _close_enough(raw: str, zone: str) -> bool:
    """A fuzzy zone match is accepted only when the city part is what was typed."""
    city = zone.rsplit("/", 1)[-1].replace("_", " ").casefold()
    return raw.strip().replace("_", " ").casefold().endswith(city)


def _parse_time(raw: str) -> str | None:
    m = _TIME.match(raw.strip())
    if not m:
        return None
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


# --------------------------------------------------------------------------- others


@_needs_service
async def unsubscribe(request: Request, core: Core, service: DigestService) -> Response:
    if not await service.unsubscribe(_tenant(request), request.channel_id):
        return error("This channel has no digest subscription",
                     f"Nothing to stop. Subscribe with `{EXAMPLE}`.")
    return Response(title="Digest subscription removed",
                    sections=(Section("No more trend digests in this channel. "
                                      "`/digest subscribe` starts them again."),))


@_needs_service
async def status(request: Request, core: Core, service: DigestService) -> Response:
    found = await service.status(_tenant(request), request.channel_id)
    if found is None:
        return Response(
            title="No digest subscription here",
            sections=(Section("This channel does not get trend digests. A channel manager can "
                              f"start them with `{EXAMPLE}`."),),
            visibility=Visibility.PRIVATE,
        )
    sub, zone = found.subscription, ZoneInfo(found.subscription.timezone)
    fields = [
        FieldItem("Schedule", _schedule_text(sub)),
        FieldItem("Next digest", _next_run_text(found)),
    ]
    if found.last is not None:
        last = found.last
        when = last.delivered_at or last.claimed_at
        fields.append(FieldItem(
            "Last run", f"{_local(when, zone)}: {last.status} ({last.period_key}"
            + (f", {last.attempts} attempts" if last.attempts > 1 else "") + ")"))
    else:
        fields.append(FieldItem("Last run", "none yet"))
    fields.append(FieldItem("Can post here", found.can_post.describe()))
    sections = []
    if not sub.enabled:
        sections.append(Section(
            f"Digests here are paused: {user_text(sub.disabled_reason or '', TEXT_LIMIT)}. "
            "Fix the cause (see \"Can post here\"), then a channel manager resumes them with "
            "`/digest subscribe`.", heading="Why nothing arrives"))
    elif sub.last_error:
        sections.append(Section(user_text(sub.last_error, TEXT_LIMIT), heading="Last problem"))
    return Response(title="Digest status for this channel", sections=tuple(sections),
                    fields=tuple(fields), visibility=Visibility.PRIVATE)


@_needs_service
async def preview(request: Request, core: Core, service: DigestService) -> Response:
    sub = await service.store.get_subscription(_tenant(request), request.channel_id)
    _, response = await service.digest(sub.cadence if sub else "weekly")
    return dataclasses.replace(response, visibility=Visibility.PRIVATE,
                               footer=f"Preview, only you see it. {response.footer}")


@_needs_service
async def last(request: Request, core: Core, service: DigestService) -> Response:
    tenant = _tenant(request)
    record = await service.store.last_digest(tenant, request.channel_id)
    delivered = [r for r in await service.store.digest_history(tenant, request.channel_id)
                 if r.status == "delivered"]
    if record is None:
        return Response(title="No digest posted here yet",
                        sections=(Section("`/digest preview` shows what the next one would say."),),
                        visibility=Visibility.PRIVATE)
    sub = await service.store.get_subscription(tenant, request.channel_id)
    zone = ZoneInfo(sub.timezone if sub else "UTC")
    lines = []
    if delivered:
        d = delivered[-1]
        lines.append(f"The last digest was posted {_local(d.delivered_at or d.claimed_at, zone)} "
                     f"for {d.period_key}; it is in this channel's history.")
    if record is not (delivered[-1] if delivered else None) and record.status != "delivered":
        problem = user_text(record.error or "", TEXT_LIMIT) or "no answer from the platform yet"
        lines.append(f"The run for {record.period_key} {record.status}: {problem}.")
    _, response = await service.digest(sub.cadence if sub else "weekly")
    return dataclasses.replace(
        response, title=f"Last digest here — today's figures: {response.title.split(': ', 1)[-1]}",
        sections=(Section(" ".join(lines), heading="Last post"), *response.sections),
        visibility=Visibility.PRIVATE)


# --------------------------------------------------------------------------- text helpers


def _schedule_text(sub: Subscription) -> str:
    when = "every day" if sub.cadence == "daily" else f"every {DAY_NAMES[sub.weekday]}"
    return f"{when} at {sub.time} ({sub.timezone})"


def _next_run_text(found: Status) -> str:
    if found.next_run is None:
        return "none (paused)"
    return _local(found.next_run, ZoneInfo(found.subscription.timezone))


def _local(when: dt.datetime, zone: ZoneInfo) -> str:
    return when.astimezone(zone).strftime("%a %-d %b %Y, %H:%M %Z")


def _fixed(*values: str):  # noqa: ANN202
    return lambda core: [(v, v) for v in values]


def _zone_complete(core: Core, partial: str) -> list[tuple[str, str]]:
    return [(z, z) for z in _zones().complete(partial.replace(" ", "_"), limit=25)]


COMMAND = CommandSpec(
    name="digest",
    description="Framework-trend digests for this channel, on a schedule",
    example="/digest subscribe day:mon time:09:00 timezone:Europe/Berlin",
    order=50,
    subcommands=(
        CommandSpec(
            name="subscribe", description="Post the trend digest here on a schedule (managers)",
            example=EXAMPLE, handler=subscribe, manager_only=True,
            options=(
                OptionSpec("cadence", "weekly (default) or daily",
                           choices=_fixed("weekly", "daily")),
                OptionSpec("day", "Day for weekly digests (default mon)",
                           choices=_fixed(*DAYS.keys)),
                OptionSpec("time", "Local time, HH:MM (default 09:00)", example="09:00"),
                OptionSpec("timezone", "IANA time zone, e.g. Europe/Berlin",
                           autocomplete=_zone_complete, example="Europe/Berlin"),
            ),
        ),
        CommandSpec(name="unsubscribe", description="Stop this channel's digests (managers)",
                    example="/digest unsubscribe", handler=unsubscribe, manager_only=True),
        CommandSpec(name="status", description="Next run, last run, problems: why nothing came",
                    example="/digest status", handler=status),
        CommandSpec(name="preview", description="See the current digest (only you)",
                    example="/digest preview", handler=preview),
        CommandSpec(name="last", description="When the last digest was posted here",
                    example="/digest last", handler=last),
    ),
)
