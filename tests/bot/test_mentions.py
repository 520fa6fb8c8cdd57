import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from bot.mentions import inert, neutralise


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


def test_inert_drops_bidi_overrides_joiners_and_controls():
    assert inert("\u202eexe.gnp\u202c", 80) == "exe.gnp"
    assert inert("a\u200db\u2066c\u2069d\ufeffe\x1b[31m", 80) == "abcde[31m"


def test_inert_keeps_one_line_unless_asked():
    assert inert("  alice\n# Winner\u2028\tbob  ", 80) == "alice # Winner bob"
    assert inert("line one\r\n\n\n\nline  two", 80, multiline=True) == "line one\n\nline two"


def test_inert_caps_the_length_with_an_ellipsis():
    out = inert("x" * 10_000, 80)
    assert len(out) == 80 and out.endswith("…")
    assert inert("short", 80) == "short"


def test_inert_drops_the_core_s_user_text_markers():
    assert inert("a\ufdd0b\ufdd1c", 80) == "abc"


@given(st.text(), st.integers(min_value=1, max_value=200))
def test_inert_text_has_no_invisible_characters_and_fits(text, limit):
    out = inert(text, limit)
    assert len(out) <= limit and "\n" not in out
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in out)
