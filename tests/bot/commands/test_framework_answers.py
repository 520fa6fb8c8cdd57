"""Every /framework answer agrees with itself: every role x every option value, through the
core and the detail buttons, as a user would see it.

The checks read the rendered text, with their own simple idea of which framework a line
is about (the first framework name, or tool of its ecosystem, it mentions), so they do
not reuse the recommender's logic.
"""

from __future__ import annotations

import itertools
import re

from bot.commands.framework import CARD_WORDS, MAX_NOTES
from bot.models import Visibility
from knowledge.loader import Knowledge


def combinations(knowledge: Knowledge) -> list[str]:
    """Every option string: none, and every value of every dimension, alone and combined."""
    dims = [[None, *(f"{d.id}:{o.id}" for o in d.options)] for d in knowledge.dimensions.values()]
    return [" ".join(p for p in combo if p) for combo in itertools.product(*dims)]


def first_framework(knowledge: Knowledge, text: str) -> str | None:
    """The framework whose name (or ecosystem tool) appears first in ``text``."""
    hits = []
    for fw in knowledge.frameworks.values():
        for term in (fw.name, *fw.aliases, *knowledge.ecosystem.get(fw.id, ())):
            m = re.search(rf"(?<![\w.]){re.escape(term)}(?!\w)", text, re.IGNORECASE)
            if m:
                hits.append((m.start(), fw.name))
    return min(hits)[1] if hits else None


def words(response) -> int:
    texts = [response.title, response.footer,
             *(t for s in response.sections for t in (s.heading or "", s.body)),
             *(t for f in response.fields for t in (f.name, f.value))]
    return len(" ".join(texts).split())


def paragraphs(response) -> list[str]:
    return [line.strip() for s in response.sections for line in s.body.split("\n")
            if len(line.split()) > 4]


async def answers(core, ctx, text):
    """The card and every detail view its buttons open."""
    card = await core.handle_text(text, ctx)
    details = {b.label: await core.press(b.id, ctx) for b in card.buttons
               if b.id.startswith("fw:")}
    return card, details


async def test_every_role_and_option_combination_agrees_with_itself(core, ctx, knowledge):
    names = {fw.name for fw in knowledge.frameworks.values()}
    checked = 0
    for role, options in itertools.product(knowledge.roles.values(), combinations(knowledge)):
        text = f"/framework role:{role.id} {options}".strip()
        card, details = await answers(core, ctx, text)
        where = text
        assert not card.is_error, where
        assert words(card) <= CARD_WORDS, (where, words(card))
        # Discord's custom_id holds 100 characters: every button id must fit as it is.
        assert all(len(b.id) <= 100 for b in card.buttons), where
        picked = [p for p in names if any(
            s.heading in (f"{p}: main pick", f"{p}: also learn") for s in card.sections)]
        main = next((s.heading.split(":")[0] for s in card.sections
                     if s.heading and s.heading.endswith(": main pick")), None)
        for response in (card, *details.values()):
            found = paragraphs(response)
            assert len(found) == len(set(found)), (where, response.title)
        path = details["Learning path"]
        assert path.visibility is Visibility.PRIVATE
        steps = [re.sub(r"^\d+\. ", "", line) for line in path.sections[0].body.split("\n")]
        assert len(steps) >= 3, where
        first_step = {s.heading: s.body for s in card.sections}["First step this week"]
        assert first_step == steps[0], where
        if role.needs_framework:
            assert main in picked, where
            # The path starts with the main pick (or with no framework at all) ...
            assert first_framework(knowledge, steps[0]) in (None, main), (where, steps[0])
            # ... and no step or pairing is about a framework the answer did not pick.
            for step in steps:
                assert first_framework(knowledge, step) in (None, *picked), (where, step)
            pairs = {s.heading: s.body for s in path.sections}.get("Pair it with", "")
            for tool in filter(None, pairs.split(", ")):
                assert first_framework(knowledge, tool) in (None, *picked), (where, tool)
            options_line = {s.heading: s.body for s in card.sections}.get("Your options", "")
            for moved in re.findall(r"(\w+) moves ahead of", options_line):
                assert moved == main, (where, options_line)
            for joined in re.findall(r"(\w+) joins", options_line):
                assert joined in picked, (where, options_line)
            for dropped in re.findall(r"(\w+) drops out", options_line):
                assert dropped not in picked, (where, options_line)
        else:
            assert "no deep-learning framework" in card.title, where
            assert not picked, where
        since = details.get("Since the article")
        if since is not None:
            notes = [s for s in since.sections if s.heading]
            assert 1 <= len(notes) <= MAX_NOTES, where
            for section in notes:
                assert section.heading.split(",")[0] in picked, (where, section.heading)
                assert "said: the article" not in section.body.lower(), where
        checked += 1
    assert checked == len(knowledge.roles) * len(combinations(knowledge))
