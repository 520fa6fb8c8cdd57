"""``framework-coach``: run the bot, or ask it one command from the shell."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from rich.console import Console

from adapters.console import ConsoleAdapter, render
from bot.app import open_app
from bot.config import Settings
from bot.models import Context
from bot.storage import DataDirLocked
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
        if args.action == "ask":
            return asyncio.run(_ask(settings, args))
        return asyncio.run(_run(settings, args.console))
    except KnowledgeError as exc:
        err.print("[bold red]The knowledge files have problems:[/]")
        for problem in exc.problems:
            err.print(f"  {problem}", markup=False, highlight=False)
        return EXIT_USAGE
    except DataDirLocked as exc:
        err.print(f"[bold red]Cannot start:[/] {exc}", highlight=False)
        return EXIT_USAGE


async def _ask(settings: Settings, args: argparse.Namespace) -> int:
    app = await open_app(settings, require_store=False)
    try:
        context = Context(platform="console", user_id=args.user, user_name=args.user,
                          channel_id=args.channel.lstrip("#"), is_manager=True)
        response = await app.core.handle_text(args.text, context)
    finally:
        await app.close()
    out = Console(width=args.width, stderr=response.is_error, highlight=False)
    out.print(render(response, colour=app.core.colour(response.accent)))
    return EXIT_USAGE if response.is_error else 0


async def _run(settings: Settings, console: bool) -> int:
    app = await open_app(settings)
    log = logging.getLogger("framework_coach")
    for platform in settings.platforms():
        log.warning("%s is configured, but its adapter is not part of this release yet", platform)
    adapter = ConsoleAdapter(app.core)
    app.outbox.register(adapter.platform, adapter)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    _install_shutdown(loop, stopping)
    resumed = await app.quiz.resume_all() if app.quiz else 0
    if resumed:
        log.info("resumed %d quiz session(s)", resumed)
    console_task = loop.create_task(adapter.run())
    stop_task = loop.create_task(stopping.wait())
    await asyncio.wait({console_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
    stop_task.cancel()
    await app.close()
    return 0


def _install_shutdown(loop: asyncio.AbstractEventLoop, stopping: asyncio.Event) -> None:
    """SIGTERM/SIGINT end the run; ``App.close`` then stops timers and flushes storage."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
