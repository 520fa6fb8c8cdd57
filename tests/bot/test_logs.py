"""Logs: one JSON object per line off a terminal, context fields on every record inside
``log_context``, and tokens masked wherever they appear."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime

import pytest

from bot.logs import MASK, MEANINGS, add_secrets, log_context, redact, setup_logging

SLACK_BOT = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_APP = "xapp-1-A012ABCDEF-1234567890-abcdef0123456789"
DISCORD = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz_-12"


class Captured:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.lines()]

    @property
    def text(self) -> str:
        return self.stream.getvalue()


@pytest.fixture
def logs() -> Iterator[Captured]:
    yield from _installed(json=True)


@pytest.fixture
def text_logs() -> Iterator[Captured]:
    yield from _installed(json=False)


def _installed(json: bool) -> Iterator[Captured]:
    root = logging.getLogger()
    level = root.level
    captured = Captured()
    handler = setup_logging("DEBUG", json=json, stream=captured.stream)
    try:
        yield captured
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


log = logging.getLogger("framework_coach.test")


def test_json_lines_have_time_level_logger_and_message(logs: Captured):
    log.info("hello %s", "world")
    log.warning("second")
    first, second = logs.records()
    assert set(first) == {"time", "level", "logger", "message"}
    assert first["message"] == "hello world" and first["level"] == "INFO"
    assert first["logger"] == "framework_coach.test" and second["level"] == "WARNING"
    assert first["time"].endswith("Z")
    assert datetime.fromisoformat(first["time"].replace("Z", "+00:00")).utcoffset().seconds == 0


def test_context_fields_appear_inside_and_only_inside(logs: Captured):
    with log_context(platform="slack", tenant="T1"):
        with log_context(command="quiz", channel="C1", user="U1"):
            log.info("inner")
        log.info("outer")
    log.info("after")
    inner, outer, after = logs.records()
    assert {k: inner[k] for k in ("platform", "tenant", "command", "channel", "user")} == {
        "platform": "slack", "tenant": "T1", "command": "quiz", "channel": "C1", "user": "U1"}
    assert outer["platform"] == "slack" and "command" not in outer
    assert "platform" not in after


async def test_context_follows_asyncio_tasks(logs: Captured):
    async def work() -> None:
        await asyncio.sleep(0)
        log.info("in a task")

    with log_context(platform="discord", tenant="G1", command="framework"):
        task = asyncio.create_task(work())
    await task
    (record,) = [r for r in logs.records() if r["logger"] == log.name]  # not asyncio's own
    assert record["platform"] == "discord" and record["command"] == "framework"


def test_extra_fields_count_as_context(logs: Captured):
    with log_context(platform="slack"):
        log.info("x", extra={"tenant": "T9"})
    (record,) = logs.records()
    assert record["platform"] == "slack" and record["tenant"] == "T9"


def test_exception_text_is_a_string_field(logs: Captured):
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed")
    (record,) = logs.records()
    assert record["message"] == "failed"
    assert "Traceback" in record["exc"] and "ValueError: boom" in record["exc"]


@pytest.mark.parametrize("secret", [SLACK_BOT, SLACK_APP, DISCORD, "xoxp-11-22-abc",
                                    "xoxe.xoxp-1-abc"])
def test_tokens_are_masked_in_message_args_and_exceptions(logs: Captured, secret: str):
    log.info(f"token in the message {secret}")
    log.info("token in an arg %s", secret)
    log.info("token in a dict arg %(t)s", {"t": secret})
    try:
        raise RuntimeError(f"bad token {secret}")
    except RuntimeError:
        log.exception("token in the exception")
    assert len(logs.lines()) == 4
    assert secret not in logs.text
    assert logs.text.count(MASK) >= 4


def test_authorization_values_are_masked(logs: Captured):
    log.info("headers {'Authorization': 'Bot abc.def'} sent")
    log.info("Authorization: Bearer sometoken123")
    log.info("calling with Bearer ghp_abcdefghijklmnop")
    assert "abc.def" not in logs.text and "sometoken123" not in logs.text
    assert "ghp_abcdefghijklmnop" not in logs.text


def test_configured_secrets_are_masked_verbatim(logs: Captured):
    add_secrets("plain-signing-secret-42", None, "")
    log.info("secret %s in an arg", "plain-signing-secret-42")
    assert "plain-signing-secret-42" not in logs.text and MASK in logs.text


def test_ordinary_dotted_names_are_left_alone(logs: Captured):
    log.info("bot.storage.store on api.github.com, version 1.2.3, Bot framework-coach ready")
    (record,) = logs.records()
    assert record["message"] == ("bot.storage.store on api.github.com, version 1.2.3, "
                                 "Bot framework-coach ready")


def test_text_format_for_a_terminal_with_context_and_masking(text_logs: Captured):
    with log_context(platform="slack", tenant="T1", command="quiz"):
        log.warning("slow answer for %s", SLACK_BOT)
    (line,) = text_logs.lines()
    assert "WARNING framework_coach.test: slow answer for xoxb-[redacted]" in line
    assert line.endswith("[platform=slack tenant=T1 command=quiz]")
    assert SLACK_BOT not in line


def test_auto_format_follows_isatty():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    root = logging.getLogger()
    level = root.level
    for stream, is_json in ((Terminal(), False), (io.StringIO(), True)):
        handler = setup_logging("info", stream=stream)
        try:
            log.info("x")
        finally:
            root.removeHandler(handler)
        assert stream.getvalue().startswith("{") is is_json
    root.setLevel(level)


def test_setting_up_twice_keeps_one_handler():
    root = logging.getLogger()
    level = root.level
    first = setup_logging("INFO", stream=io.StringIO())
    second = setup_logging("INFO", stream=io.StringIO())
    try:
        assert first not in root.handlers and second in root.handlers
    finally:
        root.removeHandler(second)
        root.setLevel(level)


def test_redact_for_text_printed_outside_logging():
    assert redact(f"bot {SLACK_BOT} and app {SLACK_APP}") == (
        f"bot xoxb-{MASK} and app xapp-{MASK}")


async def test_a_failing_command_logs_platform_tenant_command_and_no_token(
    logs: Captured, knowledge  # noqa: ANN001
) -> None:
    from bot.core import Core
    from bot.models import Context, Request, Response
    from bot.registry import CommandSpec, Registry

    async def boom(request: Request, core: Core) -> Response:
        raise RuntimeError(f"token {SLACK_BOT} leaked into an error")

    core = Core(knowledge=knowledge, registry=Registry([
        CommandSpec(name="boom", description="fails", example="/boom", handler=boom)]))
    reply = await core.handle_text("/boom", Context(platform="slack", tenant_id="T1",
                                                    channel_id="C1", user_id="U1"))
    assert reply.is_error and SLACK_BOT not in reply.plain_text()
    (record,) = [r for r in logs.records() if r["message"].startswith("command /boom failed")]
    assert (record["platform"], record["tenant"], record["channel"], record["command"],
            record["user"]) == ("slack", "T1", "C1", "boom", "U1")
    assert SLACK_BOT not in logs.text and MASK in record["exc"]


def test_quiet_console_sends_routine_lines_to_a_file_and_each_trouble_once(tmp_path):
    from bot.logs import quiet_console

    root = logging.getLogger()
    level = root.level
    terminal = io.StringIO()
    handler = setup_logging("INFO", json=False, stream=terminal)
    try:
        path = quiet_console(tmp_path)
        trends = logging.getLogger("framework_coach.trends.pypistats")
        for n in range(5):
            logging.getLogger("framework_coach.storage").info("opened the store %d", n)
            trends.warning("pypistats /packages/torch: connection failed after 3 attempts")
        other = logging.getLogger("framework_coach.quiz")
        for _ in range(2):
            try:
                raise ValueError("boom")
            except ValueError:
                other.exception("quiz timer failed\nsecond line")
    finally:
        setup_logging("INFO", json=False, stream=io.StringIO())  # also closes the file
        root.removeHandler(handler)
        root.setLevel(level)
        for h in [h for h in root.handlers if h.get_name() == "framework-coach"]:
            root.removeHandler(h)
    shown = terminal.getvalue().splitlines()
    assert shown == [
        f"warning: {MEANINGS['framework_coach.trends']} (details: {path})",
        f"error: quiz timer failed (details: {path})",
    ]
    logged = path.read_text()
    assert logged.count("opened the store") == 5 and logged.count("connection failed") == 5
    assert "Traceback" in logged and "ValueError: boom" in logged
