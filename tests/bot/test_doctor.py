"""``framework-coach doctor``: each misconfiguration is a FAIL line naming the variable, a
healthy set-up passes, tokens are checked against local fakes on loopback."""

from __future__ import annotations

import functools
import io
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.clock import SystemClock
from bot.config import Settings, env_name
from bot.doctor import doctor
from bot.quiz.bank import QuestionBank
from bot.storage.embedded.lock import DataDirLock
from knowledge import loader
from tests.adapters.fakes import discord_fake, slack_api

SECRET = "SeCrEt0123456789abcdef"
DISCORD_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz_-12"
EXE = shutil.which("framework-coach", path=str(Path(sys.executable).parent))


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Nothing from the developer's environment or .env; data under tmp_path."""
    for name in Settings.model_fields:
        monkeypatch.delenv(env_name(name), raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return tmp_path


_real_load = loader.load
_real_bank_load = QuestionBank.load


@functools.cache
def _shipped_bank() -> QuestionBank:
    return _real_bank_load()


@pytest.fixture(autouse=True)
def shipped_knowledge_once(monkeypatch: pytest.MonkeyPatch, knowledge) -> None:
    """Loading the shipped files takes a second; load them once for the whole module. Other
    folders (the broken-knowledge test) are loaded for real."""
    monkeypatch.setattr(loader, "load", lambda directory=None: (
        knowledge if directory is None else _real_load(directory)))
    monkeypatch.setattr(QuestionBank, "load", classmethod(lambda cls, directory=None: (
        _shipped_bank() if directory is None else _real_bank_load(directory))))


Check = Callable[..., Awaitable[tuple[int, str]]]


@pytest.fixture
def check(monkeypatch: pytest.MonkeyPatch) -> Check:
    """``await check(online=..., VAR=value, ...)``: run the doctor with that environment."""
    async def run(online: bool = False, fancy: bool = False, **env: str) -> tuple[int, str]:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        out = io.StringIO()
        code = await doctor(out, online=online, env_file=None, fancy=fancy, timeout=3.0)
        return code, out.getvalue()
    return run


def fails(text: str) -> list[str]:
    return [line.strip()[5:] for line in text.splitlines() if line.strip().startswith("FAIL")]


# ---------------------------------------------------------------------- all good
async def test_a_healthy_setup_passes_with_exit_0(clean_env: Path, check: Check):
    code, text = await check()
    assert code == 0, text
    assert text.endswith("All checks passed.\n")
    for section in ("Configuration", "Data directory", "Knowledge files", "Platforms",
                    "Tokens"):
        assert f"{section}\n" in text
    assert "195 quiz questions" in text and "starts the console" in text
    assert "not checked (--offline)" in text
    assert not (clean_env / "data").exists()  # the doctor does not create it


async def test_terminal_marks(clean_env: Path, check: Check):
    code, text = await check(fancy=True, DEFAULT_TIMEZONE="Nowhere/Land")
    assert code == 1
    assert "  ✓ " in text and "  ✗ DEFAULT_TIMEZONE" in text and "  – " in text


# ---------------------------------------------------------------------- misconfigurations
@pytest.mark.parametrize("env,variable", [
    ({"SLACK_BOT_TOKEN": f"xoxp-{SECRET}", "SLACK_APP_TOKEN": f"xapp-{SECRET}"},
     "SLACK_BOT_TOKEN is not a bot token"),
    ({"SLACK_BOT_TOKEN": f"xoxb-{SECRET}", "SLACK_APP_TOKEN": SECRET},
     "SLACK_APP_TOKEN is not an app-level token"),
    ({"DISCORD_TOKEN": SECRET}, "DISCORD_TOKEN is not a bot token"),
    ({"SLACK_BOT_TOKEN": f"xoxb-{SECRET}"}, "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN"),
    ({"SLACK_SIGNING_SECRET": SECRET}, "SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not"),
    ({"DEFAULT_TIMEZONE": "Mars/Base"}, "DEFAULT_TIMEZONE='Mars/Base' is not a known time zone"),
    ({"PORT": "123456"}, "PORT=123456 is not a TCP port"),
    ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL='chatty' is not a log level"),
])
async def test_each_misconfiguration_fails_naming_the_variable(env, variable, check: Check):
    code, text = await check(**env)
    assert code == 1
    (line,) = fails(text)
    assert variable in line and ": " in line
    assert SECRET not in text
    # The other checks still ran.
    assert "195 quiz questions" in text and "exists" in text or "does not exist yet" in text


async def test_a_file_where_the_data_dir_should_be(clean_env: Path, check: Check):
    (clean_env / "data").write_text("oops")
    code, text = await check()
    assert code == 1
    (line,) = fails(text)
    assert line.startswith("DATA_DIR=") and "is a file, not a directory" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only permissions")
async def test_an_unwritable_data_dir(clean_env: Path, check: Check):
    parent = clean_env / "ro"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        code, text = await check(DATA_DIR=str(parent / "data"))
    finally:
        parent.chmod(0o700)
    assert code == 1
    (line,) = fails(text)
    assert line.startswith("DATA_DIR=") and "cannot be created" in line


async def test_broken_knowledge_lists_file_and_line(clean_env: Path, check: Check):
    copy = clean_env / "knowledge"
    shutil.copytree(Path(loader.__file__).parent, copy,
                    ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    roles = copy / "roles.yaml"
    roles.write_text(roles.read_text().replace("framework: pytorch", "framework: pytorx", 1))
    quiz = sorted((copy / "quiz").glob("*.yaml"))[0]
    quiz.write_text(quiz.read_text().replace("difficulty: 1", "difficulty: 9", 1))
    code, text = await check(KNOWLEDGE_DIR=str(copy))
    assert code == 1
    found = fails(text)
    assert any("roles.yaml line" in f and "unknown framework 'pytorx'" in f for f in found)
    assert any(f.startswith(f"{quiz.name} line") for f in found), found


# ---------------------------------------------------------------------- the data-dir lock
async def test_next_to_a_running_bot_the_lock_is_information_not_a_failure(clean_env: Path,
                                                                           check: Check):
    data = clean_env / "data"
    data.mkdir()
    running = DataDirLock(data)
    running.acquire(SystemClock())
    try:
        code, text = await check()
        assert running.held
    finally:
        running.release()
    assert code == 0, text
    assert f"in use by pid {os.getpid()} on host" in text and "which is fine" in text


async def test_the_doctor_lets_go_of_the_lock(clean_env: Path, check: Check):
    (clean_env / "data").mkdir()
    code, text = await check()
    assert code == 0 and "not in use by another process" in text
    after = DataDirLock(clean_env / "data")
    after.acquire(SystemClock())  # would raise DataDirLocked if the doctor still held it
    after.release()


# ---------------------------------------------------------------------- online checks
@pytest.fixture
async def slack():
    fake = slack_api.FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def discord(monkeypatch: pytest.MonkeyPatch):
    # The fake compares against its module's TOKEN; use one shaped like a real token.
    monkeypatch.setattr(discord_fake, "TOKEN", DISCORD_TOKEN)
    fake = await discord_fake.FakeDiscord().start()
    yield fake
    await fake.close()


async def test_good_tokens_name_the_bots(slack, discord, check: Check):
    code, text = await check(
        online=True, SLACK_BOT_TOKEN=slack_api.BOT_TOKEN, SLACK_APP_TOKEN=slack_api.APP_TOKEN,
        SLACK_API_URL=slack.api_url, DISCORD_TOKEN=DISCORD_TOKEN, DISCORD_API_URL=discord.api_url)
    assert code == 0, text
    assert "Slack: Socket Mode" in text and "Discord: gateway" in text
    assert "Slack: SLACK_BOT_TOKEN works: bot 'framework-coach' in workspace 'Fake' (T1)" in text
    assert "Slack: SLACK_APP_TOKEN works" in text
    assert f"Discord: DISCORD_TOKEN works: bot 'framework-coach' (id {discord_fake.BOT_ID})" \
        in text
    assert slack_api.BOT_TOKEN not in text and DISCORD_TOKEN not in text
    (auth,) = slack.of("auth.test")
    assert auth.headers["Authorization"] == f"Bearer {slack_api.BOT_TOKEN}"


async def test_rejected_tokens_fail(slack, discord, check: Check):
    code, text = await check(
        online=True, SLACK_BOT_TOKEN="xoxb-wrong", SLACK_SIGNING_SECRET="secret-secret",
        SLACK_API_URL=slack.api_url, DISCORD_TOKEN=f"{'A' * 24}.BBBBBB.{'C' * 27}",
        DISCORD_API_URL=discord.api_url)
    assert code == 1
    assert "Slack: HTTP mode on port 3000" in text
    found = fails(text)
    assert any(f.startswith("Slack: SLACK_BOT_TOKEN was rejected (invalid_auth)") for f in found)
    assert any(f.startswith("Discord: DISCORD_TOKEN was rejected (401 Unauthorized)")
               for f in found)
    assert len(found) == 2 and "xoxb-wrong" not in text


async def test_a_rejected_app_token_fails(slack, check: Check):
    code, text = await check(online=True, SLACK_BOT_TOKEN=slack_api.BOT_TOKEN,
                             SLACK_APP_TOKEN="xapp-wrong", SLACK_API_URL=slack.api_url)
    assert code == 1
    assert fails(text) == ["Slack: SLACK_APP_TOKEN was rejected (invalid_auth): generate a new "
                           "app-level token with the connections:write scope"]


async def test_an_unreachable_platform_is_a_clear_failure_not_a_traceback(check: Check):
    with socket.socket() as probe:  # a loopback port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, text = await check(online=True, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s3cret",
                             SLACK_API_URL=f"http://127.0.0.1:{port}/api/",
                             DISCORD_TOKEN=DISCORD_TOKEN,
                             DISCORD_API_URL=f"http://127.0.0.1:{port}/api/v10")
    assert code == 1 and "Traceback" not in text
    found = fails(text)
    assert found[0].startswith(f"Slack: cannot reach http://127.0.0.1:{port}/api/ (")
    assert found[0].endswith("check the network, or SLACK_API_URL")
    assert found[1].startswith("Discord: cannot reach") and "DISCORD_API_URL" in found[1]


# ---------------------------------------------------------------------- the command
def run_cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    assert EXE
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "DISCORD_")) and k not in ("DEFAULT_TIMEZONE",)}
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=60,
                          env={**base, **env}, cwd=cwd, input="")


def test_the_doctor_command_exits_1_and_lists_each_problem(clean_env: Path):
    result = run_cli("doctor", "--offline", cwd=clean_env, DEFAULT_TIMEZONE="Mars/Base",
                     SLACK_BOT_TOKEN=f"xoxb-{SECRET}")
    assert result.returncode == 1, result.stderr
    assert "FAIL DEFAULT_TIMEZONE='Mars/Base'" in result.stdout
    assert "FAIL Slack: SLACK_BOT_TOKEN is set but neither" in result.stdout
    assert SECRET not in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_run_stops_with_one_line_per_problem(clean_env: Path):
    (clean_env / "blocked").write_text("a file")
    result = run_cli("run", cwd=clean_env, DEFAULT_TIMEZONE="Mars/Base")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "Cannot start: DEFAULT_TIMEZONE='Mars/Base' is not a known time zone: use an IANA "
        "name such as Europe/Berlin"]
    result = run_cli("run", cwd=clean_env, DATA_DIR=str(clean_env / "blocked"))
    assert result.returncode == 2
    assert result.stderr.startswith(f"Cannot start: DATA_DIR='{clean_env / 'blocked'}' is a "
                                    "file, not a directory")
