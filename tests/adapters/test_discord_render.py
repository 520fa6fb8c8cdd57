"""Rendering: every message the Discord adapter can produce is within Discord's limits, and
what the core said is all there (split over messages, or cut with a marker when one
message is all there can be)."""

from __future__ import annotations

import itertools

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.discord import render as r
from bot.core import Core
from bot.models import (
    Button,
    ButtonStyle,
    Context,
    FieldItem,
    Response,
    Section,
    Table,
    TableRow,
    Visibility,
)

CTX = Context(platform="discord", user_id="1", user_name="ada", channel_id="2", tenant_id="3")


def utf16(text: str | None) -> int:
    return len((text or "").encode("utf-16-le")) // 2


def check(messages: list[r.Message]) -> None:
    """Discord's documented limits, counted both as code points and as UTF-16 units."""
    assert messages
    for message in messages:
        assert message.embeds or message.buttons, "an empty message"
        assert len(message.embeds) <= 10
        total = 0
        for embed in message.embeds:
            data = embed.to_dict()
            assert utf16(data.get("title")) <= 256
            assert utf16(data.get("description")) <= 4096
            fields = data.get("fields", [])
            assert len(fields) <= 25
            for f in fields:
                assert 0 < len(f["name"]) and utf16(f["name"]) <= 256
                assert 0 < len(f["value"]) and utf16(f["value"]) <= 1024
            footer = data.get("footer", {}).get("text")
            assert utf16(footer) <= 2048
            assert data.get("title") or data.get("description") or fields or footer
            total += (utf16(data.get("title")) + utf16(data.get("description")) + utf16(footer)
                      + sum(utf16(f["name"]) + utf16(f["value"]) for f in fields))
        assert total <= 6000
        assert sum(len(e) for e in message.embeds) <= 6000  # discord.py's own count
        view = message.view()
        if message.buttons:
            rows = view.to_components()
            assert len(rows) <= 5
            for row in rows:
                assert len(row["components"]) <= 5
                for button in row["components"]:
                    assert 0 < len(button["label"]) <= 80
                    assert 0 < len(button["custom_id"]) <= 100
        else:
            assert view is None


def shown(messages: list[r.Message]) -> str:
    return "\n".join(r.payload_text(m) for m in messages)


def assert_complete(response: Response, messages: list[r.Message], ids: r.CustomIds) -> None:
    text = shown(messages)
    for piece in response.texts():
        for line in piece.splitlines():
            assert line.strip() in text, f"missing: {line[:60]!r}"
    assert [ids.decode(b.custom_id) for m in messages for b in m.buttons] == [
        b.id for b in response.buttons]


async def knowledge_responses(core: Core) -> list[tuple[str, Response]]:
    k = core.knowledge
    texts = ["/help", "/framework"]
    texts += [f"/about name:{f}" for f in k.frameworks]
    texts += [f"/compare a:{a} b:{b}" for a, b in itertools.permutations(k.frameworks, 2)]
    for role in k.roles:
        texts.append(f"/framework role:{role}")
        mods = " ".join(f"{d.id}:{d.options[-1].id}" for d in k.dimensions.values())
        texts.append(f"/framework role:{role} {mods}")
    return [(t, await core.handle_text(t, CTX)) for t in texts]


async def test_every_knowledge_answer_fits_and_is_complete(core: Core) -> None:
    for text, response in await knowledge_responses(core):
        ids = r.CustomIds()
        messages = r.render(response, colour=core.colour(response.accent), ids=ids)
        check(messages)
        assert_complete(response, messages, ids)
        single = r.render(response, colour=core.colour(response.accent), ids=ids, single=True)
        assert len(single) == 1, text
        check(single)


async def test_the_longest_knowledge_entry_in_one_message(core: Core) -> None:
    answers = await knowledge_responses(core)
    text, longest = max(answers, key=lambda a: len(a[1].plain_text()))
    ids = r.CustomIds()
    messages = r.render(longest, colour=core.colour(longest.accent), ids=ids)
    check(messages)
    assert_complete(longest, messages, ids)
    assert len(messages) == 1, f"{text} should fit one message"
    embed = messages[0].embeds[0]
    assert embed.title == longest.title
    accent = core.colour(longest.accent)  # None when no framework is picked (e.g. analysts)
    assert embed.colour == (discord.Colour.from_str(accent) if accent else r.DEFAULT_COLOUR)


def leaderboard(rows: int, name_length: int = 32) -> Response:
    """Shaped like /quiz leaderboard and the final standings, at their largest."""
    names = [f"{'W' * (name_length - 4)}{i:04d}" for i in range(rows)]
    lines = [f"{i}. {n}: {99999 - i} pts · 100% right (999/999) · 999 wins · 999 games"
             for i, n in enumerate(names, 1)]
    return Response(
        title="Leaderboard · #a-channel-with-a-very-long-name-indeed · all time · by points",
        sections=(Section("🥇 🥈 🥉 " + "\n".join(lines[:3]), heading="Podium"),
                  Section("\n".join(lines))),
        fields=tuple(FieldItem(n, f"{99999 - i} pts · 999/999 right · best streak 999")
                     for i, n in enumerate(names)),
        footer="Ties: points, then accuracy, then name. Wins and games count all time.",
    )


@pytest.mark.parametrize("rows", [25, 100, 500])
def test_a_full_leaderboard_fits(rows: int) -> None:
    board = leaderboard(rows)
    ids = r.CustomIds()
    messages = r.render(board, ids=ids)
    check(messages)
    assert_complete(board, messages, ids)
    assert messages[0].embeds[0].title == board.title
    assert messages[-1].embeds[-1].footer.text == board.footer
    (single,) = r.render(board, ids=ids, single=True)
    check([single])
    if rows > 25:
        assert r.CUT in single.embeds[-1].footer.text


def test_oversized_parts_are_split_or_cut_with_a_marker() -> None:
    huge_word = "x" * 9000
    response = Response(
        title="T" * 400,
        sections=(Section(huge_word, heading="H" * 300), Section("🙂" * 5000)),
        fields=(FieldItem("N" * 300, "v" * 5000), FieldItem("", "")),
        buttons=tuple(Button(f"run:/about name:{i}", "L" * 120, ButtonStyle.DANGER)
                      for i in range(31)),
        footer="F" * 3000,
    )
    ids = r.CustomIds()
    messages = r.render(response, ids=ids)
    check(messages)
    assert messages[0].embeds[0].title.endswith("…")
    assert shown(messages).count("x") >= 9000 and shown(messages).count("🙂") == 5000
    assert shown(messages).count("v") >= 5000
    assert sum(len(m.buttons) for m in messages) == 31
    assert all(b.label.endswith("…") for m in messages for b in m.buttons)
    (single,) = r.render(response, ids=ids, single=True)
    check([single])
    assert single.embeds[-1].footer.text.endswith(r.CUT)
    assert len(single.buttons) == 25


def test_button_ids_round_trip() -> None:
    ids = r.CustomIds()
    short = "quiz:abc123:4:2"
    assert ids.encode(short) == short and ids.decode(short) == short
    long = "run:/compare a:" + "p" * 120 + " b:jax"
    custom = ids.encode(long)
    assert len(custom) <= 100 and custom.startswith(r.HASH_PREFIX)
    assert ids.decode(custom) == long
    odd = "no-colon-here"
    assert ids.encode(odd) != odd and ids.decode(ids.encode(odd)) == odd
    assert ids.decode("fc-hash:unknown") == "fc-hash:unknown"  # the core says "expired"
    assert r.TEMPLATE.fullmatch(short) and r.TEMPLATE.fullmatch(custom)


def test_colours_and_styles() -> None:
    error = r.render(Response(title="bad", is_error=True), colour="#123456")[0]
    assert error.embeds[0].colour == r.ERROR_COLOUR
    tinted = r.render(Response(title="ok"), colour="#E69F00")[0]
    assert tinted.embeds[0].colour.value == 0xE69F00
    plain = r.render(Response(title="ok", buttons=(Button("run:/help", "Help",
                                                          ButtonStyle.SUCCESS),)))[0]
    assert plain.embeds[0].colour == r.DEFAULT_COLOUR
    assert plain.buttons[0].style is discord.ButtonStyle.success
    only_buttons = r.render(Response(buttons=(Button("run:/help", "Help"),)))
    check(only_buttons)


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=3000)
responses = st.builds(
    Response,
    title=st.text(max_size=400),
    sections=st.lists(st.builds(Section, texts, st.none() | st.text(max_size=300)),
                      max_size=8).map(tuple),
    fields=st.lists(st.builds(FieldItem, st.text(max_size=300), st.text(max_size=1500),
                              st.booleans()), max_size=40).map(tuple),
    buttons=st.lists(st.builds(Button, st.text(min_size=1, max_size=150),
                               st.text(max_size=100), st.sampled_from(list(ButtonStyle))),
                     max_size=30).map(tuple),
    footer=st.text(max_size=2500),
    visibility=st.sampled_from(list(Visibility)),
    is_error=st.booleans(),
    table=st.none() | st.builds(
        Table,
        st.lists(st.text(max_size=100), min_size=1, max_size=4).map(tuple),
        st.lists(st.builds(TableRow, st.text(max_size=300),
                           st.lists(st.text(max_size=800), max_size=4).map(tuple)),
                 max_size=30).map(tuple)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(responses)
def test_any_response_renders_within_the_limits(response: Response) -> None:
    ids = r.CustomIds()
    messages = r.render(response, ids=ids)
    check(messages)
    assert [ids.decode(b.custom_id) for m in messages for b in m.buttons] == [
        b.id for b in response.buttons]
    (single,) = r.render(response, ids=ids, single=True)
    check([single])


def test_whitespace_never_makes_an_empty_or_oversized_embed() -> None:
    response = Response(title="T" * 300, sections=(Section(" " * 5000 + "x" * 5000),
                                                   Section("\n" * 3000)),
                        footer="F" * 2100)
    messages = r.render(response)
    check(messages)
    assert shown(messages).count("x") == 5000
    check(r.render(response, single=True))


# ---------------------------------------------------------------------------- layout

COMPARISON = Response(
    title="PyTorch vs TensorFlow",
    table=Table(("PyTorch", "TensorFlow"), (
        TableRow("Best for", ("Research, fast prototyping", "Production at scale")),
        TableRow("Learning curve", ("moderate", "steep")),
        TableRow("Deployment", ("word " * 90, "other " * 75)),  # many lines, one field
    )),
    fields=tuple(FieldItem(name, "value") for name in ("One", "Two", "Three", "Four")),
    footer="Sources: CBT Nuggets and 16 more.",
)


def discord_rows(fields: list[dict]) -> list[list[dict]]:
    """Discord's layout of embed fields: a field that is not inline has a row of its own;
    inline fields sit side by side, three to a row."""
    rows: list[list[dict]] = []
    for f in fields:
        if f.get("inline") and rows and rows[-1][-1].get("inline") and len(rows[-1]) < 3:
            rows[-1].append(f)
        else:
            rows.append([f])
    return rows


def test_a_comparison_keeps_each_pair_together_and_in_column_order() -> None:
    (message,) = r.render(COMPARISON)
    check([message])
    rows = discord_rows(message.embeds[0].to_dict()["fields"])
    table = COMPARISON.table
    for row in table.rows:
        (visual,) = [v for v in rows if v[0]["name"] == row.label]
        assert len(visual) == 1  # the pair is one field: together on desktop and on phones
        lines = visual[0]["value"].splitlines()
        assert lines == [f"**{c}** · {cell}" for c, cell in zip(table.columns, row.cells,
                                                                 strict=True)]
    # The four inline fields after the table: two rows of two, never three and a lone one.
    inline_rows = [[f["name"] for f in v] for v in rows if v[0].get("inline")]
    assert inline_rows == [["One", "Two"], ["Three", "Four"]]


def test_a_row_too_long_for_one_field_keeps_every_cell_whole_and_in_order() -> None:
    long = Response(title="t", table=Table(("A", "B"), (TableRow("Row", ("a" * 900,
                                                                         "b" * 900)),)))
    ids = r.CustomIds()
    (message,) = r.render(long, ids=ids)
    check([message])
    assert_complete(long, [message], ids)
    values = [f["value"] for f in message.embeds[0].to_dict()["fields"]]
    assert values == [f"**A** · {'a' * 900}", f"**B** · {'b' * 900}"]


async def test_every_comparison_has_one_row_per_attribute(core: Core) -> None:
    for a, b in itertools.permutations(core.knowledge.frameworks, 2):
        response = await core.handle_text(f"/compare a:{a} b:{b}", CTX)
        assert response.table is not None
        (message,) = r.render(response, colour=core.colour(response.accent))
        check([message])
        fields = message.embeds[0].to_dict()["fields"]
        assert [f["name"] for f in fields] == [row.label for row in response.table.rows]
        assert all(len(v) == 1 for v in discord_rows(fields))


# ---------------------------------------------------------------------------- colours

# Colour-vision deficiency simulation (Machado, Oliveira & Fernandes 2009, severity 1.0), in
# linear RGB; distances are CIE 1976 ΔE in Lab (D65). 15 is well beyond "just noticeable".
CVD = {
    "typical": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}
MIN_DELTA_E = 15


def _lab(rgb: int, matrix: tuple[tuple[float, ...], ...]) -> tuple[float, float, float]:
    def linear(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    channels = [linear((rgb >> shift) & 0xFF) for shift in (16, 8, 0)]
    red, green, blue = (min(1.0, max(0.0, sum(m * c for m, c in zip(row, channels,
                                                                      strict=True))))
                        for row in matrix)
    x = (0.4124 * red + 0.3576 * green + 0.1805 * blue) / 0.95047
    y = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    z = (0.0193 * red + 0.1192 * green + 0.9505 * blue) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def test_accent_colours_never_look_like_an_error_even_to_colour_blind_readers(core) -> None:
    colours = {fw.id: int(fw.colour.lstrip("#"), 16) for fw in core.knowledge.frameworks.values()}
    colours["error"] = r.ERROR_COLOUR.value
    for vision, matrix in CVD.items():
        lab = {name: _lab(rgb, matrix) for name, rgb in colours.items()}
        for a, b in itertools.combinations(colours, 2):
            distance = sum((p - q) ** 2 for p, q in zip(lab[a], lab[b], strict=True)) ** 0.5
            assert distance >= MIN_DELTA_E, (vision, a, b, round(distance, 1))


async def test_a_masked_link_typed_as_a_role_is_text_and_the_bot_keeps_its_markdown(core: Core):
    """The issue's report: '[free nitro](https://evil.example/login)' became a link."""
    from bot.models import Request

    unknown = await core.handle(Request("framework", options={
        "role": "[free nitro](https://evil.example/login)"}, context=CTX))
    description = r.render(unknown)[0].embeds[0].description or ""
    assert "'\\[free nitro\\](https\\://evil.example/login)' is not a role I know" in description
    known = await core.handle(Request("framework", options={"role": "ml-engineer"}, context=CTX))
    assert "**PyTorch: main pick**" in (r.render(known)[0].embeds[0].description or "")


def test_names_are_escaped_where_discord_reads_markdown_and_plain_where_it_does_not():
    from bot.models import user_text

    name = user_text("-# **ann** ||x||")
    response = Response(title=f"Quiz stats · {name}", sections=(Section(name),),
                        fields=(FieldItem(name, f"beat {name}"),), buttons=(Button("b", name),),
                        footer=f"Started by {name}")
    (message,) = r.render(response)
    embed = message.embeds[0]
    escaped = "\\-# \\*\\*ann\\*\\* \\|\\|x\\|\\|"
    assert embed.title == f"Quiz stats · {escaped}" and embed.description == escaped
    assert embed.fields[0].name == escaped and embed.fields[0].value == f"beat {escaped}"
    assert embed.footer.text == "Started by -# **ann** ||x||"  # footers show no markdown
    assert message.buttons[0].label == "-# **ann** ||x||"
