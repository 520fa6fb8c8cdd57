"""People's words stay text on every platform, whatever they are: a property over arbitrary
text, with the conformance suite's reading of each platform's syntax (``read``).

The response below puts a person's text everywhere one can appear: title, heading, the start
and middle of a line, a field's name and value, the footer and a button. Each adapter's
renderer must send it with nothing of it live, no control character of it, and reading the
same. The bot's own text ends each repetition with "⟫" and starts it with "⟪" or a new line,
so the check knows which characters are the person's.
"""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.console import render_to_text
from adapters.discord import render as discord_render
from adapters.slack import render as slack_render
from bot.mentions import neutralise
from bot.models import Button, FieldItem, Response, Section, Visibility, user_text
from tests.adapters.conformance import _LOOKALIKE, Seen, read, typed_reads
from tests.adapters.fakes.discord_fake import text_parts as discord_parts
from tests.adapters.fakes.slack_api import text_parts as slack_parts

PIECES = ["[", "](", "https://", "evil.example", "**", "*", "_", "__", "~~", "`", "```", "||",
          "# ", "### ", "-# ", "- ", "1. ", "> ", ">>> ", "<", ">", "&", "&amp;", "<@1>",
          "<!channel>", "@everyone", ":", "//", "\\", "\n", "\r\n", "\t", "\u202e", "\u2066",
          "\u200d", "\u200b", "\u00ad", "\ufeff", "\x1b[31m", "\u2028", "\ufdd0", "\ufdd1",
          "∗", "ˍ", "👩\u200d💻"]
TEXTS = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=40).map("".join),
)


OPEN, CLOSE = "⟪", "⟫"


def response_with(typed: str) -> Response:
    """The core's final form (mentions neutralised) of a response that repeats ``typed``."""
    name = user_text(typed)
    return Response(
        title=f"Quiz over: {OPEN}{name}{CLOSE} wins!",
        sections=(Section(f"{name}{CLOSE} (+150), Ann (+90)\n{name}{CLOSE} 🔥2",
                          heading="Got it right"),
                  Section(f"1. {OPEN}{name}{CLOSE}: 300 pts\n2. Ann: 90 pts", heading="Standings"),
                  Section("Because.", heading=f"{OPEN}{name}{CLOSE}")),
        fields=(FieldItem(f"{OPEN}{name}{CLOSE}", "300 pts · 2/2 right"),
                FieldItem("Ann", f"beat {OPEN}{name}{CLOSE}")),
        buttons=(Button("quiz:s:0:0", f"A) {OPEN}{name}{CLOSE}"),),
        footer=f"Started by {OPEN}{name}{CLOSE} · /quiz stop ends it early",
        visibility=Visibility.CHANNEL,
    ).map_text(neutralise)


def assert_each_repetition_inert(seen: list[Seen], typed: str) -> int:
    """Every repetition of ``typed`` reads as typed (its start: long text is capped), has
    nothing live, and no control character of the person's is sent. Returns how many."""
    want = typed_reads(typed).translate(str.maketrans(_LOOKALIKE))
    controls = {ch for ch in typed if unicodedata.category(ch) in ("Cc", "Cf")
                and ch not in "\n\t\u200b\u00ad"}  # adapters add these two themselves
    count = 0
    for syntax, raw in (part for s in seen for part in s.parts):
        assert not controls & set(raw), f"control characters sent: {controls & set(raw)}"
        chars = read(syntax, raw)
        shown = "".join(ch for ch, _ in chars).translate(str.maketrans(_LOOKALIKE))
        end = shown.find(CLOSE)
        while end != -1:
            start = max(shown.rfind(OPEN, 0, end), shown.rfind("\n", 0, end)) + 1
            assert shown[start:end].startswith(want), (syntax, raw, shown[start:end], want)
            assert not [ch for ch, live in chars[start:end] if live], (syntax, raw)
            count += 1
            end = shown.find(CLOSE, end + 1)
    return count


def discord_seen(response: Response) -> list[Seen]:
    seen = []
    for message in discord_render.render(response):
        stored = {"embeds": [e.to_dict() for e in message.embeds],
                  "components": [{"components": [{"label": b.label} for b in message.buttons]}]}
        seen.append(Seen("", (), None, discord_parts(stored)))
    return seen


def slack_seen(response: Response) -> list[Seen]:
    return [Seen("", (), None, slack_parts(m)) for m in slack_render.render(response).messages]


def console_seen(response: Response) -> list[Seen]:
    """The printed panel, its borders taken off each line."""
    lines = render_to_text(response, width=4000).splitlines()
    return [Seen("", (), None, (("plain", "\n".join(line.strip("│ ") for line in lines)),))]


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS.map(lambda t: t.replace(OPEN, "").replace(CLOSE, "")))
def test_any_text_is_shown_inertly_on_every_platform(typed: str) -> None:
    response = response_with(typed)
    # Nine repetitions; a long one in the button label is clipped (its end cut off), and
    # the console lays the field table's cells side by side.
    for seen in (discord_seen(response), slack_seen(response), console_seen(response)):
        assert assert_each_repetition_inert(seen, typed) >= 8
