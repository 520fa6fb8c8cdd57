"""The installed ``framework-coach`` command, run as a user runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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
    assert "Main pick: PyTorch" in result.stdout and "Also learn: Keras" in result.stdout


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
    env["DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run([EXE, "run"], input="/framework role:mle\nA\n:quit\n",
                            capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "framework-coach console" in result.stdout
    assert "Main pick: PyTorch" in result.stdout
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
