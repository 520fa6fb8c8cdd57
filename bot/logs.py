"""Logging set-up: JSON lines for machines, plain lines for people, and never a token.

Log collectors (Heroku, Docker, systemd) read stderr, which is not a terminal there, so the
default follows ``isatty``. Records carry the platform, tenant, channel, command and user
of the work that logged them (``log_context``), so one server's trouble can be followed.
Secrets are masked by pattern and by their exact configured values before anything is
written, because a token in a log is a leaked token. While the console is in the foreground
(``quiet_console``), routine lines go to a file and the prompt sees each kind of trouble
once, in one line.
"""

from __future__ import annotations

import contextvars
import json as jsonlib
import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, TextIO

CONTEXT_FIELDS = ("platform", "tenant", "channel", "command", "user")
MASK = "[redacted]"
MIN_SECRET_LENGTH = 6  # shorter "secrets" would mask ordinary words everywhere

_context: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "log_context", default=MappingProxyType({})
)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization header values, whatever the scheme.
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^'\"\n,}]+"), rf"\g<1>{MASK}"),
    (re.compile(r"\b(Bearer)\s+[A-Za-z0-9._~+/=-]{6,}"), rf"\1 {MASK}"),
    # Slack: bot/user/app/refresh tokens and app-level tokens; the prefix says which kind.
    (re.compile(r"\b(xox[abposre]|xapp)-[A-Za-z0-9-]+"), rf"\1-{MASK}"),
    # Discord bot tokens: three base64url parts (long enough not to hit "bot.storage.store").
    (re.compile(r"\b(Bot\s+)?[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{16,}"),
     MASK),
)


# ---------------------------------------------------------------------- context
@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Attach ``fields`` (platform, tenant, command, …) to every record logged inside.

    Context variables follow asyncio tasks, so a task started inside keeps the fields.
    ``None`` values are left out.
    """
    previous = _context.get()
    _context.set({**previous, **{k: str(v) for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        # Not ``reset(token)``: a coroutine started eagerly and finished inside a Task (the
        # Slack adapter does that) exits in a copy of the context it entered.
        _context.set(previous)


def current_context() -> dict[str, str]:
    return dict(_context.get())


class ContextFilter(logging.Filter):
    """Copies the current ``log_context`` onto the record when it is emitted."""

    def filter(self, record: logging.LogRecord) -> bool:
        found = dict(_context.get())
        for name in CONTEXT_FIELDS:  # ``extra={"platform": ...}`` wins over the context
            value = getattr(record, name, None)
            if value is not None:
                found[name] = str(value)
        record.log_context = found
        return True


# ---------------------------------------------------------------------- redaction
class Redactor(logging.Filter):
    """Masks tokens in the message, its arguments, and exception and stack text."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: list[str] = []

    def add(self, *values: str | None) -> None:
        """Mask these exact values too (the configured secrets, whatever their shape)."""
        for value in values:
            if value and len(value) >= MIN_SECRET_LENGTH and value not in self._secrets:
                self._secrets.append(value)
        self._secrets.sort(key=len, reverse=True)  # a longer secret may contain a shorter one

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the record
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


_redactor = Redactor()


def add_secrets(*values: str | None) -> None:
    """Register configured secret values for masking (``Settings.secret_values()``)."""
    _redactor.add(*values)


def redact(text: str) -> str:
    """``text`` with anything token-like masked: for messages printed outside logging."""
    return _redactor.redact(text)


# ---------------------------------------------------------------------- formatters
class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, context, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "log_context", {}))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return jsonlib.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``12:00:01 INFO framework_coach.slack: message [platform=slack tenant=T1]``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (stdlib name)
        line = super().formatMessage(record)
        context = getattr(record, "log_context", {})
        if context:
            line += " [" + " ".join(f"{k}={v}" for k, v in context.items()) + "]"
        return line


# ---------------------------------------------------------------------- set-up
def setup_logging(level: str, *, json: bool | None = None,
                  stream: TextIO | None = None) -> logging.Handler:
    """Route every logger to ``stream`` (stderr): JSON unless it is a terminal.

    Calling it again replaces the handler it installed before (tests, repeated ``main``).
    """
    stream = stream or sys.stderr
    if json is None:
        json = not _isatty(stream)
    handler = logging.StreamHandler(stream)
    handler.set_name("framework-coach")
    handler.addFilter(ContextFilter())
    handler.addFilter(_redactor)
    handler.setFormatter(JsonFormatter() if json else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() in ("framework-coach", LOG_FILE_HANDLER)]:
        root.removeHandler(old)
        if old.get_name() == LOG_FILE_HANDLER:
            old.close()
    root.addHandler(handler)
    root.setLevel(level.upper())
    # APScheduler narrates every job it adds and runs at INFO; our own lines say what matters.
    logging.getLogger("apscheduler").setLevel(
        logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING)
    return handler


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# ---------------------------------------------------------------------- quiet console
LOG_FILE = "framework-coach.log"
LOG_FILE_HANDLER = "framework-coach-file"

# What a kind of trouble means to someone at the console prompt, by logger. A logger not
# listed here shows the first line of its own message instead.
MEANINGS: dict[str, str] = {
    "framework_coach.trends": (
        "trend data: offline (PyPI, GitHub or Stack Exchange could not be reached), so "
        "/trends shows the shipped sample or the last data collected"),
}


class OncePerKind(logging.Filter):
    """Lets through the first record of each kind of trouble: per logger in ``MEANINGS``,
    otherwise per message template. Retries and repeats stay in the log file."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[object] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        kind: object = _meaning_of(record.name) or (record.name, str(record.msg))
        if kind in self._seen:
            return False
        self._seen.add(kind)
        return True


class ConsoleLineFormatter(logging.Formatter):
    """One line a person can act on: what it means, and where the details are."""

    def __init__(self, log_path: Path) -> None:
        super().__init__()
        self.log_path = log_path

    def format(self, record: logging.LogRecord) -> str:
        meaning = _meaning_of(record.name)
        if meaning is None:
            lines = record.getMessage().strip().splitlines() or [""]
            meaning = lines[0]
        return f"{record.levelname.lower()}: {meaning} (details: {self.log_path})"


def _meaning_of(logger: str) -> str | None:
    return next((text for name, text in MEANINGS.items()
                 if logger == name or logger.startswith(name + ".")), None)


def quiet_console(data_dir: Path) -> Path:
    """Keep the console prompt readable while it is in the foreground.

    Every record at the configured level goes to ``<data_dir>/framework-coach.log``;
    the terminal shows warnings and errors only, each kind once, on one line that says
    what it means. Returns the log file's path (the console names it in its greeting).
    """
    path = Path(data_dir) / LOG_FILE
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == LOG_FILE_HANDLER]:
        root.removeHandler(old)
        old.close()
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.set_name(LOG_FILE_HANDLER)
    to_file.addFilter(ContextFilter())
    to_file.addFilter(_redactor)
    to_file.setFormatter(TextFormatter())
    root.addHandler(to_file)
    for handler in root.handlers:
        if handler.get_name() == "framework-coach":
            handler.setLevel(logging.WARNING)
            handler.addFilter(OncePerKind())
            handler.setFormatter(ConsoleLineFormatter(path))
    return path
