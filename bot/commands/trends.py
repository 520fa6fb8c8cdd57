"""/trends: the digest's figures on demand, for all four frameworks or one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands._shared import framework_choices, recommender, unknown_value
from bot.models import Request, Response
from bot.recommend import UnknownValue
from bot.registry import CommandSpec, OptionSpec
from bot.trends.chart import with_chart
from bot.trends.digest import DigestBuilder
from bot.trends.render import digest_response

if TYPE_CHECKING:
    from bot.core import Core


def _builder(core: Core) -> DigestBuilder:
    """The running bot's builder (live data); else one on the shipped sample history."""
    service = core.services.get("digests")
    if service is not None:
        return service.builder
    found = core.services.get("sample_digests")
    if not isinstance(found, DigestBuilder) or found.knowledge is not core.knowledge:
        found = core.services["sample_digests"] = DigestBuilder(core.knowledge, core.clock)
    return found


async def handle(request: Request, core: Core) -> Response:
    only = None
    if name := request.option("framework"):
        fw = recommender(core).resolve_framework("framework", name)
        if isinstance(fw, UnknownValue):
            return unknown_value(fw, "/trends framework:{value}")
        only = fw.id
    digest = await _builder(core).build("weekly")
    return await with_chart(core.services, digest, digest_response(digest, only=only))


COMMAND = CommandSpec(
    name="trends",
    description="Downloads, stars, releases and Stack Overflow activity, now",
    example="/trends framework:jax",
    handler=handle,
    options=(
        OptionSpec("framework", "One framework (default: all four)", choices=framework_choices,
                   example="jax"),
    ),
    positional=("framework",),
    order=45,
)
