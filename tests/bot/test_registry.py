import pytest

from bot.models import Context, Response, unmark
from bot.parser import ParseError, parse
from bot.registry import CommandSpec, OptionSpec, Registry, discover


async def _noop(request, core):
    return Response(title="ok")


FRAMEWORK = CommandSpec(
    name="framework", description="d", example="/framework role:mle", handler=_noop,
    options=(OptionSpec("role", "r"), OptionSpec("goal", "g", example="research")),
    positional=("role",),
)
COMPARE = CommandSpec(
    name="compare", description="d", example="/compare a:x b:y", handler=_noop,
    options=(OptionSpec("a", "a", required=True), OptionSpec("b", "b", required=True)),
    positional=("a", "b"),
)
QUIZ = CommandSpec(
    name="quiz", description="d", example="/quiz start", subcommands=(
        CommandSpec(name="start", description="s", example="/quiz start topic:jax",
                    handler=_noop, options=(OptionSpec("topic", "t"),)),
        CommandSpec(name="stop", description="s", example="/quiz stop", handler=_noop),
    ),
)
HELP = CommandSpec(name="help", description="d", example="/help", handler=_noop,
                   platform_names={"slack": "fc-help"})
REG = Registry([FRAMEWORK, COMPARE, QUIZ, HELP])
CTX = Context()


def bind(text, platform="console"):
    return REG.bind(parse(text), Context(platform=platform))


def test_positional_words_fill_the_greedy_option():
    assert dict(bind("/framework ml engineer").options) == {"role": "ml engineer"}


def test_positional_words_fill_options_in_order():
    assert dict(bind("/compare pytorch tensorflow").options) == {"a": "pytorch", "b": "tensorflow"}
    assert dict(bind("/compare b:jax pytorch").options) == {"b": "jax", "a": "pytorch"}


def test_subcommand_and_its_options():
    request = bind("/quiz start topic:jax")
    assert (request.command, request.subcommand, dict(request.options)) == (
        "quiz", "start", {"topic": "jax"})


def test_unknown_option_names_the_closest_and_lists_the_rest():
    problem = bind("/framework rol:mle")
    assert isinstance(problem, ParseError)
    message = unmark(problem.message)
    assert "no option 'rol'" in message and "Did you mean 'role'" in message
    assert problem.example == "/framework role:mle"


def test_duplicate_option_missing_required_and_stray_words():
    assert "given twice" in bind("/framework role:a role:b").message
    assert "needs the option 'b'" in bind("/compare a:pytorch").message
    assert "did not expect" in bind("/quiz stop now").message


def test_an_option_without_a_value_is_shown_with_a_real_one():
    problem = bind("/framework goal:")
    assert isinstance(problem, ParseError) and "'goal' has no value" in problem.message
    assert problem.example == "/framework role:mle goal:research"  # with the option's example
    assert bind("/quiz start topic:").example == "/quiz start topic:jax"  # the command's
    # A space after the ':' is forgiven: the words that follow are the value.
    assert dict(bind("/framework role: ml engineer").options) == {"role": "ml engineer"}


def test_unknown_command_suggests_the_closest():
    problem = bind("/framwork role:x")
    assert isinstance(problem, ParseError)
    assert problem.suggestions[0] == "framework" and "/framework" in problem.message


def test_subcommand_missing_or_unknown_lists_the_choices():
    assert "start | stop" in bind("/quiz").message
    assert "no subcommand 'begin'" in unmark(bind("/quiz begin").message)
    typo = bind("/quiz sto")
    assert "Did you mean 'stop'?" in unmark(typo.message) and typo.example == "/quiz stop"


def test_platform_names_map_back_to_the_command():
    assert bind("/fc-help", platform="slack").command == "help"


def test_a_command_cannot_have_options_and_subcommands():
    with pytest.raises(ValueError, match="not both"):
        CommandSpec(name="x", description="d", example="/x", handler=_noop,
                    options=(OptionSpec("o", "o"),), subcommands=(QUIZ.subcommands[0],))


def test_discover_finds_every_command_module():
    names = {spec.name for spec in discover()}
    assert {"framework", "about", "compare", "help"} <= names
