"""(5) Tenant isolation: no query returns another tenant's data, whatever the ids look like."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import FakeClock
from bot.storage import GameResult, Store, Subscription, Tenant
from bot.storage.embedded.paths import component, tenant_dir

from .conftest import answer

HOSTILE_IDS = ["..", ".", "../escape", "/etc", "a/b", "a\\b", "T0ABC", "t0abc", "", "x" * 250]


async def fill(store: Store, tenant: Tenant, tag: str) -> None:
    """The same channel and user ids in every tenant; only ``tag`` tells their data apart."""
    await store.update_settings(tenant, owner=tag)
    await store.upsert_subscription(tenant, Subscription("c1", created_by=f"u1-{tag}"))
    await store.claim_digest_period(tenant, "c1", f"2026-W02-{tag}")
    await store.save_quiz_session(tenant, "c1", {"owner": tag})
    await store.record_answer(tenant, answer("u1", f"q-{tag}", False, name=tag))
    await store.record_game_result(tenant, "c1", [GameResult("u1", tag, True)])


async def assert_sees_only(store: Store, tenant: Tenant, tag: str) -> None:
    assert await store.get_settings(tenant) == {"owner": tag}
    (sub,) = await store.list_subscriptions(tenant)
    assert sub.created_by == f"u1-{tag}"
    assert [r.period_key for r in await store.digest_history(tenant, "c1")] == [f"2026-W02-{tag}"]
    assert await store.load_quiz_session(tenant, "c1") == {"owner": tag}
    stats = await store.user_stats(tenant, "u1")
    assert (stats.answered, stats.games_played, stats.user_name) == (1, 1, tag)
    assert [e.user_name for e in await store.leaderboard(tenant)] == [tag]
    assert [r.question_id for r in await store.review_queue(tenant, "u1")] == [f"q-{tag}"]


async def test_same_ids_in_two_tenants_never_mix(backend) -> None:
    a, b = Tenant("discord", "100"), Tenant("slack", "100")
    async with await backend.open() as store:
        await fill(store, a, "A")
        await fill(store, b, "B")
        await assert_sees_only(store, a, "A")
        await assert_sees_only(store, b, "B")
        assert await store.forget_user(a, "u1") == 3  # totals, weekly, review of A only
        assert (await store.user_stats(a, "u1")).answered == 0
        assert (await store.user_stats(b, "u1")).answered == 1
        everyone = await store.all_subscriptions()
        assert sorted((t, s.created_by) for t, s in everyone) == [(a, "u1-A"), (b, "u1-B")]
    async with await backend.open() as store:
        await assert_sees_only(store, b, "B")
        assert (await store.user_stats(a, "u1")).answered == 0


async def test_a_tenants_files_hold_only_its_own_data(tmp_path: Path, clock) -> None:
    a, b = Tenant("discord", "100"), Tenant("discord", "200")
    data = tmp_path / "data"
    async with await Store.open(data, clock) as store:
        await fill(store, a, "AAAA")
        await fill(store, b, "BBBB")
    for tenant, mine, theirs in ((a, "AAAA", "BBBB"), (b, "BBBB", "AAAA")):
        text = "".join(p.read_text() for p in tenant_dir(data, tenant).rglob("*") if p.is_file())
        assert mine in text and theirs not in text


async def test_hostile_ids_stay_inside_their_own_folder(tmp_path: Path, clock) -> None:
    data = tmp_path / "data"
    tenants = [Tenant("discord", i) for i in HOSTILE_IDS if i] + [Tenant("../up", "x")]
    async with await Store.open(data, clock) as store:
        for n, tenant in enumerate(tenants):
            await fill(store, tenant, f"tag{n}")
    async with await Store.open(data, clock) as store:
        for n, tenant in enumerate(tenants):
            await assert_sees_only(store, tenant, f"tag{n}")
    inside = {p.resolve() for p in data.rglob("*")}
    assert all(str(p).startswith(str(data.resolve())) for p in inside)
    assert not (tmp_path / "escape").exists() and not (tmp_path / "up").exists()
    folders = [tenant_dir(data, t) for t in tenants]
    assert len({str(f).lower() for f in folders}) == len(tenants)  # even on case-insensitive disks


def test_tenant_ids_must_be_nonempty_and_global_is_reserved() -> None:
    with pytest.raises(ValueError):
        Tenant("discord", "")
    with pytest.raises(ValueError):
        Tenant("discord", "a\x00b")


async def test_reserved_global_platform_is_refused(backend) -> None:
    async with await backend.open() as store:
        with pytest.raises(ValueError, match="reserved"):
            await store.update_settings(Tenant("global", "global"), x=1)
        with pytest.raises(TypeError):
            await store.get_settings(("discord", "1"))  # type: ignore[arg-type]


@settings(derandomize=True, max_examples=300)
@given(st.text(min_size=1, max_size=80).filter(lambda s: "\x00" not in s))
def test_component_is_a_safe_single_path_part(raw: str) -> None:
    name = component(raw)
    assert name not in (".", "..") and "/" not in name and "\\" not in name
    assert 0 < len(name.encode()) <= 64 and not name.startswith(".")
    assert name == name.lower()


@settings(derandomize=True, max_examples=300)
@given(
    st.lists(
        st.text(min_size=1, max_size=20).filter(lambda s: "\x00" not in s),
        min_size=2,
        max_size=6,
        unique=True,
    )
)
def test_distinct_ids_get_distinct_folders(ids: list[str]) -> None:
    assert len({component(i) for i in ids}) == len(ids)


ids = st.sampled_from(["1", "2", "T1", "t1", "..", "a/b"])
ops = st.lists(
    st.tuples(
        st.sampled_from(["discord", "slack"]),
        ids,
        st.sampled_from(["u1", "u2"]),
        st.sampled_from(["c1", "c2"]),
        st.booleans(),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops)
def test_random_writes_only_show_up_in_their_tenant(ops_list) -> None:
    """Model check: after random answers across tenants (in a fresh store, then after a
    reopen), every tenant's stats and leaderboard equal a per-tenant model."""

    async def run(data: Path) -> None:
        clock = FakeClock(dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
        model: dict[tuple[str, str], dict[str, list[int]]] = {}
        async with await Store.open(data, clock) as store:
            for platform, tid, user, channel, ok in ops_list:
                tenant = Tenant(platform, tid)
                await store.record_answer(tenant, answer(user, "q", ok, channel=channel))
                acc = model.setdefault((platform, tid), {}).setdefault(user, [0, 0])
                acc[0] += 1
                acc[1] += 10 if ok else 0
        async with await Store.open(data, clock) as store:
            for platform in ("discord", "slack"):
                for tid in ["1", "2", "T1", "t1", "..", "a/b"]:
                    tenant = Tenant(platform, tid)
                    expected = model.get((platform, tid), {})
                    board = {
                        e.user_id: [e.answered, e.points] for e in await store.leaderboard(tenant)
                    }
                    assert board == expected
                    for user in ("u1", "u2"):
                        got = (await store.user_stats(tenant, user)).answered
                        assert got == expected.get(user, [0])[0]

    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(Path(tmp) / "data"))


def test_tenant_marker_records_exact_ids(tmp_path: Path) -> None:
    from bot.storage.embedded.disk import ensure_tenant_dir

    tenant = Tenant("slack", "../T0 Weird/Id")
    folder = tenant_dir(tmp_path, tenant)
    ensure_tenant_dir(folder, tenant)
    assert json.loads((folder / "tenant.json").read_text()) == {
        "platform": "slack",
        "id": "../T0 Weird/Id",
    }
    assert folder.parent.parent == tmp_path
