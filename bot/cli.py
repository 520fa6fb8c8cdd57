"""``framework-coach``: run the bot, or ask it one command from the shell."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from rich.console import Console

from adapters.console import ConsoleAdapter, render
from bot.app import build_core
from bot.config import Settings
from bot.models import Context
from knowledge.loader import KnowledgeError

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="framework-coach",
        description="Choose, learn and keep up with deep-learning frameworks.",
    )
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="start the bot (console when no platform is configured)")
    run.add_argument("--console", action="store_true", help="start the console adapter too")
    ask = sub.add_parser("ask", help='answer one command, e.g. ask "/framework role:mle"')
    ask.add_argument("text", help="the command text, starting with /")
    ask.add_argument("--as", dest="user", default="you", help="the user asking")
    ask.add_argument("--in", dest="channel", default="general", help="the channel")
    ask.add_argument("--width", type=int, default=100, help="output width in characters")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    err = Console(stderr=True)
    try:
        core = build_core(settings)
    except KnowledgeError as exc:
        err.print("[bold red]The knowledge files have problems:[/]")
        for problem in exc.problems:
            err.print(f"  {problem}", markup=False, highlight=False)
        return EXIT_USAGE
    if args.action == "ask":
        return _ask(core, args)
    return asyncio.run(_run(core, settings, args.console))


def _ask(core, args: argparse.Namespace) -> int:  # noqa: ANN001
    context = Context(platform="console", user_id=args.user, user_name=args.user,
                      channel_id=args.channel.lstrip("#"), is_manager=True)
    response = asyncio.run(core.handle_text(args.text, context))
    out = Console(width=args.width, stderr=response.is_error, highlight=False)
    out.print(render(response, colour=core.colour(response.accent)))
    return EXIT_USAGE if response.is_error else 0


async def _run(core, settings: Settings, console: bool) -> int:  # noqa: ANN001
    platforms = settings.platforms()
    log = logging.getLogger("framework_coach")
    for platform in platforms:
        log.warning("%s is configured, but its adapter is not part of this release yet", platform)
    await ConsoleAdapter(core).run()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
