"""Every claim of the career article is reachable by a command (and the detail buttons of
its answer), in the bot's own words."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.models import Context

CLAIMS = yaml.safe_load((Path(__file__).parent / "article_claims.yaml").read_text())["claims"]


def test_the_claims_cover_the_article():
    assert len(CLAIMS) >= 30


@pytest.mark.parametrize("claim", CLAIMS, ids=[c["claim"][:60] for c in CLAIMS])
async def test_claim_is_reachable(core, claim):
    response = await core.handle_text(claim["command"], Context())
    assert not response.is_error, claim["command"]
    # A /framework card keeps its details one press away: what they show counts too.
    details = [await core.press(b.id, Context()) for b in response.buttons
               if b.id.startswith("fw:")]
    text = "\n".join(r.plain_text() for r in (response, *details)).lower()
    for expected in claim["expect"]:
        assert expected.lower() in text, (claim["claim"], expected)
