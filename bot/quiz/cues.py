"""Answer cues: what a player who knows nothing could exploit to beat chance on a quiz bank.

A fair question is answered by knowing the subject, not by reading the options' shape. These
pure functions measure the shape-only strategies (press the longest option, avoid absolute
words, match a word of the question) over a list of questions, so the shipped bank can be held
to fixed targets in a test and an imported bank can be checked with warnings on import.

Run ``python -m bot.quiz.cues [files...]`` for a per-file table of the figures (all shipped
files by default); the last line is one JSON object.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bot.quiz.render import BUTTON_TEXT
from knowledge.schema import Question

# Targets over a whole bank (see issue 14). Chance is 1/options, about 25%.
MAX_LONGEST_SCORE = 0.35  # "always press the longest option" (ties count 1/k)
MAX_SHORTEST_SCORE = 0.35  # the same cue turned round: "always press the shortest"
MIN_LENGTH_SCORE = 0.15  # far below chance is a cue too: "never press the longest/shortest"
MAX_STRICTLY_LONGEST = 0.34  # correct option strictly longer than every distractor
MAX_LETTER_SCORE = 0.35  # "always press A": answers spread over the letters as shipped
MAX_ABSOLUTE_CUES = 5  # a distractor says "always"/"never"/... and the answer does not
MIN_CATCH_ALL_CORRECT = 0.2  # "None of the above" options must sometimes be right

# Buttons read "A) text". Slack caps button text at 75 characters after escaping & < >;
# Discord allows 80; the core clips labels at bot.quiz.render.BUTTON_TEXT.
BUTTON_PREFIX = len("A) ")
SLACK_BUTTON = 75
MAX_OPTION = SLACK_BUTTON - BUTTON_PREFIX  # 72

ABSOLUTES = frozenset(
    {"only", "always", "never", "all", "none", "every", "nothing", "cannot", "must"})
_CATCH_ALL = re.compile(
    r"^\s*(none\b|nothing\b|all of the above|both of the above|neither\b)", re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z0-9_']*")
STOPWORDS = frozenset("""
    about above after again against along among another because before being below between
    both called could doesn't during either every first other others their there these they're
    those three through under until using where which while whose would should without within
    still since shall might cannot instead rather given makes number value values
    pytorch torch tensorflow keras jax flax
""".split())


@dataclass(frozen=True)
class QuestionCues:
    """The shape cues of one question; an empty ``flags`` means none of them fired."""

    id: str
    topic: str
    difficulty: int
    longest_share: float  # what "press the longest" scores here: 1/k if the answer ties k ways
    shortest_share: float
    strictly_longest: bool
    length_ratio: float  # correct length / longest distractor length
    unfit: tuple[str, ...] = ()  # options that do not fit a button unclipped
    ellipsis: tuple[str, ...] = ()  # options that contain "…" or "..."
    absolute: tuple[str, ...] = ()  # absolute words in distractors when the answer has none
    catch_all: tuple[bool, ...] = ()  # one entry per "None of ..." option: is it correct?
    giveaway: tuple[str, ...] = ()  # words of the answer found in the stem and in no distractor
    flags: tuple[str, ...] = field(default=())


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def _norm(word: str) -> str:
    """Fold simple plurals and possessives so 'layers' in the stem matches 'layer'."""
    word = word.removesuffix("'s").rstrip("'")
    if len(word) > 5 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _distinctive(text: str) -> set[str]:
    return {_norm(w) for w in _words(text) if len(w) >= 5 and w not in STOPWORDS}


def label_fits(text: str, letter: str = "A") -> bool:
    """Whether "A) text" shows whole on every platform's button."""
    label = f"{letter}) {text}"
    slack = label.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return len(label) <= BUTTON_TEXT and len(slack) <= SLACK_BUTTON and len(text) <= MAX_OPTION


def question_cues(question: Question) -> QuestionCues:
    texts = [o.text.strip() for o in question.options]
    answer = next(i for i, o in enumerate(question.options) if o.correct)
    lengths = [len(t) for t in texts]
    others = [n for i, n in enumerate(lengths) if i != answer]
    top, low = max(lengths), min(lengths)
    longest = 1 / lengths.count(top) if lengths[answer] == top else 0.0
    shortest = 1 / lengths.count(low) if lengths[answer] == low else 0.0
    unfit = tuple(t for t in texts if not label_fits(t))
    ellipsis = tuple(t for t in texts if "…" in t or "..." in t)
    answer_abs = ABSOLUTES & set(_words(texts[answer]))
    absolute: tuple[str, ...] = ()
    if not answer_abs:
        absolute = tuple(sorted({w for i, t in enumerate(texts) if i != answer
                                 for w in _words(t) if w in ABSOLUTES}))
    catch_all = tuple(i == answer for i, t in enumerate(texts) if _CATCH_ALL.match(t))
    stem = _distinctive(question.prompt)
    in_distractors = set().union(*(_distinctive(t) for i, t in enumerate(texts) if i != answer))
    giveaway = tuple(sorted((_distinctive(texts[answer]) & stem) - in_distractors))
    strictly = lengths[answer] > max(others)
    flags = [name for name, hit in (
        ("unfit", unfit), ("ellipsis", ellipsis), ("absolute", absolute),
        ("catch-all", catch_all and not any(catch_all)), ("giveaway", giveaway),
        ("longest by 30%+", lengths[answer] >= 1.3 * max(others)),
    ) if hit]
    return QuestionCues(
        id=question.id, topic=question.topic, difficulty=question.difficulty,
        longest_share=longest, shortest_share=shortest, strictly_longest=strictly,
        length_ratio=round(lengths[answer] / max(others), 2), unfit=unfit, ellipsis=ellipsis,
        absolute=absolute, catch_all=catch_all, giveaway=giveaway, flags=tuple(flags))


@dataclass(frozen=True)
class BankFigures:
    """The bank-level figures the targets are written against."""

    questions: int
    longest_score: float  # share of points "always press the longest" earns
    shortest_score: float
    strictly_longest: float  # share of questions whose answer is strictly the longest
    longest_by_30: int  # answers at least 30% longer than every distractor
    unfit_options: int
    unfit_correct: int
    ellipsis_options: int
    absolute_cues: int
    catch_all_options: int
    catch_all_correct: int
    giveaways: int
    letter_score: float  # share of points "always press the most common answer letter" earns
    answer_letters: dict[str, int]
    longest_by_difficulty: dict[str, float]
    difficulty: dict[str, int]
    topics: dict[str, int]


def figures(questions: Sequence[Question]) -> BankFigures:
    cues = [question_cues(q) for q in questions]
    n = max(len(cues), 1)
    by_level: dict[str, list[float]] = {}
    for c in cues:
        by_level.setdefault(str(c.difficulty), []).append(c.longest_share)
    unfit_correct = sum(
        1 for q in questions for o in q.options if o.correct and not label_fits(o.text.strip()))
    catch = [hit for c in cues for hit in c.catch_all]
    letters = Counter("ABCDE"[next(i for i, o in enumerate(q.options) if o.correct)]
                      for q in questions)
    return BankFigures(
        questions=len(cues),
        longest_score=round(sum(c.longest_share for c in cues) / n, 3),
        shortest_score=round(sum(c.shortest_share for c in cues) / n, 3),
        strictly_longest=round(sum(c.strictly_longest for c in cues) / n, 3),
        longest_by_30=sum("longest by 30%+" in c.flags for c in cues),
        unfit_options=sum(len(c.unfit) for c in cues),
        unfit_correct=unfit_correct,
        ellipsis_options=sum(len(c.ellipsis) for c in cues),
        absolute_cues=sum(bool(c.absolute) for c in cues),
        catch_all_options=len(catch),
        catch_all_correct=sum(catch),
        giveaways=sum(bool(c.giveaway) for c in cues),
        letter_score=round(max(letters.values(), default=0) / n, 3),
        answer_letters=dict(sorted(letters.items())),
        longest_by_difficulty={k: round(sum(v) / len(v), 3) for k, v in sorted(by_level.items())},
        difficulty=dict(sorted(Counter(str(c.difficulty) for c in cues).items())),
        topics=dict(sorted(Counter(c.topic for c in cues).items())),
    )


def length_problems(fig: BankFigures) -> list[str]:
    """Where the options' lengths point at the answer (or away from it) over a bank."""
    out = []
    if fig.longest_score > MAX_LONGEST_SCORE:
        out.append(f"always pressing the longest option scores {fig.longest_score:.0%} "
                   f"(target at most {MAX_LONGEST_SCORE:.0%}): make distractors as long and "
                   "as detailed as the answer")
    if fig.shortest_score > MAX_SHORTEST_SCORE:
        out.append(f"always pressing the shortest option scores {fig.shortest_score:.0%} "
                   f"(target at most {MAX_SHORTEST_SCORE:.0%})")
    for name, score in (("longest", fig.longest_score), ("shortest", fig.shortest_score)):
        if fig.questions and score < MIN_LENGTH_SCORE:
            out.append(f"the answer is so rarely the {name} option ({score:.0%}) that avoiding "
                       f"the {name} beats chance (target at least {MIN_LENGTH_SCORE:.0%})")
    if fig.strictly_longest > MAX_STRICTLY_LONGEST:
        out.append(f"the answer is strictly the longest option in {fig.strictly_longest:.0%} "
                   f"of questions (target at most {MAX_STRICTLY_LONGEST:.0%})")
    return out


def problems(fig: BankFigures) -> list[str]:
    """Where a bank misses the targets, in words an author can act on; empty when fair."""
    out = length_problems(fig)
    if fig.letter_score > MAX_LETTER_SCORE:
        out.append(f"always pressing the same letter scores {fig.letter_score:.0%} "
                   f"(target at most {MAX_LETTER_SCORE:.0%}; answers by letter "
                   f"{fig.answer_letters}): spread the answers over the letters")
    if fig.unfit_options:
        out.append(f"{fig.unfit_options} option(s) do not fit a button: keep options to "
                   f"{MAX_OPTION} characters")
    if fig.ellipsis_options:
        out.append(f"{fig.ellipsis_options} option(s) contain an ellipsis")
    if fig.absolute_cues > MAX_ABSOLUTE_CUES:
        out.append(f"{fig.absolute_cues} questions have an absolute word (only, always, never, "
                   f"...) in a distractor and none in the answer (target at most "
                   f"{MAX_ABSOLUTE_CUES})")
    catch_floor = MIN_CATCH_ALL_CORRECT * fig.catch_all_options
    if fig.catch_all_options and fig.catch_all_correct < catch_floor:
        out.append(f"'None of the above'-style options are right {fig.catch_all_correct} times "
                   f"in {fig.catch_all_options}: make them sometimes right or drop them")
    if fig.giveaways:
        out.append(f"{fig.giveaways} question(s) repeat a word of the answer in the question "
                   "that no distractor has")
    return out


def question_warnings(question: Question) -> list[str]:
    """One line per cue a single question shows, for an author importing their own bank.

    Only ids, letters and plain words (``[a-z0-9_']``) are quoted back, never option text.
    """
    c = question_cues(question)
    out = []
    for i, option in enumerate(question.options):  # by letter: option text is user text
        if option.text.strip() in c.unfit:
            out.append(f"option {'ABCDE'[i]} is longer than {MAX_OPTION} characters and is "
                       "cut on its button")
    if c.ellipsis:
        out.append("an option contains '…'; write it out in full")
    if c.absolute:
        out.append(f"a wrong option says '{c.absolute[0]}' and the right one has no such word: "
                   "players learn to avoid absolutes")
    if c.catch_all and not any(c.catch_all):
        out.append("a 'None of the above'-style option that is wrong is easy to rule out")
    if c.giveaway:
        out.append(f"the question and only the right option share '{c.giveaway[0]}'")
    if "longest by 30%+" in c.flags:
        out.append("the right option is much longer than every wrong one")
    return [f"question '{question.id}': {w}" for w in out]


# --------------------------------------------------------------------------- command line

def _row(name: str, fig: BankFigures) -> str:
    d = fig.difficulty
    return (f"{name:<16}{fig.questions:>4} {fig.longest_score:>7.0%} {fig.shortest_score:>6.0%}"
            f" {fig.strictly_longest:>7.0%} {fig.longest_by_30:>5} {fig.unfit_options:>5}"
            f" {fig.ellipsis_options:>4} {fig.letter_score:>4.0%} {fig.absolute_cues:>4} "
            f"{fig.catch_all_correct:>2}/{fig.catch_all_options:<2} {fig.giveaways:>5}   "
            f"{d.get('1', 0):>2}/{d.get('2', 0):>2}/{d.get('3', 0):>2}")


def main(argv: Sequence[str] | None = None) -> int:
    from bot.quiz.bank import load_files
    from knowledge.loader import DEFAULT_DIR

    args = list(sys.argv[1:] if argv is None else argv)
    quiet = "--quiet" in args
    paths = ([Path(a) for a in args if a != "--quiet"]
             or sorted((DEFAULT_DIR / "quiz").glob("*.yaml")))
    per_file = {p.stem: load_files([p]) for p in paths}
    every = [q for qs in per_file.values() for q in qs]
    print(f"{'file':<16}{'n':>4} {'longest':>7} {'short':>6} {'strict':>7} {'+30%':>5}"
          f" {'unfit':>5} {'…':>4} {'same':>4} {'abs':>4} {'none':>5} {'stem':>5}"
          "   easy/med/hard")
    for name, qs in per_file.items():
        print(_row(name, figures(qs)))
    overall = figures(every)
    print(_row("ALL", overall))
    print(f"longest score by difficulty: {overall.longest_by_difficulty}; topics: {overall.topics}")
    if not quiet:
        for q in every:
            lines = question_warnings(q)
            c = question_cues(q)
            if c.strictly_longest and "longest by 30%+" not in c.flags:
                lines.append(f"question '{q.id}': the right option is strictly the longest "
                             f"(ratio {c.length_ratio})")
            for line in lines:
                print("  " + line)
    found = problems(overall)
    for line in found:
        print("TARGET MISSED: " + line)
    print(json.dumps({"files": {k: asdict(figures(v)) for k, v in per_file.items()},
                      "overall": asdict(overall), "problems": found}))
    return 1 if found else 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except BrokenPipeError:  # piped into head: the reader has what it wanted
        sys.stderr.close()
        raise SystemExit(0) from None
