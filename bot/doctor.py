"""``framework-coach doctor``: what is set up well and what is not, before it bites.

Start-up stops at the first kind of problem; the doctor looks at everything (configuration,
data directory, knowledge files, platforms and, online, the tokens themselves) and prints a
checklist, so one run shows all there is to fix. It is safe next to a running bot: it only
tries the data-directory lock and lets go at once, and writes nothing else.
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import aiohttp
from pydantic import ValidationError

from bot.clock import SystemClock
from bot.config import ENV_FILE, ConfigError, Settings, check_data_dir, load_settings
from bot.logs import redact
from bot.quiz.bank import QuestionBank
from bot.storage import DataDirLocked
from bot.storage.embedded.lock import DataDirLock
from knowledge import loader
from knowledge.loader import KnowledgeError

SLACK_API_URL = "https://slack.com/api/"
DISCORD_API_URL = "https://discord.com/api/v10"
TIMEOUT = 5.0  # seconds per online check
MIN_FREE_BYTES = 100 * 1024 * 1024  # room for snapshots, backups and compaction
_REJECTED = {"invalid_auth", "not_authed", "token_revoked", "account_inactive",
             "not_allowed_token_type", "token_expired"}


class Report:
    """The checklist as it is printed; counts failures for the exit code."""

    def __init__(self, out: TextIO, fancy: bool) -> None:
        self.out = out
        self.marks = {"ok": "✓", "fail": "✗", "skip": "–"} if fancy else {
            "ok": "OK  ", "fail": "FAIL", "skip": "SKIP"}
        self.failures = 0

    def section(self, title: str) -> None:
        self.out.write(f"{title}\n")

    def line(self, status: str, text: str) -> None:
        self.failures += status == "fail"
        self.out.write(f"  {self.marks[status]} {redact(text)}\n")

    def ok(self, text: str) -> None:
        self.line("ok", text)

    def fail(self, text: str) -> None:
        self.line("fail", text)

    def skip(self, text: str) -> None:
        self.line("skip", text)


async def doctor(out: TextIO, *, online: bool, env_file: str | Path | None = ENV_FILE,
                 fancy: bool | None = None, timeout: float = TIMEOUT) -> int:
    """Check everything, print the checklist to ``out``; 0 when all is fine, else 1."""
    report = Report(out, _isatty(out) if fancy is None else fancy)
    settings, broken = _configuration(report, env_file)
    _data_dir(report, settings.data_dir)
    _knowledge(report, settings.knowledge_dir)
    _platforms(report, settings, broken)
    report.section("Tokens")
    if not online:
        report.skip("not checked (--offline)")
    elif not settings.platforms():
        report.skip("no platform token to check")
    else:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http:
            if settings.slack_installable:
                await _slack_credentials(report, settings, http)
            elif "slack" in settings.platforms():
                await _slack_tokens(report, settings, http)
            if "discord" in settings.platforms():
                await _discord_token(report, settings, http)
    count = report.failures
    out.write("All checks passed.\n" if not count
              else f"{count} problem{'s' if count != 1 else ''} found.\n")
    return 0 if not count else 1


# ---------------------------------------------------------------------- offline checks
def _configuration(report: Report, env_file: str | Path | None) -> tuple[Settings, frozenset]:
    """The settings, or on problems: each one reported, and defaults for the broken fields
    so the other checks can still run."""
    report.section("Configuration")
    source = "the environment" + (f" and {env_file}" if env_file and Path(env_file).is_file()
                                  else "")
    try:
        settings = load_settings(env_file)
    except ConfigError as exc:
        for problem in exc.problems:
            report.fail(problem)
        return _fallback(env_file, exc.fields), exc.fields
    report.ok(f"read from {source}: log level {settings.log_level}, default time zone "
              f"{settings.default_timezone}")
    return settings, frozenset()


def _fallback(env_file: str | Path | None, broken: frozenset[str]) -> Settings:
    defaults = {name: Settings.model_fields[name].default for name in broken
                if name in Settings.model_fields}
    try:
        return Settings(_env_file=env_file, **defaults)  # type: ignore[call-arg]
    except ValidationError:
        return Settings.model_construct()


def _data_dir(report: Report, path: Path) -> None:
    report.section("Data directory")
    problem = check_data_dir(path, create=False)
    if problem:
        report.fail(problem)
        return
    if not path.exists():
        report.ok(f"{path} does not exist yet; `framework-coach run` will create it")
    else:
        report.ok(f"{path} exists and is writable")
    existing = next(p for p in (path.absolute(), *path.absolute().parents) if p.exists())
    free = shutil.disk_usage(existing).free
    if free < MIN_FREE_BYTES:
        report.fail(f"only {_size(free)} free on the disk of DATA_DIR: free some space or "
                    "point DATA_DIR at a bigger disk (snapshots and backups need room)")
    else:
        report.ok(f"{_size(free)} free")
    if path.exists():
        _lock(report, path)


def _lock(report: Report, path: Path) -> None:
    """Try the lock and let go at once: tells whether a bot is running on this directory."""
    lock = DataDirLock(path)
    try:
        lock.acquire(SystemClock())
    except DataDirLocked as exc:
        report.ok(f"in use by {exc.holder}: a bot is running on it, which is fine")
        return
    except OSError as exc:
        report.fail(f"cannot open the lock file in {path} ({exc.strerror}): make DATA_DIR "
                    "writable for this user")
        return
    lock.release()
    report.ok("not in use by another process")


def _knowledge(report: Report, directory: Path | None) -> None:
    report.section("Knowledge files")
    where = f"in {directory}" if directory else "(shipped)"
    try:
        knowledge = loader.load(directory)
    except KnowledgeError as exc:
        for problem in exc.problems:
            report.fail(problem)
    else:
        report.ok(f"{len(knowledge.frameworks)} frameworks, {len(knowledge.roles)} roles, "
                  f"{len(knowledge.sources)} sources {where}")
    try:
        bank = QuestionBank.load(directory)
    except KnowledgeError as exc:
        for problem in exc.problems:
            report.fail(problem)
    else:
        report.ok(f"{len(bank.shipped)} quiz questions {where}")


def _platforms(report: Report, settings: Settings, broken: frozenset[str]) -> None:
    report.section("Platforms")
    if broken & {"slack_bot_token", "slack_app_token", "slack_signing_secret",
                 "slack_client_id", "slack_client_secret"}:
        report.skip("Slack: see the configuration problem above")
    elif settings.slack_installable:
        report.ok(f"Slack: any workspace can install the app: HTTP mode on port "
                  f"{settings.port}, /slack/install and /slack/events (SLACK_CLIENT_ID, "
                  "SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET)")
    elif not settings.slack_bot_token:
        report.skip("Slack: not configured (set SLACK_BOT_TOKEN to use it)")
    elif settings.slack_app_token:
        report.ok("Slack: Socket Mode (SLACK_BOT_TOKEN and SLACK_APP_TOKEN)")
    else:
        report.ok(f"Slack: HTTP mode on port {settings.port} at /slack/events "
                  "(SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET)")
    if "discord_token" in broken:
        report.skip("Discord: see the configuration problem above")
    elif not settings.discord_token:
        report.skip("Discord: not configured (set DISCORD_TOKEN to use it)")
    else:
        scope = (f"commands synced to server {settings.discord_guild_id}"
                 if settings.discord_guild_id else "commands synced globally")
        report.ok(f"Discord: gateway (DISCORD_TOKEN), {scope}")
    if not settings.platforms() and not broken:
        report.ok("no platform token set: `framework-coach run` starts the console")


# ---------------------------------------------------------------------- online checks
async def _slack_tokens(report: Report, settings: Settings, http: aiohttp.ClientSession) -> None:
    base = settings.slack_api_url or SLACK_API_URL
    base = base if base.endswith("/") else base + "/"
    assert settings.slack_bot_token is not None

    async def call(method: str, token: str) -> dict[str, Any]:
        async with http.post(base + method, headers={"Authorization": f"Bearer {token}"}) as r:
            body = await r.json(content_type=None)
            return body if isinstance(body, dict) else {"ok": False, "error": f"HTTP {r.status}"}

    found = await _reach(report, "Slack", base,
                         lambda: call("auth.test", settings.slack_bot_token.get_secret_value()))
    if found is None:
        return
    if found.get("ok"):
        report.ok(f"Slack: SLACK_BOT_TOKEN works: bot {found.get('user')!r} in workspace "
                  f"{found.get('team')!r} ({found.get('team_id')})")
    else:
        _slack_error(report, "SLACK_BOT_TOKEN", str(found.get("error")),
                     "copy the Bot User OAuth Token again from Install App (or reinstall "
                     "the app)")
    if settings.slack_app_token:
        app_token = settings.slack_app_token.get_secret_value()
        opened = await _reach(report, "Slack", base,
                              lambda: call("apps.connections.open", app_token))
        if opened is None:
            return
        if opened.get("ok"):
            report.ok("Slack: SLACK_APP_TOKEN works (Socket Mode can connect)")
        else:
            _slack_error(report, "SLACK_APP_TOKEN", str(opened.get("error")),
                         "generate a new app-level token with the connections:write scope")


async def _slack_credentials(report: Report, settings: Settings,
                             http: aiohttp.ClientSession) -> None:
    """The install's client id and secret: an exchange of a made-up code that Slack refuses
    for the code (the credentials are right) or for the credentials. Each workspace's own
    token is checked by the bot when it uses it."""
    base = settings.slack_api_url or SLACK_API_URL
    base = base if base.endswith("/") else base + "/"
    assert settings.slack_client_id and settings.slack_client_secret
    pair = f"{settings.slack_client_id}:{settings.slack_client_secret.get_secret_value()}"
    basic = {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}

    async def exchange() -> dict[str, Any]:
        async with http.post(base + "oauth.v2.access", data={"code": "doctor-check"},
                             headers=basic) as r:
            body = await r.json(content_type=None)
            return body if isinstance(body, dict) else {"ok": False, "error": f"HTTP {r.status}"}

    found = await _reach(report, "Slack", base, exchange)
    if found is None:
        return
    code = str(found.get("error"))
    if code == "invalid_code":
        report.ok("Slack: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are accepted")
    elif code in ("invalid_client_id", "bad_client_secret", "invalid_client"):
        report.fail(f"Slack: SLACK_CLIENT_ID/SLACK_CLIENT_SECRET were rejected ({code}): "
                    "copy both again from Basic Information → App Credentials")
    else:
        report.fail(f"Slack: checking SLACK_CLIENT_ID/SLACK_CLIENT_SECRET failed ({code}): "
                    "try again later")


def _slack_error(report: Report, variable: str, code: str, fix: str) -> None:
    if code in _REJECTED:
        report.fail(f"Slack: {variable} was rejected ({code}): {fix}")
    else:
        report.fail(f"Slack: checking {variable} failed ({code}): try again later")


async def _discord_token(report: Report, settings: Settings,
                         http: aiohttp.ClientSession) -> None:
    base = (settings.discord_api_url or DISCORD_API_URL).rstrip("/")
    assert settings.discord_token is not None
    token = settings.discord_token.get_secret_value()

    async def call() -> dict[str, Any]:
        async with http.get(f"{base}/users/@me", headers={"Authorization": f"Bot {token}"}) as r:
            body = await r.json(content_type=None) if r.status == 200 else None
            return {"status": r.status, "reason": r.reason, "user": body}

    found = await _reach(report, "Discord", base, call)
    if found is None:
        return
    user = found["user"] if isinstance(found["user"], dict) else None
    if found["status"] == 200 and user:
        report.ok(f"Discord: DISCORD_TOKEN works: bot {user.get('username')!r} "
                  f"(id {user.get('id')})")
    elif found["status"] == 401:
        report.fail("Discord: DISCORD_TOKEN was rejected (401 Unauthorized): reset the token "
                    "in the Developer Portal → Bot and update DISCORD_TOKEN")
    else:
        report.fail(f"Discord: checking DISCORD_TOKEN failed (HTTP {found['status']} "
                    f"{found['reason'] or ''}): try again later".replace(" )", ")"))


async def _reach(report: Report, platform: str, url: str,
                 call: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any] | None:
    """The call's result, or None after reporting why the platform could not be reached."""
    variable = f"{platform.upper()}_API_URL"
    try:
        return await call()
    except TimeoutError:
        why = "no answer in time"
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    report.fail(f"{platform}: cannot reach {_public(url)} ({why}): check the network, or "
                f"{variable}")
    return None


def _public(url: str) -> str:
    """``url`` without a user:password part (a proxy's), which must not be printed."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


# ---------------------------------------------------------------------- helpers
def _size(count: int) -> str:
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KB"
    if count < 1024 ** 3:
        return f"{count / 1024 ** 2:.0f} MB"
    return f"{count / 1024 ** 3:.1f} GB"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
