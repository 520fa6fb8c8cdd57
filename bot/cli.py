"""``framework-coach``: run the bot, or ask it one command from the shell."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console

from adapters.console import LETTERS, ConsoleAdapter, render
from bot.app import App, build_core, open_app
from bot.config import ConfigError, Settings, check_data_dir, load_settings
from bot.core import Core
from bot.logs import add_secrets, quiet_console, setup_logging
from bot.memory import tune_allocator
from bot.models import Context, Request
from bot.parser import ParsedCommand, parse
from bot.storage import DataDirLocked, StorageError, StorageUnavailable
from knowledge.loader import KnowledgeError

EXIT_USAGE = 2
ADAPTER_STOP_TIMEOUT = 10.0  # seconds one platform may take to close before we move on
T = TypeVar("T")


class StartupError(Exception):
    """A platform could not start with the given configuration; the message says why."""


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
    ask.add_argument("--press", action="append", default=[], metavar="LETTER",
                     help="then press this button (A, B, …) of the latest answer with "
                          "buttons; may be repeated, e.g. /framework --press A --press C")
    sub.add_parser("discord-invite", help="print the URL that adds the bot to a Discord server")
    trends = sub.add_parser("trends", help="trend data: `trends collect` fetches it now")
    trends.add_argument("what", choices=["collect", "hiring-sample"],
                        help="collect: fetch from every source; hiring-sample: print the "
                             "collected hiring months as knowledge/trends_sample.yaml rows")
    storage = sub.add_parser("storage", help="`storage migrate --to URL` copies the data "
                             "directory into PostgreSQL")
    storage.add_argument("what", choices=["migrate"])
    storage.add_argument("--to", required=True, metavar="postgresql://…",
                         help="the database to copy into (its schema is created if needed)")
    storage.add_argument("--from", dest="source", type=Path, default=None, metavar="DIR",
                         help="the data directory to copy (default: DATA_DIR)")
    doctor = sub.add_parser("doctor", help="check the configuration, data directory, knowledge "
                            "files and tokens, and say what to fix")
    doctor.add_argument("--offline", action="store_true",
                        help="skip the checks that call Slack and Discord")
    delete = sub.add_parser("delete-workspace", help="delete everything kept for one "
                            "workspace (installation, settings, subscriptions, quizzes, "
                            "scores), e.g. after it uninstalled the app; stop the bot first")
    delete.add_argument("platform", choices=["slack", "discord"])
    delete.add_argument("workspace", help="its id: a Slack team id (T…), a Discord server id")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    err = Console(stderr=True)
    if args.action == "doctor":
        from bot.doctor import doctor

        setup_logging("WARNING")  # the checklist is the output; libraries only on trouble
        return asyncio.run(doctor(sys.stdout, online=not args.offline))
    try:
        settings = load_settings()
    except ConfigError as exc:
        for problem in exc.problems:
            _cannot_start(err, problem)
        return EXIT_USAGE
    # A one-shot answer is the output; its routine INFO lines would only be noise.
    quiet = args.action in ("ask", "discord-invite") and settings.log_level.upper() != "DEBUG"
    setup_logging("WARNING" if quiet else settings.log_level)
    add_secrets(*settings.secret_values())
    if args.action == "discord-invite":
        return _discord_invite(settings, err)
    if args.action == "storage":
        return _storage_migrate(settings, args, err)
    if args.action == "delete-workspace":
        try:
            return asyncio.run(_delete_workspace(settings, args.platform, args.workspace))
        except DataDirLocked as exc:
            _cannot_start(err, f"{exc} (stop the bot first)")
            return EXIT_USAGE
        except StorageUnavailable as exc:
            _cannot_start(err, f"{exc} (try again once the database is back)")
            return EXIT_USAGE
    if args.action == "trends":
        from bot.clock import SystemClock
        from bot.trends.collector import collect_command

        try:
            if args.what == "hiring-sample":
                from bot.trends.hiring import sample_command

                return asyncio.run(sample_command(settings, SystemClock(), print))
            return asyncio.run(collect_command(settings, SystemClock(), print))
        except DataDirLocked as exc:
            _cannot_start(err, f"{exc} (stop the bot, or let its daily collection run)")
            return EXIT_USAGE
    try:
        if args.action == "ask":
            return asyncio.run(_ask(settings, args))
        problem = check_data_dir(settings.data_dir)
        if problem:
            _cannot_start(err, problem)
            return EXIT_USAGE
        return asyncio.run(_run(settings, args.console))
    except KnowledgeError as exc:
        err.print("[bold red]The knowledge files have problems:[/]")
        for problem in exc.problems:
            err.print(f"  {problem}", markup=False, highlight=False)
        return EXIT_USAGE
    except (DataDirLocked, StorageUnavailable, StartupError) as exc:
        _cannot_start(err, str(exc))
        return EXIT_USAGE


def _storage_migrate(settings: Settings, args: argparse.Namespace, err: Console) -> int:
    from bot.clock import SystemClock
    from bot.storage.postgres.migrate import migrate_command

    if not args.to.startswith(("postgresql://", "postgres://")):
        _cannot_start(err, "--to must be a postgresql://user@host:port/database URL")
        return EXIT_USAGE
    add_secrets(args.to)
    try:
        return asyncio.run(migrate_command(args.source or settings.data_dir, args.to,
                                           SystemClock(), print))
    except StorageError as exc:
        _cannot_start(err, f"{exc} (stop the bot before copying its data directory)"
                      if isinstance(exc, DataDirLocked) else str(exc))
        return EXIT_USAGE


def _cannot_start(err: Console, problem: str) -> None:
    # soft_wrap: one problem stays on one line, however narrow the terminal.
    err.print(f"Cannot start: {problem}", highlight=False, markup=False, style="bold red",
              soft_wrap=True)


async def _ask(settings: Settings, args: argparse.Namespace) -> int:
    core = build_core(settings)
    context = Context(platform="console", user_id=args.user, user_name=args.user,
                      channel_id=args.channel.lstrip("#"), is_manager=True)
    # A knowledge lookup needs no lock on the data directory; a press may (it can start a quiz).
    pure = not args.press and _is_pure(core, args.text, context)
    app = None if pure else await open_app(settings, require_store=False, core=core)
    try:
        response = await core.handle_text(args.text, context)
        out = Console(width=args.width, stderr=response.is_error, highlight=False)
        out.print(render(response, colour=core.colour(response.accent)))
        buttons = response.buttons
        for letter in args.press:
            index = LETTERS.find(letter.strip().upper()) if len(letter.strip()) == 1 else -1
            if not 0 <= index < len(buttons):
                Console(stderr=True).print(f"There is no button {letter} on that answer.")
                return EXIT_USAGE
            pressed = await core.press(buttons[index].id, context)
            out.print(render(pressed, colour=core.colour(pressed.accent)))
            buttons = pressed.buttons or buttons  # the next press follows a new set of buttons
    finally:
        if app is not None:
            await app.close()
    return EXIT_USAGE if response.is_error else 0


def _is_pure(core: Core, text: str, context: Context) -> bool:
    """True when ``text`` binds to a command whose answer needs no stored state."""
    parsed = parse(text)
    request = core.registry.bind(parsed, context) if isinstance(parsed, ParsedCommand) else None
    spec = core.registry.get(request.command) if isinstance(request, Request) else None
    return spec is not None and spec.pure


async def _delete_workspace(settings: Settings, platform: str, workspace: str) -> int:
    """The operator's way to delete a workspace's data; an uninstall keeps it."""
    from bot.clock import SystemClock
    from bot.storage import Tenant, open_store

    store = await open_store(settings, SystemClock())  # the data directory or DATABASE_URL
    try:
        removed = await store.delete_tenant(Tenant(platform, workspace))
    finally:
        await store.close()
    print(f"Deleted everything kept for {platform} workspace {workspace}." if removed
          else f"Nothing is kept for {platform} workspace {workspace}.")
    return 0


def _discord_invite(settings: Settings, err: Console) -> int:
    from adapters.discord import invite_url

    try:
        print(invite_url(settings))
    except ValueError as exc:
        err.print(f"[bold red]Cannot build the invite URL:[/] {exc}", highlight=False)
        return EXIT_USAGE
    return 0


async def _start_platforms(app: App, settings: Settings) -> list[Any]:
    """Every configured platform adapter, started in this loop and registered for posts.

    If one cannot start (or the start is cancelled by a stop signal), the ones already
    started are stopped again before the error goes on. Once started, each adapter keeps
    its own connection alive (reconnecting with backoff), so one platform's outage never
    takes the process, or the other platforms, down with it.
    """
    started: list[Any] = []
    try:
        for platform in settings.platforms():
            adapter = _adapter_for(platform, app, settings)
            if adapter is None:
                continue
            started.append(adapter)  # a start failing half-way still needs its stop
            await _start_adapter(platform, adapter)
            app.outbox.register(platform, adapter)
    except BaseException:
        await _stop_adapters(started)
        raise
    return started


def _adapter_for(platform: str, app: App, settings: Settings) -> Any:
    """The adapter for ``platform``, not started; None for a platform not in this release."""
    if platform == "discord":
        from adapters.discord import DiscordAdapter

        return DiscordAdapter(app.core, settings)
    if platform == "slack":
        from adapters.slack import SlackAdapter, SlackConfigError

        try:
            return SlackAdapter(app.core, settings)
        except SlackConfigError as exc:
            raise StartupError(f"Slack: {exc}") from None
    logging.getLogger("framework_coach").warning(
        "%s is configured, but its adapter is not part of this release yet", platform)
    return None


async def _start_adapter(platform: str, adapter: Any) -> None:
    """Start one adapter; a configuration the platform refuses becomes a ``StartupError``."""
    from adapters.slack import SlackConfigError

    try:
        await adapter.start()
    except SlackConfigError as exc:
        raise StartupError(f"Slack: {exc}") from None
    except RuntimeError as exc:
        raise StartupError(f"{platform.capitalize()}: {exc}") from None


async def _stop_adapters(adapters: list[Any]) -> None:
    """Stop each adapter, bounded in time; one failing or hanging never keeps the others
    (or the storage flush after them) from their turn."""
    log = logging.getLogger("framework_coach")
    for adapter in adapters:
        try:
            await asyncio.wait_for(adapter.stop(), ADAPTER_STOP_TIMEOUT)
        except Exception:  # noqa: BLE001 - logged; shutting down goes on regardless
            log.exception("stopping %s failed; carrying on with the shutdown",
                          adapter.platform)


async def _unless_stopped(stopping: asyncio.Event, work: Awaitable[T]) -> T | None:
    """``work``'s result, or None when a stop signal comes first (``work`` is cancelled)."""
    task = asyncio.ensure_future(work)
    signal_seen = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait({task, signal_seen}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        signal_seen.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return None
    return task.result()


async def _run(settings: Settings, console: bool) -> int:
    tune_allocator()  # a bot runs for months: keep its memory from drifting
    # With the console in the foreground, routine lines would print over the prompt.
    log_file = quiet_console(settings.data_dir) if console or not settings.platforms() else None
    app = await open_app(settings)
    log = logging.getLogger("framework_coach")
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    _install_shutdown(loop, stopping)
    adapters: list[Any] = []
    waiters: set[asyncio.Future[Any]] = set()
    try:
        started = await _unless_stopped(stopping, _start_platforms(app, settings))
        if started is None:
            log.info("stopping: a stop signal came while the platforms were starting")
            return 0
        adapters = started
        waiters.add(loop.create_task(stopping.wait()))
        if console or not adapters:
            log_file = log_file or quiet_console(settings.data_dir)
            terminal = ConsoleAdapter(app.core, log_file=log_file,
                                      charts_dir=settings.data_dir / "charts")
            app.outbox.register(terminal.platform, terminal)
            waiters.add(loop.create_task(terminal.run()))
        resumed = await app.quiz.resume_all() if app.quiz else 0
        if resumed:
            log.info("resumed %d quiz session(s)", resumed)
        await app.start_schedules()
        names = [a.platform for a in adapters] or ["console"]
        log.info("running: %s; SIGTERM or Ctrl-C stops", ", ".join(names))
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        log.info("stopping: no new digest runs or quiz timers, then platforms and storage")
    finally:
        for waiter in waiters:
            waiter.cancel()
        await _shut_down(app, adapters)
    return 0


async def _shut_down(app: App, adapters: list[Any]) -> None:
    """Stop in the order that loses nothing, every step even if one before it failed: no
    new digest runs (posts under way finish while the platforms are still up), no quiz
    timers (every running quiz is already on disk, to resume at the next start; a timer
    left running could post into a platform that is closing), then the platforms, then
    the storage flush (``App.close``)."""
    steps = [("the digest scheduler", app.digests.stop if app.digests else None),
             ("the quiz timers", app.quiz.shutdown if app.quiz else None)]
    for name, step in steps:
        if step is None:
            continue
        try:
            await step()
        except Exception:  # noqa: BLE001 - the platforms and storage must still close
            logging.getLogger("framework_coach").exception("stopping %s failed", name)
    await _stop_adapters(adapters)
    await app.close()


def _install_shutdown(loop: asyncio.AbstractEventLoop, stopping: asyncio.Event) -> None:
    """SIGTERM/SIGINT end the run; ``App.close`` then stops timers and flushes storage."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
