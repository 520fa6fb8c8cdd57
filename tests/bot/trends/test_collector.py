"""The collector: every source stored, failures isolated per source, the CLI command's output."""

from __future__ import annotations

import logging

import pytest

from bot.storage import DataDirLocked, Store
from bot.trends.collector import SourceReport, collect, collect_command, format_report

from .conftest import settings_for

SOURCES = ["pypistats", "github", "stackexchange", "hn_hiring"]
# hn_hiring: three recorded "Who is hiring?" months x (a total + one count per framework)
# pypistats: 4 packages x (180 daily rows + 3 recent sums); github: 4 repos x (stars, forks,
# open issues, release); stackexchange: 4 tag totals + 4 tags x 2 windows
EXPECTED = {"pypistats": 732, "github": 16, "stackexchange": 12, "hn_hiring": 15}


async def test_collect_stores_every_source_and_reports_progress(
    fake, session, clock, frameworks, tmp_path
):
    seen: list[SourceReport] = []
    store = await Store.open(tmp_path, clock)
    try:
        reports = await collect(store, settings_for(fake, tmp_path), frameworks, clock,
                                progress=seen.append, session=session)
        assert [r.name for r in reports] == SOURCES
        assert all(r.ok and r.error is None for r in reports)
        assert {r.name: r.snapshots for r in reports} == EXPECTED
        assert sorted(r.name for r in seen) == sorted(SOURCES)
        for name, count in EXPECTED.items():
            assert len(await store.snapshots(source=name)) == count
    finally:
        await store.close()
    assert not session.closed  # a session passed in is the caller's to close


async def test_one_source_down_the_others_still_store(fake, session, clock, frameworks, tmp_path):
    fake.fail("/github", 500)
    store = await Store.open(tmp_path, clock)
    try:
        reports = {r.name: r for r in await collect(
            store, settings_for(fake, tmp_path), frameworks, clock, session=session)}
        github = reports["github"]
        assert (github.ok, github.snapshots) == (False, 0)
        assert github.error == ("GitHub /repos/pytorch/pytorch: HTTP 500 after 3 attempts "
                                "(and 7 more)")
        assert reports["pypistats"].ok and reports["stackexchange"].ok
        assert await store.snapshots(source="github") == []
        assert len(await store.snapshots(source="pypistats")) == EXPECTED["pypistats"]
        assert len(await store.snapshots(source="stackexchange")) == EXPECTED["stackexchange"]
    finally:
        await store.close()


async def test_a_partial_source_stores_what_it_got(fake, session, clock, frameworks, tmp_path):
    fake.fail("/github/repos/keras-team/keras", 500)
    store = await Store.open(tmp_path, clock)
    try:
        reports = {r.name: r for r in await collect(
            store, settings_for(fake, tmp_path), frameworks, clock, session=session)}
        assert (reports["github"].ok, reports["github"].snapshots) == (False, 12)
        assert {s.framework for s in await store.snapshots(source="github")} == {
            "pytorch", "tensorflow", "jax"}
    finally:
        await store.close()


async def test_collecting_again_is_idempotent(fake, session, clock, frameworks, tmp_path):
    store = await Store.open(tmp_path, clock)
    try:
        settings = settings_for(fake, tmp_path)
        await collect(store, settings, frameworks, clock, session=session)
        first = await store.snapshots()
        await collect(store, settings, frameworks, clock, session=session)
        assert await store.snapshots() == first
        assert len(first) == sum(EXPECTED.values())
    finally:
        await store.close()


async def test_collect_command_prints_a_line_per_source_and_fails_if_one_failed(
    fake, clock, tmp_path
):
    fake.fail("/stackexchange", 503)
    lines: list[str] = []
    code = await collect_command(settings_for(fake, tmp_path), clock, lines.append)
    assert code == 1
    assert sorted(line.split()[0] for line in lines) == sorted(SOURCES)
    by_name = {line.split()[0]: line for line in lines}
    assert by_name["pypistats"].split()[1:4] == ["ok", "732", "snapshots"]
    assert by_name["pypistats"].endswith(" s")
    assert by_name["stackexchange"].split()[1] == "FAILED"
    assert "HTTP 503 after 3 attempts" in by_name["stackexchange"]
    store = await Store.open(tmp_path, clock)  # closed by the command: it opens again
    try:
        assert len(await store.snapshots(source="github")) == EXPECTED["github"]
    finally:
        await store.close()


async def test_collect_command_returns_0_when_every_source_worked(fake, clock, tmp_path):
    lines: list[str] = []
    assert await collect_command(settings_for(fake, tmp_path), clock, lines.append) == 0
    assert len(lines) == 4 and all(" ok " in line for line in lines)


async def test_collect_command_refuses_a_data_dir_in_use(fake, clock, tmp_path):
    store = await Store.open(tmp_path, clock)
    try:
        with pytest.raises(DataDirLocked):
            await collect_command(settings_for(fake, tmp_path), clock, print)
    finally:
        await store.close()
    assert fake.requests == []


async def test_the_github_token_never_reaches_reports_or_logs(
    fake, session, clock, frameworks, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    token = "ghp_NeverPrintMe0123456789"
    fake.fail("/github", 401, body={"message": f"Bad credentials for {token}"})
    store = await Store.open(tmp_path, clock)
    try:
        settings = settings_for(fake, tmp_path, github_token=token, stackexchange_key="se-k3y")
        reports = await collect(store, settings, frameworks, clock, session=session)
    finally:
        await store.close()
    assert fake.requests_to("/github")[0].headers["Authorization"] == f"Bearer {token}"
    assert fake.requests_to("/stackexchange")[0].query["key"] == "se-k3y"
    text = " ".join(format_report(r) for r in reports) + caplog.text
    assert "HTTP 401" in text
    assert token not in text and "se-k3y" not in text


def test_format_report_lines():
    assert format_report(SourceReport("pypistats", True, 48, None, 1.23)) == (
        "pypistats      ok         48 snapshots  1.2 s")
    assert format_report(SourceReport("github", False, 0, "GitHub /repos/x/y: HTTP 500", 3)) == (
        "github         FAILED   GitHub /repos/x/y: HTTP 500")
    assert format_report(SourceReport("github", False, 12, "boom", 3)) == (
        "github         FAILED     12 snapshots  boom")
