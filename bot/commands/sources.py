"""Sources: one short line under an answer, the full list one press away.

An answer names its knowledge sources in ``Response.sources`` and carries ``cite``'s footer
and button. The button's id is the command that made the answer, so a press (even after a
restart) asks that command again and lists its sources in full, privately.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.models import Button, Context, Response, Section, Visibility, error
from knowledge.schema import Source

if TYPE_CHECKING:
    from bot.core import Core

PREFIX = "sources"
SHORT_TITLE = 40  # a longer first title is named by its publisher, to keep the line short


def cite(core: Core, ids: Sequence[str], command: str) -> tuple[str, Button]:
    """The one-line footer and the button that lists every source of ``command``'s answer."""
    known = [core.knowledge.sources[i] for i in dict.fromkeys(ids) if i in core.knowledge.sources]
    if not known:
        return "", Button(f"{PREFIX}:{command}", "Sources")
    first = known[0].title if len(known[0].title) <= SHORT_TITLE else known[0].publisher
    more = f" and {len(known) - 1} more" if len(known) > 1 else ""
    return f"Sources: {first}{more}.", Button(f"{PREFIX}:{command}", f"Sources ({len(known)})")


def source_line(source: Source) -> str:
    """A source as a reader can find it: title, publisher, date, address."""
    when = f", {source.published.isoformat()}" if source.published else ""
    where = f": {source.url}" if source.url else ""
    return f"• {source.title} ({source.publisher}{when}){where}"


async def press_sources(button_id: str, context: Context, core: Core) -> Response:
    command = button_id.removeprefix(f"{PREFIX}:")
    answer = await core.handle_text(command, context)
    known = [core.knowledge.sources[i] for i in dict.fromkeys(answer.sources)
             if i in core.knowledge.sources]
    if answer.is_error or not known:
        return error("No sources to list", f"{command} does not name any sources.")
    return Response(
        title=f"Sources: {answer.title}",
        sections=(Section("\n".join(source_line(s) for s in known)),),
        visibility=Visibility.PRIVATE,
    )


BUTTONS = {PREFIX: press_sources}
