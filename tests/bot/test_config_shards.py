"""Discord shard settings: DISCORD_SHARD_COUNT and DISCORD_SHARD_IDS choose this process's
shards; a mistake is one line naming the variable and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, env_name, load_settings, parse_shard_ids


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(env_name(name), raising=False)
    monkeypatch.chdir(tmp_path)


def load(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings(env_file=None)


def problem(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    with pytest.raises(ConfigError) as failed:
        load(monkeypatch, **env)
    assert len(failed.value.problems) == 1, failed.value.problems
    line = failed.value.problems[0]
    assert "\n" not in line
    return line


@pytest.mark.parametrize("text,ids", [
    ("0-3", (0, 1, 2, 3)),
    ("0,2", (0, 2)),
    ("5", (5,)),
    (" 2 , 0-1,1 ", (0, 1, 2)),  # spaces allowed, sorted, each id once
    ("7-7", (7,)),
])
def test_shard_ids_are_read_as_ranges_and_lists(text: str, ids: tuple[int, ...]) -> None:
    assert parse_shard_ids(text) == ids


@pytest.mark.parametrize("text", ["", "a", "-1", "3-1", "1-", "0,,1", "1.5", "0-99999999999"])
def test_malformed_shard_ids_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_shard_ids(text)


def test_unset_means_every_shard_discord_recommends(monkeypatch) -> None:
    settings = load(monkeypatch)
    assert settings.discord_shard_count is None and settings.discord_shards() is None


def test_a_count_alone_runs_every_shard_of_it(monkeypatch) -> None:
    settings = load(monkeypatch, DISCORD_SHARD_COUNT="4")
    assert settings.discord_shard_count == 4 and settings.discord_shards() is None


def test_count_and_ids_choose_this_process_shards(monkeypatch) -> None:
    settings = load(monkeypatch, DISCORD_SHARD_COUNT="4", DISCORD_SHARD_IDS="0,2-3")
    assert settings.discord_shard_count == 4 and settings.discord_shards() == (0, 2, 3)


@pytest.mark.parametrize("env,words", [
    ({"DISCORD_SHARD_COUNT": "0"}, ["DISCORD_SHARD_COUNT=0", "1 or more", "recommends"]),
    ({"DISCORD_SHARD_COUNT": "-2"}, ["DISCORD_SHARD_COUNT=-2", "1 or more"]),
    ({"DISCORD_SHARD_COUNT": "four"}, ["DISCORD_SHARD_COUNT='four'", "whole number"]),
    ({"DISCORD_SHARD_IDS": "0-1"}, ["DISCORD_SHARD_IDS is set but DISCORD_SHARD_COUNT is not",
                                    "DISCORD_SHARD_COUNT=4"]),
    ({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "2-4"},
     ["DISCORD_SHARD_IDS='2-4' names shard 4", "DISCORD_SHARD_COUNT=4", "0 to 3"]),
    ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "0;1"},
     ["DISCORD_SHARD_IDS='0;1' is not a list of shard ids", "0-3 or 0,2"]),
    ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "1-0"},
     ["DISCORD_SHARD_IDS='1-0'", "0-3 or 0,2"]),
])
def test_each_shard_mistake_is_one_line_with_the_fix(monkeypatch, env, words) -> None:
    line = problem(monkeypatch, **env)
    assert line.startswith(("Discord: ", "DISCORD_")), line
    for word in words:
        assert word in line, line


def test_shard_problems_name_their_fields_for_doctor(monkeypatch) -> None:
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "2")
    monkeypatch.setenv("DISCORD_SHARD_IDS", "3")
    with pytest.raises(ConfigError) as failed:
        load_settings(env_file=None)
    assert failed.value.fields == {"discord_shard_ids", "discord_shard_count"}


def test_a_bad_count_is_not_also_blamed_on_the_ids(monkeypatch) -> None:
    line = problem(monkeypatch, DISCORD_SHARD_COUNT="zero", DISCORD_SHARD_IDS="0")
    assert line.startswith("DISCORD_SHARD_COUNT=")
