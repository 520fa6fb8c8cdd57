"""/quiz leaderboard, stats, review, import and forget, on a real store."""

from __future__ import annotations

import datetime as dt

import yaml

from bot.models import Request, Visibility
from bot.storage import AnswerRecord, GameResult, Tenant
from tests.bot.quiz.conftest import replace

TENANT = Tenant("console", "club")


async def seed(world, rows):  # noqa: ANN001
    """rows: (user, channel, question, correct, points, days_ago)."""
    now = world.clock.now()
    for user, channel, question, correct, points, days_ago in rows:
        await world.store.record_answer(TENANT, AnswerRecord(
            channel_id=channel, user_id=user, user_name=user.capitalize(), question_id=question,
            correct=correct, points=points, answered_at=now - dt.timedelta(days=days_ago)))


async def test_leaderboard_scopes_periods_and_sorts(world):
    await seed(world, [
        ("ann", "study", "jx-what", True, 150, 0), ("ann", "study", "jx-immutable", False, 0, 0),
        ("bob", "study", "jx-what", True, 120, 30), ("cy", "other", "jx-what", True, 300, 0),
    ])
    await world.store.record_game_result(TENANT, "study", [GameResult("bob", "Bob", True)])
    channel = await world.say("/quiz leaderboard")
    body = channel.sections[0].body
    assert body.index("Ann") < body.index("Bob") and "Cy" not in body
    assert "· 1 win · 1 game" in body and "· 0 wins · 0 games" in body  # not "1 wins"
    server = await world.say("/quiz leaderboard scope:server")
    assert server.sections[0].body.startswith("1. Cy")
    week = await world.say("/quiz leaderboard scope:server period:week")
    assert "Bob" not in week.sections[0].body  # Bob's points are a month old
    by_accuracy = await world.say("/quiz leaderboard sort:accuracy")
    assert by_accuracy.sections[0].body.startswith("1. Bob")  # 100% beats 50%
    by_wins = await world.say("/quiz leaderboard sort:wins")
    assert by_wins.sections[0].body.startswith("1. Bob")
    bad = await world.say("/quiz leaderboard sort:height")
    assert bad.is_error and "points, accuracy, wins, games" in bad.plain_text()


async def test_leaderboard_ties_break_by_accuracy_then_name(world):
    await seed(world, [("zed", "study", "q1", True, 100, 0), ("amy", "study", "q1", True, 100, 0),
                       ("amy", "study", "q2", False, 0, 0)])
    body = (await world.say("/quiz leaderboard")).sections[0].body
    assert body.startswith("1. Zed")  # same points, better accuracy


async def test_stats_for_me_and_for_someone_else(world):
    await seed(world, [("ann", "study", "q1", True, 140, 0), ("ann", "study", "q2", False, 0, 0)])
    mine = await world.say("/quiz stats")
    fields = {f.name: f.value for f in mine.fields}
    assert fields["Answers"] == "2" and fields["Accuracy"] == "50%" and fields["Points"] == "140"
    theirs = await world.say("/quiz stats user:ann", user="bob")
    assert theirs.title == "Quiz stats · Ann"
    unknown = await world.say("/quiz stats user:nobody")
    assert unknown.is_error


async def test_review_is_private_and_most_missed_first(world):
    await seed(world, [("ann", "study", "jx-what", False, 0, 3),
                       ("ann", "study", "jx-immutable", False, 0, 3),
                       ("ann", "study", "jx-immutable", False, 0, 2)])
    review = await world.say("/quiz review")
    assert review.visibility is Visibility.PRIVATE
    assert review.title.startswith("Review · missed 2×")
    assert world.manager.bank.get("jx-immutable").prompt in review.plain_text()
    assert world.manager.bank.get("jx-what").prompt not in review.plain_text()  # one at a time
    assert "1 more due after this one." in review.plain_text()
    assert review.buttons[0].id.startswith("review:jx-immutable:")
    question = world.manager.bank.get("jx-immutable")
    good = next(i for i, o in enumerate(question.options) if o.correct)
    answered = await world.core.press(f"review:jx-immutable:{good}", world.ctx("ann"))
    assert answered.title == "Right!" and question.explanation in answered.plain_text()
    empty = await world.say("/quiz review", user="newbie")
    assert empty.title == "Nothing to review"


IMPORT = {"questions": [{
    "id": "club-1", "topic": "pytorch", "difficulty": 1, "prompt": "Our club's favourite?",
    "options": [{"text": "PyTorch", "correct": True}, {"text": "Caffe"}],
    "explanation": "We voted.", "source": "club minutes"}]}


async def test_import_is_for_managers_validated_whole_and_per_server(world):
    text = yaml.safe_dump(IMPORT)
    refused = await world.say(f'/quiz import content:"{text}"', user="bob")
    assert refused.is_error and "manage" in refused.plain_text()
    done = await world.say(f'/quiz import content:"{text}"', manager=True)
    assert done.title == "Imported 1 question"
    assert world.manager.bank.get("club-1", "console:club") is not None
    assert world.manager.bank.get("club-1", "console:other-server") is None
    settings = await world.store.get_settings(TENANT)
    assert settings["quiz_questions"][0]["id"] == "club-1"


async def test_import_reports_every_error_with_id_and_field_and_keeps_nothing(world):
    bad = {"questions": [
        {**IMPORT["questions"][0], "id": "ok-one"},
        {**IMPORT["questions"][0], "id": "two-right",
         "options": [{"text": "a", "correct": True}, {"text": "b", "correct": True}]},
        {**IMPORT["questions"][0], "id": "no-why", "explanation": ""},
        {**IMPORT["questions"][0], "id": "odd-topic", "topic": "cooking"},
        {**IMPORT["questions"][0], "id": "jx-what"},
    ]}
    response = await world.say(f'/quiz import content:"{yaml.safe_dump(bad)}"', manager=True)
    text = response.plain_text()
    assert response.is_error and response.title == "Nothing was imported"
    assert "question 'two-right'" in text and "exactly one correct" in text
    assert "question 'no-why'" in text and "explanation" in text
    assert "question 'odd-topic'" in text and "topic" in text
    assert "question 'jx-what'" in text and "built-in" in text
    assert world.manager.bank.get("ok-one", "console:club") is None


async def test_hostile_imports_are_refused_not_executed(world):
    for text in ["!!python/object/apply:os.system ['echo pwned']",
                 "questions: " + "[" * 200 + "]" * 200,
                 "a: &a [x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\n" * 40,
                 "questions:\n" + "  - x\n" * 20000]:
        # As Discord delivers it: the option already split, whatever its size.
        request = Request(command="quiz", subcommand="import", options={"content": text},
                          context=world.ctx("mod", manager=True))
        response = await world.core.handle(request)
        assert response.is_error and response.title == "Nothing was imported"


async def test_forget_asks_first_then_deletes_and_leaves_leaderboards(world):
    await seed(world, [("ann", "study", "q1", True, 150, 0), ("bob", "study", "q1", True, 90, 0)])
    ask = await world.say("/quiz forget")
    assert ask.visibility is Visibility.PRIVATE and ask.buttons[0].id == "forget:ann"
    stolen = await world.core.press("forget:ann", world.ctx("bob"))
    assert "someone else" in stolen.title
    assert (await world.store.user_stats(TENANT, "ann")).answered == 1
    done = await world.core.press("forget:ann", world.ctx("ann"))
    assert done.title.startswith("Done")
    board = (await world.say("/quiz leaderboard")).sections[0].body
    assert "Ann" not in board and "Bob" in board
    assert (await world.store.review_queue(TENANT, "ann")) == []


async def test_start_checks_its_options_and_says_how_to_fix_them(world):
    cases = {
        "/quiz start topic:cooking": ("Unknown topic", "/quiz start topic:jax"),
        "/quiz start difficulty:extreme": ("Unknown difficulty", "easy, medium or hard"),
        "/quiz start topic:keras difficulty:extreme": (
            "Unknown difficulty", "/quiz start topic:keras difficulty:easy"),  # keeps the topic
        "/quiz start questions:0": ("Check the numbers", "0 is out of range: use 1 to 30."),
        "/quiz start questions:31": ("Check the numbers", "31 is out of range: use 1 to 30."),
        "/quiz start questions:ten": ("Check the numbers", "'ten' is not a whole number."),
        "/quiz start time:4": ("Check the numbers", "4 is out of range: use 5 to 120."),
        "/quiz start time:121": ("Check the numbers", "121 is out of range: use 5 to 120."),
    }
    for command, (title, hint) in cases.items():
        response = await world.say(command)
        assert response.is_error and response.title == title, command
        assert hint in response.plain_text(), command
    assert world.manager.running("console", "club", "study") is None  # nothing started
    for good in ("/quiz start questions:1 time:5", "/quiz start questions:30 time:120"):
        started = await world.say(good, channel=good[-3:])
        assert not started.is_error, good
    assert started.title == "Quiz starting: 30 questions, 120 s each"
    one = await world.say("/quiz start questions:1 time:5", channel="one")
    assert one.title == "Quiz starting: 1 question, 5 s each"  # not "1 questions"


def _questions(start: int, count: int) -> str:
    return yaml.safe_dump({"questions": [
        {**IMPORT["questions"][0], "id": f"club-{n}", "prompt": f"Club question {n}?"}
        for n in range(start, start + count)]})


async def test_import_limits_100_per_import_and_500_per_server(world):
    too_many = await world.say(f'/quiz import content:"{_questions(0, 101)}"', manager=True)
    assert too_many.is_error
    assert "101 questions in one import; the limit is 100." in too_many.plain_text()
    for batch in range(5):
        done = await world.say(f'/quiz import content:"{_questions(batch * 100, 100)}"',
                               manager=True)
        assert done.title == "Imported 100 questions", done.plain_text()
    assert "500 questions of its own" in done.plain_text()
    full = await world.say(f'/quiz import content:"{_questions(500, 1)}"', manager=True)
    assert full.is_error and "a server may keep 500 questions; this import would make 501" \
        in full.plain_text()
    assert world.manager.bank.get("club-500", "console:club") is None
    elsewhere = await world.core.handle_text(
        f'/quiz import content:"{_questions(500, 1)}"',
        replace(world.ctx("mod", manager=True), tenant_id="other-club"))
    assert elsewhere.title == "Imported 1 question"  # the limit is per server
