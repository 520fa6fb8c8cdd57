"""Block Kit rendering: every message we can produce stays inside Slack's limits, shows all
of the response (or says clearly that it was cut), and escapes what Slack would parse."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.slack import render as R
from adapters.slack.render import button_id, escape, render, split_text, truncate, unescape
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
from bot.quiz.render import final_message
from bot.quiz.session import Player, QuizSession
from tests.adapters.conformance import flatten
from tests.adapters.fakes.slack_api import button_values, visible_text

ENTITY = re.compile(r"&(?!(amp|lt|gt);)")


def check_limits(message: dict[str, Any]) -> None:
    """Every documented Block Kit limit, plus our own per-message text budget."""
    blocks = message["blocks"]
    assert 0 < len(blocks) <= R.MAX_BLOCKS
    assert 0 < len(message["text"]) <= R.FALLBACK_TEXT
    total = 0
    action_ids: list[str] = []
    for block in blocks:
        kind = block["type"]
        assert len(block.get("block_id", "")) <= 255
        if kind == "header":
            assert block["text"]["type"] == "plain_text"
            assert 0 < len(block["text"]["text"]) <= R.HEADER_TEXT
        elif kind == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                assert 0 < len(block["text"]["text"]) <= R.SECTION_TEXT
            fields = block.get("fields", [])
            assert len(fields) <= R.FIELDS_PER_SECTION
            assert all(0 < len(f["text"]) <= R.FIELD_TEXT for f in fields)
        elif kind == "context":
            assert 0 < len(block["elements"]) <= R.CONTEXT_ELEMENTS
            assert all(0 < len(e["text"]) <= R.CONTEXT_TEXT for e in block["elements"])
        elif kind == "actions":
            assert 0 < len(block["elements"]) <= R.ACTIONS_ELEMENTS
            for button in block["elements"]:
                assert button["type"] == "button"
                assert 0 < len(button["text"]["text"]) <= R.BUTTON_TEXT
                assert len(button["value"]) <= R.BUTTON_VALUE
                assert 0 < len(button["action_id"]) <= R.ACTION_ID
                assert button.get("style") in (None, "primary", "danger")
                action_ids.append(button["action_id"])
        else:
            raise AssertionError(f"unexpected block type {kind}")
        total += R.block_text_length(block)
        for text in _texts(block):
            assert "<" not in text and ">" not in text, text
            assert not ENTITY.search(text), text
    assert total <= R.MESSAGE_TEXT
    assert len(action_ids) == len(set(action_ids)), "action_id must be unique per message"


def _texts(block: dict[str, Any]) -> list[str]:
    out = []
    if isinstance(block.get("text"), dict):
        out.append(block["text"]["text"])
    out += [f["text"] for f in block.get("fields", ())]
    out += [e["text"]["text"] if isinstance(e.get("text"), dict) else e["text"]
            for e in block.get("elements", ())]
    return out


def check_shows_everything(response: Response, rendered: R.Rendered) -> None:
    shown = flatten(" ".join(visible_text(m) for m in rendered.messages))
    for piece in response.texts():
        for line in piece.splitlines():
            assert flatten(line) in shown, f"missing: {line!r}"
    ids = [button_id(v) for m in rendered.messages for v in button_values(m)]
    assert ids == [b.id for b in response.buttons]


async def every_knowledge_response(core: Core) -> list[Response]:
    ctx = Context(platform="slack", user_id="U1", channel_id="C1", tenant_id="T1")
    k = core.knowledge
    texts = ["/framework", "/fc-help", "/framework role:astronaut", "/about name:nothing",
             "/compare a:pytorch b:pytorch"]
    texts += [f"/about name:{f}" for f in k.frameworks]
    texts += [f"/compare a:{a} b:{b}" for a, b in itertools.permutations(k.frameworks, 2)]
    modifiers = [""] + [" ".join(f"{d.id}:{d.options[i % len(d.options)].id}"
                                 for d in k.dimensions.values()) for i in range(3)]
    texts += [f"/framework role:{r} {m}" for r in k.roles for m in modifiers]
    responses = [await core.handle_text(t, ctx) for t in texts]
    for response in list(responses):  # and every button's answer
        for b in response.buttons:
            responses.append(await core.press(b.id, ctx))
    return responses


async def test_every_knowledge_answer_fits_one_message_and_shows_everything(core):
    responses = await every_knowledge_response(core)
    assert len(responses) > 150
    for response in responses:
        rendered = render(response)
        assert len(rendered.messages) == 1, response.title
        for message in rendered.messages:
            check_limits(message)
        check_shows_everything(response, rendered)


async def test_the_longest_knowledge_entry(core):
    longest = max(await every_knowledge_response(core), key=lambda r: len(r.plain_text()))
    rendered = render(longest)
    (message,) = rendered.messages
    check_limits(message)
    check_shows_everything(longest, rendered)
    assert R.TRUNCATED not in visible_text(message)


def _leaderboard(rows: int = 25) -> Response:
    """/quiz leaderboard's shape at its fullest: 25 rows of 80-character display names."""
    lines = [f"{i}. {'Ada Lovelace-Byron ' * 4}{i:>4}: {9999 - i} pts · 100% right "
             f"(999/999) · 99 wins · 999 games" for i in range(1, rows + 1)]
    return Response(title="Leaderboard · #study-group-with-a-long-name · all time · by points",
                    sections=(Section("\n".join(lines)),),
                    footer="/quiz stats for your own numbers")


def _final_with_players(count: int) -> Response:
    session = QuizSession(id="s1", platform="slack", tenant_id="T1", channel_id="C1",
                          starter_id="U0", question_ids=["q"] * 30, correct_options=[0] * 30,
                          option_counts=[4] * 30, seconds=20)
    for i in range(count):
        name = f"<!channel> & {'Grace Hopper ' * 5}{i}"[:80]
        session.players[f"U{i}"] = Player(f"U{i}", name, 0, points=3000 - i, correct=29,
                                          answered=30, best_streak=29)
    return final_message(session, stopped=False)


@pytest.mark.parametrize("response", [_leaderboard(), _final_with_players(40)],
                         ids=["leaderboard", "quiz-final-40-players"])
def test_a_full_leaderboard(response):
    rendered = render(response)
    for message in rendered.messages:
        check_limits(message)
    check_shows_everything(response, rendered)


def test_the_quiz_podium_uses_fields_ten_per_section():
    (message,) = render(_final_with_players(25)).messages
    field_sections = [b for b in message["blocks"] if "fields" in b]
    assert [len(b["fields"]) for b in field_sections] == [10, 10, 5]


def test_a_response_bigger_than_a_message_is_split_with_buttons_and_footer_last():
    response = Response(
        title="Big",
        sections=tuple(Section("x " * 1400, heading=f"S{i}") for i in range(20)),
        fields=tuple(FieldItem(f"f{i}", "v" * 100) for i in range(30)),
        buttons=tuple(Button(f"run:/about name:{i}", f"B{i}") for i in range(30)),
        footer="Sources: many",
    )
    rendered = render(response)
    assert 1 < len(rendered.messages) <= R.MAX_MESSAGES
    for message in rendered.messages:
        check_limits(message)
    *first, last = rendered.messages
    assert all(not button_values(m) for m in first)
    assert len(button_values(last)) == 30
    assert [b["type"] for b in last["blocks"]][-3:] == ["context", "actions", "actions"]
    assert R.CONTINUED in visible_text(rendered.messages[1])


def test_a_response_too_big_for_every_message_is_cut_with_a_marker():
    response = Response(title="Enormous",
                        sections=tuple(Section("y " * 1400) for i in range(200)),
                        buttons=(Button("run:/fc-help", "Help"),), footer="end")
    rendered = render(response)
    assert len(rendered.messages) == R.MAX_MESSAGES
    for message in rendered.messages:
        check_limits(message)
    text = visible_text(rendered.messages[-1])
    assert R.TRUNCATED in text and "did not fit" in text and "end" in text
    assert button_values(rendered.messages[-1]) == ["run:/fc-help"]


def test_over_long_texts_are_cut_with_a_marker():
    response = Response(title="T" * 400, fields=(FieldItem("name", "v " * 3000),),
                        buttons=(Button("b", "L" * 200),))
    (message,) = render(response).messages
    check_limits(message)
    assert message["blocks"][0]["text"]["text"].endswith(R.CUT)
    assert message["blocks"][1]["fields"][0]["text"].endswith(R.TRUNCATED)
    assert message["blocks"][2]["elements"][0]["text"]["text"].endswith(R.CUT)


def test_headings_are_bold_and_lists_survive():
    response = Response(title="t", sections=(Section("• one\n• two\n1. first\n2. second",
                                                     heading="List"),))
    (message,) = render(response).messages
    assert message["blocks"][1]["text"]["text"] == "*List*\n• one\n• two\n1. first\n2. second"


def test_visibility_and_styles():
    private = render(Response(title="p", visibility=Visibility.PRIVATE))
    assert private.ephemeral and private.response_type == "ephemeral"
    assert '"response_type": "ephemeral"' in private.ack_json
    styles = render(Response(title="s", buttons=(
        Button("a", "a", ButtonStyle.PRIMARY), Button("b", "b", ButtonStyle.SECONDARY),
        Button("c", "c", ButtonStyle.SUCCESS), Button("d", "d", ButtonStyle.DANGER))))
    (actions,) = [b for b in styles.messages[0]["blocks"] if b["type"] == "actions"]
    assert [e.get("style") for e in actions["elements"]] == ["primary", None, "primary",
                                                             "danger"]


def test_escaping():
    assert escape("<!channel> & <@U1> >") == "&lt;!channel&gt; &amp; &lt;@U1&gt; &gt;"
    assert unescape(escape("a <b> & &amp; c")) == "a <b> & &amp; c"
    assert truncate("&amp;" * 10, 12) == "&amp;&amp;…"  # never half an entity
    assert all(len(c) <= 10 for c in split_text("word " * 50 + "\n" + "z" * 35, 10))


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=400) | st.sampled_from(
    ["<!channel>", "@here", "a & b", "<@U1|x>", "*bold* _it_ ~s~ `c`", "• item\n1. one", ""])
LONG = st.builds(lambda t, n: (t or "x") * n, TEXT, st.integers(1, 40))


@st.composite
def responses(draw) -> Response:
    return Response(
        title=draw(TEXT | LONG),
        sections=tuple(draw(st.lists(st.builds(Section, TEXT | LONG, st.none() | TEXT),
                                     max_size=70))),
        fields=tuple(draw(st.lists(st.builds(FieldItem, TEXT, TEXT | LONG, st.booleans()),
                                   max_size=40))),
        buttons=tuple(draw(st.lists(st.builds(Button, TEXT | LONG, TEXT | LONG,
                                              st.sampled_from(list(ButtonStyle))),
                                    max_size=60))),
        footer=draw(TEXT | LONG),
        visibility=draw(st.sampled_from(list(Visibility))),
        table=draw(st.none() | st.builds(
            Table, st.lists(TEXT, min_size=1, max_size=12).map(tuple),
            st.lists(st.builds(TableRow, TEXT | LONG, st.lists(TEXT | LONG, max_size=12)
                               .map(tuple)), max_size=30).map(tuple))),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(responses())
def test_any_response_renders_within_the_limits(response):
    rendered = render(response)
    assert 1 <= len(rendered.messages) <= R.MAX_MESSAGES
    for message in rendered.messages:
        check_limits(message)
    ids = [button_id(v) for m in rendered.messages for v in button_values(m)]
    assert ids == [b.id for b in response.buttons]  # buttons are never lost


# ---------------------------------------------------------------------------- layout

COMPARISON = Response(
    title="PyTorch vs TensorFlow",
    table=Table(("PyTorch", "TensorFlow"), (
        TableRow("Best for", ("Research, fast prototyping", "Production at scale")),
        TableRow("Learning curve", ("moderate", "steep")),
        TableRow("Watch out for", ("A & B <here>", "word " * 200)),
    )),
    footer="Sources: CBT Nuggets and 16 more.",
)


def slack_rows(block: dict[str, Any]) -> list[list[str]]:
    """Slack's layout of a section's fields: two side by side per row, in order."""
    texts = [f["text"] for f in block.get("fields", ())]
    return [texts[i:i + 2] for i in range(0, len(texts), 2)]


def test_a_comparison_puts_each_pair_on_one_row_under_its_label():
    rendered = render(COMPARISON)
    (message,) = rendered.messages
    check_limits(message)
    check_shows_everything(COMPARISON, rendered)
    blocks = [b for b in message["blocks"] if b["type"] == "section"]
    assert slack_rows(blocks[0]) == [["*PyTorch*", "*TensorFlow*"]]  # the columns, once
    for row, block in zip(COMPARISON.table.rows, blocks[1:], strict=True):
        assert block["text"]["text"] == f"*{row.label}*"
        assert slack_rows(block) == [[escape(c) for c in row.cells]]


async def test_every_comparison_is_a_row_per_attribute(core):
    ctx = Context(platform="slack", user_id="U1", channel_id="C1", tenant_id="T1")
    for a, b in itertools.permutations(core.knowledge.frameworks, 2):
        response = await core.handle_text(f"/compare a:{a} b:{b}", ctx)
        (message,) = render(response).messages
        check_limits(message)
        rows = [b for b in message["blocks"] if b["type"] == "section" and "text" in b]
        assert [r["text"]["text"] for r in rows] == [f"*{t.label}*" for t in response.table.rows]
        assert all(len(slack_rows(r)) == 1 for r in rows)


def test_people_s_words_format_nothing_and_link_nothing():
    from bot.models import user_text

    name = user_text("> *ann* _x_ ~y~ `z` <https://evil.example|free> evil.example")
    response = Response(title=f"Quiz stats · {name}", sections=(Section(f"{name}\n*bot*"),),
                        buttons=(Button("b", name),), footer=f"by {name}")
    (message,) = render(response).messages
    header, section, footer, actions = message["blocks"]
    assert header["text"]["text"] == (
        "Quiz stats · &gt; *ann* _x_ ~y~ `z` &lt;https://evil.example|free&gt; evil.example")
    assert section["text"] == {
        "type": "mrkdwn", "verbatim": True,
        "text": "\u00ad&gt; ∗ann∗ ˍxˍ ∼y∼ ˋzˋ &lt;https://evil.example|free&gt; evil.example\n"
                "*bot*"}
    assert footer["elements"][0]["verbatim"] is True
    assert actions["elements"][0]["text"]["text"].startswith("&gt; *ann*")
    plain = render(Response(sections=(Section("*bot* https://pytorch.org"),))).messages[0]
    assert plain["blocks"][0]["text"] == {"type": "mrkdwn", "text": "*bot* https://pytorch.org"}
