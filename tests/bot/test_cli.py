"""The installed ``framework-coach`` command, run as a user runs it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from knowledge import loader

EXE = shutil.which("framework-coach", path=str(Path(sys.executable).parent))


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None):
    assert EXE, "the console script is installed with the package"
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "COLUMNS": "120", **(env or {})}, input=stdin)


def test_ask_framework_ml_engineer_names_pytorch_and_keras():
    result = run("ask", "/framework role:ml-engineer")
    assert result.returncode == 0, result.stderr
    assert "PyTorch" in result.stdout and "Keras" in result.stdout
    assert "PyTorch: main pick" in result.stdout and "Keras: also learn" in result.stdout
    words = len(result.stdout.split("[A]")[0].replace("│", " ").replace("─", " ").split())
    assert words <= 150  # the card, before its buttons, fits a chat


def test_ask_unknown_role_gives_suggestions_and_a_non_zero_exit():
    result = run("ask", "/framework role:astronaut")
    assert result.returncode == 2
    assert "/framework role:" in result.stderr and "Traceback" not in result.stderr


def test_ask_unusable_command_is_explained():
    result = run("ask", "framework role:")
    assert result.returncode == 2 and "start with '/'" in result.stderr


def test_broken_knowledge_file_is_reported_with_file_and_line(tmp_path: Path):
    for path in Path(loader.__file__).parent.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    roles = tmp_path / "roles.yaml"
    roles.write_text(roles.read_text().replace("framework: pytorch", "framework: pytorx", 1))
    result = run("ask", "/help", env={"KNOWLEDGE_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "roles.yaml line" in result.stderr and "unknown framework 'pytorx'" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_without_tokens_starts_the_console(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env.update(DATA_DIR=str(tmp_path / "data"), TRENDS_COLLECT="false")  # tests stay offline
    result = subprocess.run([EXE, "run"], input="/framework role:mle\nE\n:quit\n",
                            capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "framework-coach console" in result.stdout
    assert "PyTorch: main pick" in result.stdout
    assert "pip install torch" in result.stdout  # the pressed "About PyTorch" button


def test_discord_invite_prints_the_url_or_names_the_missing_variable():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
    ok = subprocess.run([EXE, "discord-invite"], capture_output=True, text=True, timeout=60,
                        env={**env, "DISCORD_APPLICATION_ID": "123456789012345678"})
    assert ok.returncode == 0
    assert "client_id=123456789012345678" in ok.stdout
    assert "bot" in ok.stdout and "applications.commands" in ok.stdout
    missing = subprocess.run([EXE, "discord-invite"], capture_output=True, text=True,
                             timeout=60, env=env)
    assert missing.returncode == 2 and "DISCORD_APPLICATION_ID" in missing.stderr


def test_slack_token_without_app_token_or_secret_stops_with_one_clear_line(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env.update(SLACK_BOT_TOKEN="xoxb-test", DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run([EXE, "run"], capture_output=True, text=True, timeout=60, env=env,
                            cwd=tmp_path, input="")
    assert result.returncode == 2
    assert "Cannot start: Slack:" in result.stderr and "SLACK_APP_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def _closed_port() -> int:
    """A loopback port nothing listens on: connections to it are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_console_prompt_stays_quiet_while_background_work_fails(tmp_path: Path):
    """Trend collection without a network: the terminal gets one line that says what it
    means; the retries and routine INFO lines go to the log file in the data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    dead = f"http://127.0.0.1:{_closed_port()}"
    data = tmp_path / "data"
    env.update(DATA_DIR=str(data), LOG_LEVEL="INFO", PYPISTATS_URL=dead, GITHUB_API_URL=dead,
               STACKEXCHANGE_API_URL=dead, HN_ALGOLIA_URL=dead, COLUMNS="400")
    proc = subprocess.Popen([EXE, "run"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    log_file = data / "framework-coach.log"
    try:
        deadline = time.monotonic() + 60  # a safety net: the retries take a few seconds
        while (log_file.read_text() if log_file.exists() else "").count("after 3 attempts") < 2:
            assert proc.poll() is None and time.monotonic() < deadline, "no failure logged"
            time.sleep(0.1)
        out, err = proc.communicate("/framework role:mle\n:quit\n", timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    logged = log_file.read_text()
    assert "INFO framework_coach: running: console" in logged
    assert logged.count("after 3 attempts") > 1  # many failures, in detail, in the file
    shown = [line for line in (out + err).splitlines() if "trend data" in line]
    assert len(shown) == 1, out + err
    assert "offline" in shown[0] and str(log_file) in shown[0]
    assert "INFO" not in err and "after 3 attempts" not in out + err and "{" not in err
    assert f"Background messages go to {log_file}" in out
    assert "PyTorch: main pick" in out


def test_ask_can_press_a_button_of_the_answer():
    result = run("ask", "/framework role:ml-engineer", "--press", "A", "--press", "b")
    assert result.returncode == 0, result.stderr
    assert "learning path" in result.stdout and "Starting with PyTorch" in result.stdout
    assert "what changed since the article" in result.stdout
    missing = run("ask", "/framework role:ml-engineer", "--press", "Z")
    assert missing.returncode == 2 and "no button Z" in missing.stderr


def test_ask_can_press_a_button_that_needs_the_store(tmp_path: Path):
    env = {"DATA_DIR": str(tmp_path / "data"), "TRENDS_COLLECT": "false"}
    result = run("ask", "/trends", "--press", "A", env=env)  # "Quiz: <topic>, 5 questions"
    assert result.returncode == 0, result.stderr
    assert "Quiz starting: 5 questions" in result.stdout
    assert "went wrong" not in result.stdout and "Traceback" not in result.stderr


def test_ask_presses_follow_the_latest_answer_with_buttons():
    # The guided chooser: each step's buttons replace the last; the final card is a pick.
    result = run("ask", "/framework", *["--press", "A"] * 3, "--press", "E")
    assert result.returncode == 0, result.stderr
    assert "Step 3 of 3" in result.stdout and "main pick" in result.stdout
