"""People's words in responses: marked by the core, unmarked for every non-adapter reader."""

from bot.models import (
    USER_CLOSE,
    USER_OPEN,
    Button,
    FieldItem,
    Response,
    Section,
    render_user_text,
    unmark,
    user_text,
)


def test_user_text_is_cleaned_and_marked():
    assert user_text("  [x](https://e.x)\u202e ") == f"{USER_OPEN}[x](https://e.x){USER_CLOSE}"
    assert user_text("\u200b") == ""  # nothing visible: nothing to mark


def test_a_person_cannot_close_their_own_span_early():
    marked = user_text(f"a{USER_CLOSE}**b**{USER_OPEN}")
    assert render_user_text(f"x {marked} y", lambda span: f"<{span}>") == "x <a**b**> y"


def test_spans_are_rendered_and_stray_markers_dropped():
    text = f"1. {user_text('ann')}: 3 pts, {user_text('bob')} and {USER_OPEN}cut sh"
    assert render_user_text(text, str.upper) == "1. ANN: 3 pts, BOB and CUT SH"
    assert render_user_text(f"no {USER_CLOSE}open", str.upper) == "no open"


def test_plain_readers_never_see_the_markers():
    name = user_text("**ann**")
    response = Response(title=f"Quiz over: {name} wins!", sections=(Section(name, heading=name),),
                        fields=(FieldItem(name, name),), buttons=(Button("b", name),),
                        footer=f"by {name}")
    assert USER_OPEN not in response.plain_text() and USER_CLOSE not in response.plain_text()
    assert "Quiz over: **ann** wins!" in list(response.texts())
    assert unmark(name) == "**ann**"


def test_adapters_choose_which_parts_are_plain():
    name = user_text("*ann*")
    response = Response(title=name, sections=(Section(f"hi {name}"),), footer=name,
                        buttons=(Button("b", name),))
    shown = response.render_user_text(lambda span: span.replace("*", "\\*"), plain=("footer",))
    assert shown.title == "\\*ann\\*" and shown.sections[0].body == "hi \\*ann\\*"
    assert shown.buttons[0].label == "\\*ann\\*" and shown.footer == "*ann*"
