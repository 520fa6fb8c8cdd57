"""/quiz import keeps a valid bank but tells the importer where answers can be guessed."""

from __future__ import annotations

import yaml

from bot.models import unmark, user_text
from bot.quiz.importer import cue_warnings, parse_import
from bot.storage import Tenant


def question(qid: str, right: str, *wrong: str, prompt: str = "Which one?") -> dict:
    return {"id": qid, "topic": "pytorch", "difficulty": 1, "prompt": prompt,
            "options": [{"text": right, "correct": True}, *({"text": w} for w in wrong)],
            "explanation": "Because.", "source": "club notes"}


CUED = question("club-cued", "Leaf tensors that were created with requires_grad=True",
                "Never any", "All of them", "Outputs")
FAIR = question("club-fair", "torch.compile", "torch.export", "torch.jit.trace", "torch.fx")


def test_warnings_name_the_question_and_the_cue_without_refusing_it():
    parsed = parse_import(yaml.safe_dump({"questions": [CUED, FAIR]}), set(), 0)
    assert [q.id for q in parsed] == ["club-cued", "club-fair"]
    assert cue_warnings(parsed) == [
        "question 'club-cued': a wrong option says 'all' and the right one has no such word: "
        "players learn to avoid absolutes",
        "question 'club-cued': the right option is much longer than every wrong one",
    ]


def test_a_bank_of_five_or_more_gets_the_length_figure_first_and_is_capped():
    bank = [question(f"club-{i}", "a much longer right answer", "short", "wrong", "nope")
            for i in range(12)]
    parsed = parse_import(yaml.safe_dump({"questions": bank}), set(), 0)
    warnings = cue_warnings(parsed, limit=10)
    assert warnings[0].startswith("always pressing the longest option scores 100%")
    assert "so rarely the shortest" in warnings[1] and "strictly the longest" in warnings[2]
    assert len(warnings) == 10 and warnings[-1] == "and 6 more"  # 3 bank lines + 12, 9 shown


def test_option_text_is_never_echoed_back():
    hostile = question("club-ping", "@everyone " + "x" * 70, "@here wrong…", "b", "c")
    parsed = parse_import(yaml.safe_dump({"questions": [hostile]}), set(), 0)
    text = "\n".join(cue_warnings(parsed))
    assert "option A is longer than 72 characters" in text and "'…'" in text
    assert "@" not in text


async def test_the_import_command_lists_the_cues_and_keeps_the_questions(world):
    cued = await world.say(
        f'/quiz import content:"{yaml.safe_dump({"questions": [CUED]})}"', manager=True)
    assert cued.title == "Imported 1 question" and not cued.is_error
    assert world.manager.bank.get("club-cued", "console:club") is not None
    heading = "Kept, but players could guess some answers without knowing them"
    assert [s.heading for s in cued.sections] == [None, heading]
    assert "• question 'club-cued': a wrong option says 'all'" in cued.sections[1].body
    fair = await world.say(
        f'/quiz import content:"{yaml.safe_dump({"questions": [FAIR]})}"', manager=True)
    assert [s.heading for s in fair.sections] == [None]


async def test_an_imported_source_may_carry_a_link_and_a_date_for_the_answer(world):
    dated = {**FAIR, "id": "club-dated", "source": "Club notes",
             "source_url": "https://example.org/notes", "source_date": "2026-11-01"}
    done = await world.say(
        f'/quiz import content:"{yaml.safe_dump({"questions": [dated, FAIR]})}"', manager=True)
    assert done.title == "Imported 2 questions"
    kept = world.manager.bank.get("club-dated", "console:club")
    assert unmark(kept.citation) == "Club notes (2026-11-01) https://example.org/notes"
    assert user_text("https://example.org/notes") in kept.citation  # a manager's link is text
    assert unmark(world.manager.bank.get("club-fair", "console:club").citation) == "club notes"
    settings = await world.store.get_settings(Tenant("console", "club"))  # kept as written
    assert {q["id"]: q["source_date"] for q in settings["quiz_questions"]} == {
        "club-dated": "2026-11-01", "club-fair": None}
