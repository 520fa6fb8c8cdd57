"""/framework end to end through the core: roles, aliases, typos, modifiers, unknown roles."""

from __future__ import annotations

import pytest

from bot.commands.framework import CARD_WORDS, word_count
from bot.models import Visibility

ARTICLE = {
    "/framework role:ml-researcher": ["PyTorch"],
    "/framework role:ai-software-engineer": ["TensorFlow"],
    "/framework role:data-scientist": ["Keras", "TensorFlow"],
    "/framework role:ml-engineer": ["PyTorch", "Keras"],
    "/framework role:research-academic": ["PyTorch"],
    "/framework role:enterprise-scalable": ["TensorFlow"],
    "/framework role:quick-development": ["Keras"],
    "/framework role:cv-researcher": ["PyTorch"],
    "/framework role:enterprise-ml-engineer": ["TensorFlow"],
}


def picks(response) -> list[str]:
    """The picked frameworks, main first, as the card's headings show them."""
    return [s.heading.split(":")[0] for s in response.sections
            if s.heading and s.heading.endswith((": main pick", ": also learn"))]


def section(response, heading: str) -> str:
    return {s.heading: s.body for s in response.sections}[heading]


async def press(core, ctx, response, label: str):
    button = next(b for b in response.buttons if b.label.startswith(label))
    return await core.press(button.id, ctx)


@pytest.mark.parametrize(("text", "expected"), ARTICLE.items())
async def test_article_roles_and_verdicts_give_the_articles_answer(core, ctx, text, expected):
    response = await core.handle_text(text, ctx)
    assert not response.is_error
    assert picks(response) == expected


async def test_ml_engineer_is_a_short_card_with_the_rest_one_press_away(core, ctx):
    response = await core.handle_text("/framework role:ml-engineer", ctx)
    assert picks(response) == ["PyTorch", "Keras"]
    assert len(section(response, "PyTorch: main pick")) > 20
    assert section(response, "First step this week").startswith("Learn PyTorch")
    assert word_count(response) <= CARD_WORDS
    assert response.visibility is Visibility.CHANNEL and response.accent == "pytorch"
    labels = [b.label for b in response.buttons]
    assert labels[:4] == ["Learning path", "Since the article", "Job market", "Sources"]
    assert {"About PyTorch", "About Keras", "Compare PyTorch and Keras"} <= set(labels)
    path = await press(core, ctx, response, "Learning path")
    assert path.visibility is Visibility.PRIVATE
    assert section(path, "Starting with PyTorch").startswith("1. Learn PyTorch")
    assert "Hugging Face Transformers" in section(path, "Pair it with")
    market = await press(core, ctx, response, "Job market")
    assert market.visibility is Visibility.PRIVATE and "startups" in section(market, "Job market")
    sources = await press(core, ctx, response, "Sources")
    assert "CBT Nuggets" in sources.plain_text() and sources.visibility is Visibility.PRIVATE


async def test_since_the_article_shows_at_most_two_relevant_notes_once(core, ctx, knowledge):
    response = await core.handle_text("/framework role:ml-engineer", ctx)
    since = await press(core, ctx, response, "Since the article")
    notes = [s for s in since.sections if s.heading]
    assert [s.heading.split(",")[0] for s in notes] == ["PyTorch", "Keras"]
    production = knowledge.update("pytorch-production-ready")[1]
    assert notes[0].body.startswith(production.now) and "as of 2026-11-24" in notes[0].heading
    assert "The article said: PyTorch is less optimised" in notes[0].body
    # The research-share note is about PyTorch but not about a startup ML engineer.
    assert knowledge.update("pytorch-research-share")[1].now not in since.plain_text()
    assert since.footer.startswith("Sources: ") and "PyTorch 2.0" in since.footer


async def test_a_note_on_something_the_article_never_covered_reads_naturally(core, ctx):
    response = await core.handle_text("/framework role:nlp-researcher", ctx)
    since = await press(core, ctx, response, "Since the article")
    text = since.plain_text()
    assert "The article does not discuss NLP libraries." in text
    assert "said: The article" not in text


async def test_the_goal_adds_notes_that_matter_for_it(core, ctx):
    plain = await core.handle_text("/framework role:ml-researcher", ctx)
    enterprise = await core.handle_text("/framework role:ml-researcher goal:enterprise", ctx)
    assert "TensorFlow" in picks(enterprise)
    since = await press(core, ctx, enterprise, "Since the article")
    before = await press(core, ctx, plain, "Since the article")
    assert since.plain_text() != before.plain_text()
    assert "TensorFlow Serving is still maintained" in since.plain_text()


@pytest.mark.parametrize(
    ("typed", "role_name_part"),
    [("ml eng", "ML Engineer"), ("MLE", "ML Engineer"), ("data sci", "Data Scientist"),
     ("reseacher", "Researcher"), ("ML_Engineer", "ML Engineer"), ('"ml engineer"', "ML Engineer"),
     ("Data-Scientist", "Data Scientist")],
)
async def test_aliases_case_separators_and_typos_resolve(core, ctx, typed, role_name_part):
    for text in (f"/framework role:{typed}", f"/framework {typed.strip(chr(34))}"):
        response = await core.handle_text(text, ctx)
        assert not response.is_error, text
        assert role_name_part.lower() in response.title.lower(), (text, response.title)


async def test_unknown_role_gets_three_ready_to_copy_suggestions(core, ctx):
    response = await core.handle_text("/framework role:astronaut", ctx)
    assert response.is_error and response.visibility is Visibility.PRIVATE
    body = response.sections[0].body
    assert body.count("/framework role:") == 3
    assert len(response.buttons) == 3
    assert all(b.id.startswith("run:/framework role:") for b in response.buttons)
    # Each suggestion is a command that works.
    for button in response.buttons:
        assert not (await core.press(button.id, ctx)).is_error


async def test_no_options_lists_roles_grouped_with_hints(core, ctx, knowledge):
    response = await core.handle_text("/framework", ctx)
    headings = [s.heading for s in response.sections]
    for group in knowledge.groups.values():
        assert group.title in headings
    text = response.plain_text()
    for role in knowledge.roles.values():
        assert f"{role.id}: {role.hint}" in text
    assert response.buttons[0].id == "fwc:start"
    # Each way to tailor the answer is a line of its own, so no value breaks across lines.
    tailor = next(s.body for s in response.sections if s.heading == "Tailor the answer")
    for dim in knowledge.dimensions.values():
        assert f"\n• {dim.id}:{'|'.join(o.id for o in dim.options)}" in tailor


@pytest.mark.parametrize("dimension", ["experience", "region", "goal"])
async def test_every_modifier_changes_the_answer_and_says_why(core, ctx, knowledge, dimension):
    base = await core.handle_text("/framework role:data-scientist", ctx)
    for option in knowledge.dimensions[dimension].options:
        tailored = await core.handle_text(
            f"/framework role:data-scientist {dimension}:{option.id}", ctx)
        assert tailored.plain_text() != base.plain_text(), option.id
        assert option.name in section(tailored, "Your options"), option.id
        market = await press(core, ctx, tailored, "Job market and your options")
        assert option.reason in section(market, "How your options shape this"), option.id


async def test_goal_enterprise_promotes_tensorflow_for_a_data_scientist(core, ctx):
    response = await core.handle_text("/framework role:data-scientist goal:enterprise", ctx)
    assert picks(response) == ["TensorFlow", "Keras"]
    assert section(response, "Your options") == (
        "With Enterprise: TensorFlow moves ahead of Keras.")
    assert response.accent == "tensorflow"
    assert section(response, "First step this week").startswith("Learn TensorFlow 2")
    path = await press(core, ctx, response, "Learning path")
    assert section(path, "Starting with TensorFlow").startswith("1. Learn TensorFlow 2")


async def test_a_framework_an_option_favours_says_where_it_ends_up(core, ctx):
    response = await core.handle_text("/framework role:ml-researcher region:silicon-valley", ctx)
    assert picks(response) == ["PyTorch"]
    assert section(response, "Your options") == "With Silicon Valley, the picks stay the same."
    market = await press(core, ctx, response, "Job market and your options")
    shaped = section(market, "How your options shape this")
    assert "TensorFlow still does not make the picks for this role" in shaped
    assert "moves up" not in shaped
    joined = await core.handle_text("/framework role:ml-researcher goal:enterprise", ctx)
    market = await press(core, ctx, joined, "Job market and your options")
    assert "TensorFlow is your second pick" in section(market, "How your options shape this")


async def test_a_beginner_whose_options_lift_keras_starts_with_keras(core, ctx):
    response = await core.handle_text(
        "/framework role:ml-engineer experience:beginner goal:prototyping", ctx)
    assert picks(response)[0] == "Keras"
    assert section(response, "First step this week").startswith("Train a first Keras model")
    path = await press(core, ctx, response, "Learning path")
    pairs = section(path, "Pair it with")
    assert "Hugging Face Transformers" in pairs  # PyTorch is still picked
    assert "Build the same baseline in Keras" not in path.plain_text()


async def test_advanced_puts_its_first_step_in_the_main_pick_first(core, ctx, knowledge):
    advanced = knowledge.option("experience", "advanced")
    response = await core.handle_text("/framework role:ai-software-engineer experience:advanced",
                                      ctx)
    expected = advanced.first_step.format(main="TensorFlow")
    assert section(response, "First step this week") == expected
    path = await press(core, ctx, response, "Learning path")
    assert section(path, "Starting with TensorFlow").startswith(f"1. {expected}")


async def test_modifier_values_accept_aliases_and_reject_nonsense_with_choices(core, ctx):
    ok = await core.handle_text("/framework role:mle experience:Beginner region:Asia", ctx)
    assert not ok.is_error
    bad = await core.handle_text("/framework role:mle region:mars", ctx)
    assert bad.is_error and "region" in bad.title.lower()
    assert "/framework role:ml-engineer region:" in bad.sections[0].body


async def test_out_of_date_article_points_are_corrected_with_date(core, ctx):
    response = await core.handle_text("/framework role:data-scientist", ctx)
    since = await press(core, ctx, response, "Since the article")
    assert "Keras 3" in since.plain_text() and "as of 20" in since.plain_text()


async def test_malformed_options_say_what_is_wrong_with_an_example(core, ctx):
    response = await core.handle_text("/framework rol:mle", ctx)
    assert response.is_error and "Did you mean 'role'" in response.plain_text()
    assert "/framework role:" in response.plain_text()


async def test_role_autocomplete_uses_the_fuzzy_matcher(core):
    spec = core.registry.get("framework")
    assert core.complete(spec, "role", "data")[0][0] in {
        "data-scientist", "data-analyst", "data-engineer"}
    assert len(core.complete(spec, "role", "")) <= 25
    assert ("ml-engineer", core.knowledge.roles["ml-engineer"].name) in core.complete(
        spec, "role", "mle")


async def test_sources_include_those_of_the_notes_shown(core, ctx, knowledge):
    response = await core.handle_text("/framework role:data-scientist", ctx)
    sources = await press(core, ctx, response, "Sources")
    keras_update = knowledge.update("keras-3-multi-backend")[1]
    for title in knowledge.source_titles(keras_update.sources):
        assert title in sources.plain_text()


async def test_a_stale_detail_button_says_it_has_expired(core, ctx):
    for stale in ("fw:path:astronaut:::", "fw:nonsense:ml-engineer:::",
                  "fw:path:ml-engineer:guru::", "fw:path", "fwc:mars", "fwc:vision:beginner:x:y"):
        response = await core.press(stale, ctx)
        assert response.is_error and "expired" in response.title, stale


TODAYS_TITLES = {
    # typed as people type them -> (role id, picks)
    "AI engineer": ("ai-product-engineer", ["PyTorch", "Keras"]),
    "GenAI engineer": ("ai-product-engineer", ["PyTorch", "Keras"]),
    "LLM engineer": ("nlp-llm-engineer", ["PyTorch", "JAX"]),
    "research engineer": ("research-engineer", ["PyTorch", "JAX"]),
    "applied scientist": ("applied-scientist", ["PyTorch", "TensorFlow"]),
    "deep learning engineer": ("deep-learning-engineer", ["PyTorch", "TensorFlow"]),
    "NLP researcher": ("nlp-researcher", ["PyTorch"]),
    "android developer": ("android-developer", ["TensorFlow", "PyTorch"]),
    "iOS developer": ("ios-developer", ["PyTorch", "TensorFlow"]),
    "on-device developer": ("mobile-edge-developer", ["TensorFlow", "PyTorch"]),
    "kaggler": ("kaggle-competitor", ["PyTorch", "Keras"]),
    "PhD student": ("research-academic", ["PyTorch"]),
}


@pytest.mark.parametrize(("typed", "expected"), TODAYS_TITLES.items())
async def test_todays_job_titles_resolve_to_a_sourced_role(core, ctx, knowledge, typed,
                                                           expected):
    role_id, expected_picks = expected
    role = knowledge.roles[role_id]
    response = await core.handle_text(f'/framework role:"{typed}"', ctx)
    assert not response.is_error and response.title.startswith(role.name), typed
    assert picks(response) == expected_picks
    assert any(s != "article" and s in knowledge.sources for s in role.sources)


@pytest.mark.parametrize("role_id", ["prompt-engineer", "data-analyst", "data-engineer"])
async def test_work_without_deep_learning_gets_an_honest_answer(core, ctx, knowledge, role_id):
    role = knowledge.roles[role_id]
    response = await core.handle_text(f"/framework role:{role_id} goal:research", ctx)
    assert response.title == f"{role.name}: no deep-learning framework needed"
    assert picks(response) == []  # nothing is presented as a pick ...
    assert section(response, "Learn this instead") == role.instead
    later = role.primary
    name = knowledge.frameworks[later.framework].name
    assert section(response, f"Later: {name}") == later.why  # ... only "later, if ever"
    assert "no deep-learning framework" in section(response, "Your options")
    path = await press(core, ctx, response, "Learning path")
    first = path.sections[0].body.split("\n")[0]
    assert name not in first and "TensorFlow" not in first


@pytest.mark.parametrize(("typed", "expected"), [
    ("someone who runs models on phones", "mobile-edge-developer"),
    ("data pipelines", "data-engineer"),
    ("prompt writer", "prompt-engineer"),
    ("recommendation systems", "recommender-systems-engineer"),
])
async def test_a_description_of_the_work_gets_the_closest_roles(core, ctx, typed, expected):
    response = await core.handle_text(f"/framework {typed}", ctx)
    assert response.is_error
    assert f"/framework role:{expected}" in response.sections[0].body


async def test_a_role_can_write_its_path_for_a_main_pick_its_options_produce(core, ctx,
                                                                             knowledge):
    written = knowledge.roles["android-developer"].paths["pytorch"]
    response = await core.handle_text("/framework role:android-developer region:boston", ctx)
    assert picks(response)[0] == "PyTorch"
    path = await press(core, ctx, response, "Learning path")
    assert section(path, "Starting with PyTorch").split("\n") == [
        f"{n}. {step}" for n, step in enumerate(written, 1)]


async def test_the_chooser_card_says_which_role_it_assumed_as_a_command_to_repeat(core, ctx):
    """The chooser promises to say which role it assumed: the card names the command that
    gives the same answer, and typing that command does give it."""
    chosen = await core.press("fwc:vision:beginner:enterprise", ctx)
    footer = chosen.footer
    assert "/framework role:" in footer, footer
    typed = footer[footer.index("/framework role:"):].split(". ")[0].rstrip(".")
    again = await core.handle_text(typed, ctx)
    assert again.title == chosen.title and again.sections == chosen.sections
