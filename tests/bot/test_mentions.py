from hypothesis import given
from hypothesis import strategies as st

from bot.mentions import neutralise


def test_mass_mentions_are_broken():
    for text in ["@everyone", "@here", "hi @EVERYONE!", "@channel"]:
        out = neutralise(text)
        assert "@everyone" not in out.lower() and "@here" not in out.lower()
        assert "@channel" not in out.lower()


def test_platform_mention_tokens_are_broken():
    for text in ["<!everyone>", "<!here>", "<!channel>", "<@&123>", "<@42>", "<!subteam^S1>"]:
        out = neutralise(text)
        assert "<!" not in out and "<@" not in out


def test_ordinary_text_is_untouched():
    assert neutralise("email me at a@b.c; 3 < 4") == "email me at a@b.c; 3 < 4"


@given(st.text())
def test_no_text_survives_with_a_ping(text):
    out = neutralise(text).lower()
    assert "@everyone" not in out and "@here" not in out and "<!" not in out and "<@" not in out
