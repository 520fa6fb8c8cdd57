"""The shipped quiz bank is fair: a player who reads only the options' shape scores about chance.

The first tests pin down what the cue checker (bot.quiz.cues) measures on small hand-made
questions, with the expected figures written out; the rest hold the whole shipped bank to the
targets of issue 14 and render every option through the real platform button code.
"""

from __future__ import annotations

import pytest

from adapters.discord import render as discord_render
from adapters.slack import render as slack_render
from bot.quiz import cues, render
from bot.quiz.bank import TOPICS, QuestionBank
from knowledge.schema import Question


def q(prompt: str, right: str, *wrong: str, qid: str = "q-one", difficulty: int = 2) -> Question:
    options = [{"text": right, "correct": True}, *({"text": w} for w in wrong)]
    return Question.model_validate({
        "id": qid, "topic": "pytorch", "difficulty": difficulty, "prompt": prompt,
        "options": options, "explanation": "Because.", "source": "test"})


# --------------------------------------------------------------------------- the checker


def test_pressing_the_longest_scores_one_per_unique_answer_and_a_share_of_a_tie():
    unique = q("Which?", "a longer answer", "short", "tiny", qid="q-unique")
    tied = q("Which?", "same size", "also same", "short", qid="q-tied")
    shortest = q("Which?", "tiny", "a longer wrong", "short one", qid="q-short")
    fig = cues.figures([unique, tied, shortest])
    assert fig.longest_score == 0.5  # (1 + 1/2 + 0) / 3
    assert fig.shortest_score == pytest.approx(0.333)  # only q-short
    assert fig.strictly_longest == pytest.approx(0.333)  # only q-unique
    assert fig.longest_by_30 == 1
    assert fig.longest_by_difficulty == {"2": 0.5}


def test_pressing_the_same_letter_scores_the_share_of_its_most_common_answer_letter():
    first = q("Which?", "right", "wrong", "other", qid="q-a1")
    again = q("Which?", "right", "wrong", "other", qid="q-a2")
    second = Question.model_validate({**first.model_dump(), "id": "q-b", "options": [
        {"text": "wrong"}, {"text": "right", "correct": True}, {"text": "other"}]})
    fig = cues.figures([first, again, second])
    assert fig.answer_letters == {"A": 2, "B": 1}
    assert fig.letter_score == pytest.approx(0.667)
    assert any("same letter scores 67%" in p for p in cues.problems(fig))


def test_an_absolute_word_counts_only_when_the_answer_has_none():
    cue = cues.question_cues(q("When?", "When the cache is cold", "It never does", "Always"))
    assert cue.absolute == ("always", "never")
    both = cues.question_cues(q("When?", "Only when it is cold", "It never does", "On Mondays"))
    assert both.absolute == ()


def test_a_none_of_the_above_that_is_never_right_is_a_cue():
    wrong = q("Which?", "torch.compile", "torch.jit", "None of the above")
    right = q("Which?", "None of these", "torch.jit", "torch.export", qid="q-two")
    assert cues.question_cues(wrong).catch_all == (False,)
    assert "catch-all" in cues.question_cues(wrong).flags
    assert any("None of the above" in p for p in cues.problems(cues.figures([wrong])))
    assert not any("None of the above" in p for p in cues.problems(cues.figures([wrong, right])))


def test_a_stem_word_found_in_the_answer_and_no_distractor_gives_it_away():
    cue = cues.question_cues(q("What does gradient clipping limit?", "The gradients' norm",
                               "The learning rate", "The batch size"))
    assert cue.giveaway == ("gradient",)  # 'gradients'' folds to 'gradient'
    fair = cues.question_cues(q("What does gradient clipping limit?", "The gradient norm",
                                "The gradient mean", "The batch size"))
    assert fair.giveaway == ()


def test_an_option_must_fit_a_slack_button_after_escaping():
    assert cues.label_fits("x" * 72)
    assert not cues.label_fits("x" * 73)
    # 70 characters, but Slack sends '&' as '&amp;': "A) " + 69 + 5 = 77 > 75.
    assert not cues.label_fits("x" * 69 + "&")
    cue = cues.question_cues(q("Which?", "x" * 73, "short…", "fine"))
    assert cue.unfit == ("x" * 73,) and cue.ellipsis == ("short…",)


def test_a_fair_question_raises_no_flag():
    cue = cues.question_cues(q("What does model.eval() change?",
                               "Dropout and batch norm behaviour",
                               "Gradient tracking of parameters",
                               "The precision of the weights"))
    assert cue.flags == ()


# --------------------------------------------------------------------------- the shipped bank

BANK = list(QuestionBank.load().shipped.values())


def test_the_shipped_bank_meets_every_cue_target():
    fig = cues.figures(BANK)
    assert cues.problems(fig) == []
    # The targets of issue 14, written out.
    assert 0.15 <= fig.longest_score <= 0.35
    assert 0.15 <= fig.shortest_score <= 0.35
    assert fig.strictly_longest <= 0.34
    assert fig.letter_score <= 0.35
    assert fig.unfit_options == 0 and fig.ellipsis_options == 0
    assert fig.absolute_cues <= 5
    assert fig.giveaways == 0
    assert fig.catch_all_options == 0 or fig.catch_all_correct >= 0.2 * fig.catch_all_options


def test_guessing_by_length_pays_no_better_on_hard_questions():
    fig = cues.figures(BANK)
    assert set(fig.longest_by_difficulty) == {"1", "2", "3"}
    assert all(score <= 0.35 for score in fig.longest_by_difficulty.values()), fig


def test_every_option_shows_whole_on_every_platform_button():
    for question in BANK:
        buttons = render.option_buttons(question, lambda i: f"quiz:s:0:{i}")
        for letter, button, option in zip("ABCDE", buttons, question.options, strict=False):
            label = f"{letter}) {option.text}"
            assert button.label == label, question.id  # the core did not clip it
            escaped = slack_render.escape(label)
            assert slack_render.truncate(escaped, slack_render.BUTTON_TEXT) == escaped, question.id
            assert discord_render.clip(label, discord_render.LABEL) == label, question.id
            assert "…" not in option.text and "..." not in option.text, question.id


def test_the_bank_keeps_its_size_and_every_topic_has_every_level():
    assert len(BANK) >= 180
    for topic in TOPICS:
        levels = [x.difficulty for x in BANK if x.topic == topic]
        assert len(levels) >= 20, topic
        assert set(levels) == {1, 2, 3}, topic
