"""In-memory tables: the natural-key and secondary indexes stay consistent."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.storage import Tenant
from bot.storage.partition import Partition

ops = st.lists(
    st.tuples(
        st.booleans(),
        st.sampled_from("abc"),
        st.sampled_from("xy"),
        st.sampled_from(["2026-W01", "2026-W02"]),
        st.integers(0, 9),
    ),
    max_size=60,
)


@settings(derandomize=True, max_examples=200)
@given(ops)
def test_indexes_match_a_plain_model(operations) -> None:
    part = Partition(Tenant("d", "1"), "scores", Path("/nonexistent"))
    model: dict[tuple[str, str, str], int] = {}
    for put, channel, user, week, value in operations:
        key = (channel, user, week)
        if put:
            part.put(
                "weekly",
                {
                    "channel_id": channel,
                    "user_id": user,
                    "week": week,
                    "answered": value,
                    "correct": 0,
                    "points": 0,
                },
            )
            model[key] = value
        else:
            assert part.delete("weekly", *key) == (key in model)
            model.pop(key, None)
    table = part["weekly"]
    assert {table.key_of(d): d["answered"] for d in table} == model
    for key, value in model.items():
        assert table.get(*key)["answered"] == value  # type: ignore[index]
    for user in "xy":
        assert sorted(table.key_of(d) for d in table.where("user_id", user)) == sorted(
            k for k in model if k[1] == user
        )
    assert sorted(table.field_values("week")) == sorted({k[2] for k in model})

    rebuilt = Partition(Tenant("d", "1"), "scores", Path("/nonexistent"), part.copy_tables())
    assert {
        k: v["answered"] for k, v in ((rebuilt["weekly"].key_of(d), d) for d in rebuilt["weekly"])
    } == model
    replayed = Partition(Tenant("d", "1"), "scores", Path("/nonexistent"))
    for (t, i), d in part.take_pending().items():
        replayed[t].set_raw(i, d)
    assert replayed.raw == part.raw
