from hypothesis import given, settings
from hypothesis import strategies as st

from bot.parser import ParsedCommand, ParseError, parse


def test_key_colon_value_options():
    parsed = parse("/framework role:ml-engineer experience:beginner")
    assert parsed == ParsedCommand(
        "framework", (), (("role", "ml-engineer"), ("experience", "beginner"))
    )


def test_quoted_value_keeps_spaces():
    assert parse('/framework role:"ml engineer"').options == (("role", "ml engineer"),)
    assert parse("/framework role:'data sci'").options == (("role", "data sci"),)
    assert parse("/framework role:\u201cml engineer\u201d").options == (("role", "ml engineer"),)


def test_equals_sign_works_like_colon():
    assert parse("/framework role=mle goal=research").options == (
        ("role", "mle"),
        ("goal", "research"),
    )


def test_plain_words_are_positional():
    parsed = parse("/framework ml engineer")
    assert parsed.words == ("ml", "engineer") and parsed.options == ()


def test_command_name_is_case_insensitive_and_keys_normalised():
    parsed = parse("/FrameWork Role:x Exp-Level:y")
    assert parsed.name == "framework"
    assert parsed.options == (("role", "x"), ("exp_level", "y"))


def test_urls_are_not_options():
    assert parse("/about https://pytorch.org").words == ("https://pytorch.org",)


def test_unclosed_quote_is_a_clear_error():
    problem = parse('/framework role:"ml engineer')
    assert isinstance(problem, ParseError)
    assert "never closed" in problem.message and "/framework" in problem.example


def test_missing_slash_and_empty_and_missing_value():
    assert "start with '/'" in parse("framework").message
    assert isinstance(parse("   "), ParseError)
    # An empty value is kept: the registry knows the example to answer with.
    assert parse("/framework role:").options == (("role", ""),)


def test_overlong_input_is_refused():
    assert "too long" in parse("/help " + "x" * 100_000).message


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_a_command_or_an_explained_error(text):
    result = parse(text)
    assert isinstance(result, ParsedCommand | ParseError)
    if isinstance(result, ParseError):
        assert result.message and result.example.startswith("/")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("/ :=\"'abc-_\u201c\u201d\t")), max_size=60))
def test_punctuation_soup_never_raises(text):
    assert isinstance(parse(text), ParsedCommand | ParseError)
