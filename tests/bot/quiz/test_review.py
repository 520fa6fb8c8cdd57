"""/quiz review as spaced practice (FSRS), on a controlled clock and a real store on disk."""

from __future__ import annotations

import datetime as dt
import io

from rich.console import Console

from adapters.console import ConsoleAdapter
from bot.models import Visibility
from bot.storage import AnswerRecord, Tenant

from .conftest import make_world

TENANT = Tenant("console", "club")
QID = "jx-immutable"  # any shipped question would do; missing, the first one is used


def qid(world, n: int = 0) -> str:  # noqa: ANN001
    """A shipped question: ``QID`` first, then others in id order (the bank may change)."""
    ids = sorted(world.manager.bank.shipped, key=lambda i: (i != QID, i))
    return ids[n]


async def miss(world, question: str | None = None, user: str = "ann") -> None:  # noqa: ANN001
    await world.store.record_answer(TENANT, AnswerRecord(
        channel_id="study", user_id=user, user_name=user.capitalize(),
        question_id=question or qid(world),
        correct=False, points=0, answered_at=world.clock.now()))


def right_position(bank, text: str, question_id: str) -> int:  # noqa: ANN001
    """Where the right option is shown, read from the options as the person reads them."""
    question = bank.get(question_id)
    answer = next(o.text for o in question.options if o.correct)
    (found,) = [i for i in range(len(question.options)) if f"{'ABCDE'[i]}) {answer}" in text]
    return found


def right_button(world, response, right: bool = True) -> str:  # noqa: ANN001
    qid = response.buttons[0].id.split(":")[1]
    good = right_position(world.manager.bank, response.plain_text(), qid)
    return response.buttons[good if right else (good + 1) % len(response.buttons)].id


async def due_date(world, user: str = "ann") -> dt.datetime:  # noqa: ANN001
    (card,) = await world.store.review_cards(TENANT, user)
    return dt.datetime.fromisoformat(card.card["due"])


async def stats(world) -> dict[str, str]:  # noqa: ANN001
    return {f.name: f.value for f in (await world.say("/quiz stats")).fields}


async def test_a_month_of_practice_spaces_reviews_out_until_learned(world):
    start = world.clock.now()
    await miss(world)
    first = await world.say("/quiz review")
    assert first.title == "Nothing due right now" and "in 10 min" in first.plain_text()
    gaps: list[dt.timedelta] = []
    for _ in range(12):  # a bound, so a question that is never learned fails, not hangs
        world.clock.set(await due_date(world) if gaps else start + dt.timedelta(minutes=10))
        asked = await world.say("/quiz review")
        assert asked.visibility is Visibility.PRIVATE and asked.title.startswith("Review")
        assert (await stats(world))["Review due"] == "1"
        reply = await world.core.press(right_button(world, asked), world.ctx("ann"))
        assert reply.title == "Right!" and reply.visibility is Visibility.PRIVATE
        if "Learned" in reply.plain_text():
            break
        gaps.append(await due_date(world) - world.clock.now())
        assert "It comes back in" in reply.plain_text()
        assert (await world.say("/quiz review")).title == "Nothing due right now"
    else:
        raise AssertionError(f"not learned after 12 right answers: {gaps}")
    # Each right answer pushes the next review further out; three weeks away means learned.
    assert gaps[0] == dt.timedelta(days=1)
    assert all(a < b for a, b in zip(gaps, gaps[1:], strict=False)), gaps
    assert gaps[-1] < dt.timedelta(days=21)
    assert world.clock.now() - start < dt.timedelta(days=31)
    done = await world.say("/quiz review")
    assert done.title == "Nothing to review" and "Learned so far: 1" in done.plain_text()
    assert (await stats(world))["Review due"] == "0" and (await stats(world))["Learned"] == "1"
    # Missing it again in a quiz puts it back in the queue.
    world.clock.set(world.clock.now() + dt.timedelta(days=3))
    await miss(world)
    world.clock.set(world.clock.now() + dt.timedelta(minutes=10))
    back = await world.say("/quiz review")
    assert back.title.startswith("Review · missed 2×")
    assert (await stats(world))["Learned"] == "0"


async def test_a_wrong_practice_answer_brings_it_back_in_ten_minutes(world):
    await miss(world)
    world.clock.set(world.clock.now() + dt.timedelta(minutes=10))
    asked = await world.say("/quiz review")
    reply = await world.core.press(right_button(world, asked, right=False), world.ctx("ann"))
    assert reply.title.startswith("Not quite: the answer is")
    assert await due_date(world) - world.clock.now() == dt.timedelta(minutes=10)
    (card,) = await world.store.review_cards(TENANT, "ann")
    assert (card.misses, card.reviews, card.correct) == (2, 1, 0)
    world.clock.set(world.clock.now() + dt.timedelta(minutes=10))
    assert (await world.say("/quiz review")).title.startswith("Review · missed 2×")


async def test_pressing_the_same_answer_twice_counts_once(world):
    await miss(world)
    world.clock.set(world.clock.now() + dt.timedelta(minutes=10))
    asked = await world.say("/quiz review")
    button = right_button(world, asked)
    assert (await world.core.press(button, world.ctx("ann"))).title == "Right!"
    again = await world.core.press(button, world.ctx("ann"))
    assert again.title == "You already answered that one"
    (card,) = await world.store.review_cards(TENANT, "ann")
    assert (card.reviews, card.correct) == (1, 1)


async def test_two_presses_at_once_count_once(world):
    import asyncio

    await miss(world)
    world.clock.set(world.clock.now() + dt.timedelta(minutes=10))
    asked = await world.say("/quiz review")
    button = right_button(world, asked)
    replies = await asyncio.gather(*(world.core.press(button, world.ctx("ann"))
                                     for _ in range(3)))
    assert sorted(r.title for r in replies) == [
        "Right!", "You already answered that one", "You already answered that one"]
    (card,) = await world.store.review_cards(TENANT, "ann")
    assert (card.reviews, card.correct) == (1, 1)


async def test_the_store_saves_a_card_only_over_the_version_it_was_read_at(world):
    from bot.storage import ReviewCard

    card = ReviewCard(qid(world), {"state": 1}, misses=1, reviews=1, correct=1)
    assert await world.store.save_review_card(TENANT, "ann", card, expected_reviews=0)
    assert not await world.store.save_review_card(TENANT, "ann", card, expected_reviews=0)
    (stored,) = await world.store.review_cards(TENANT, "ann")
    assert stored.reviews == 1


async def test_options_are_shuffled_per_review_and_the_same_on_a_rerun(world):
    await miss(world)
    world.clock.set(world.clock.now() + dt.timedelta(minutes=10))
    first = await world.say("/quiz review")
    assert (await world.say("/quiz review")).plain_text() == first.plain_text()
    orders = set()
    for _ in range(4):  # each right answer makes the next review a new shuffle
        asked = await world.say("/quiz review")
        orders.add(tuple(b.label for b in asked.buttons))
        await world.core.press(right_button(world, asked), world.ctx("ann"))
        world.clock.set(await due_date(world))
    assert len(orders) > 1


async def test_the_queue_survives_a_restart(world, knowledge, tmp_path):  # noqa: ANN001
    await miss(world, qid(world, 1))
    await miss(world)
    world.clock.set(world.clock.now() + dt.timedelta(minutes=10))
    asked = await world.say("/quiz review")
    await world.core.press(right_button(world, asked), world.ctx("ann"))
    before = {c.question_id: c.card["due"] for c in await world.store.review_cards(TENANT, "ann")}
    await world.manager.shutdown()
    await world.store.close()
    again = await make_world(knowledge, world.data_dir, world.clock)
    try:
        after = {c.question_id: c.card["due"]
                 for c in await again.store.review_cards(TENANT, "ann")}
        assert after == before
        left = await again.say("/quiz review")  # the other question is still due
        assert left.title.startswith("Review") and left.buttons
        assert left.buttons[0].id.split(":")[1] not in before
    finally:
        await again.manager.shutdown()
        await again.store.close()


async def test_forget_removes_the_practice_queue(world):
    await miss(world)
    world.clock.set(world.clock.now() + dt.timedelta(minutes=10))
    asked = await world.say("/quiz review")
    await world.core.press(right_button(world, asked), world.ctx("ann"))
    assert await world.store.review_cards(TENANT, "ann")
    await world.core.press("forget:ann", world.ctx("ann"))
    assert await world.store.review_cards(TENANT, "ann") == []
    assert await world.store.review_queue(TENANT, "ann") == []
    assert (await world.say("/quiz review")).title == "Nothing to review"


async def test_practice_in_the_console_with_letter_buttons(world):
    await miss(world)
    world.clock.set(world.clock.now() + dt.timedelta(minutes=10))
    buffer = io.StringIO()
    console = ConsoleAdapter(world.core, Console(file=buffer, width=120), tenant_id="club")
    await console.handle_line(":as ann")
    await console.handle_line(":in #study")
    asked = await console.handle_line("/quiz review")
    assert asked is not None
    letter = "ABCDE"[right_position(world.manager.bank, asked.plain_text(), qid(world))]
    reply = await console.handle_line(letter.lower())
    assert asked is not None and reply is not None and reply.title == "Right!"
    assert "only ann can see this" in buffer.getvalue() and "comes back in 1 day" in \
        buffer.getvalue().replace("\n", " ")
    nxt = await console.handle_line("a")  # the "Next review question" button
    assert nxt is not None and nxt.title == "Nothing due right now"
