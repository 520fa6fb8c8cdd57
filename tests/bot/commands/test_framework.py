"""/framework end to end through the core: roles, aliases, typos, modifiers, unknown roles."""

from __future__ import annotations

import pytest

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
    fields = {f.name: f.value for f in response.fields}
    also = fields.get("Also learn")
    return [fields["Main pick"], *(also.split(", ") if also else [])]


@pytest.mark.parametrize(("text", "expected"), ARTICLE.items())
async def test_article_roles_and_verdicts_give_the_articles_answer(core, ctx, text, expected):
    response = await core.handle_text(text, ctx)
    assert not response.is_error
    assert picks(response) == expected


async def test_ml_engineer_names_pytorch_and_keras_with_reasons(core, ctx):
    response = await core.handle_text("/framework role:ml-engineer", ctx)
    headings = {s.heading: s.body for s in response.sections}
    assert "Main pick: PyTorch" in headings and "Also learn: Keras" in headings
    assert all(len(headings[h]) > 20 for h in ("Main pick: PyTorch", "Also learn: Keras"))
    assert "Learning path" in headings and headings["Learning path"].startswith("1. ")
    assert "Job market" in headings
    assert response.footer.startswith("Sources:")
    assert response.visibility is Visibility.CHANNEL and response.accent == "pytorch"


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


@pytest.mark.parametrize("dimension", ["experience", "region", "goal"])
async def test_every_modifier_changes_the_answer_and_says_why(core, ctx, knowledge, dimension):
    base = await core.handle_text("/framework role:data-scientist", ctx)
    for option in knowledge.dimensions[dimension].options:
        tailored = await core.handle_text(
            f"/framework role:data-scientist {dimension}:{option.id}", ctx)
        assert tailored.plain_text() != base.plain_text(), option.id
        shaped = {s.heading: s.body for s in tailored.sections}["How your options shape this"]
        assert option.reason in shaped, option.id


async def test_goal_enterprise_promotes_tensorflow_for_a_data_scientist(core, ctx):
    response = await core.handle_text("/framework role:data-scientist goal:enterprise", ctx)
    assert picks(response)[0] == "TensorFlow"
    shaped = {s.heading: s.body for s in response.sections}["How your options shape this"]
    assert "TensorFlow moves ahead of Keras" in shaped


async def test_beginner_puts_a_first_step_at_the_start_of_the_path(core, ctx, knowledge):
    beginner = knowledge.option("experience", "beginner")
    assert beginner.first_step
    response = await core.handle_text("/framework role:ml-researcher experience:beginner", ctx)
    path = {s.heading: s.body for s in response.sections}["Learning path"]
    assert path.startswith(f"1. {beginner.first_step}")


async def test_modifier_values_accept_aliases_and_reject_nonsense_with_choices(core, ctx):
    ok = await core.handle_text("/framework role:mle experience:Beginner region:Asia", ctx)
    assert not ok.is_error
    bad = await core.handle_text("/framework role:mle region:mars", ctx)
    assert bad.is_error and "region" in bad.title.lower()
    assert "/framework role:ml-engineer region:" in bad.sections[0].body


async def test_out_of_date_article_points_are_corrected_with_date(core, ctx):
    response = await core.handle_text("/framework role:data-scientist", ctx)
    since = {s.heading: s.body for s in response.sections}["Since the article"]
    assert "Keras 3" in since and "as of 20" in since


async def test_malformed_options_say_what_is_wrong_with_an_example(core, ctx):
    response = await core.handle_text("/framework rol:mle", ctx)
    assert response.is_error and "Did you mean 'role'" in response.plain_text()
    assert "/framework role:" in response.plain_text()


async def test_role_autocomplete_uses_the_fuzzy_matcher(core):
    spec = core.registry.get("framework")
    assert core.complete(spec, "role", "data")[0][0] in {"data-scientist", "data-analyst"}
    assert len(core.complete(spec, "role", "")) <= 25
    assert ("ml-engineer", core.knowledge.roles["ml-engineer"].name) in core.complete(
        spec, "role", "mle")


async def test_first_step_is_skipped_when_its_framework_already_leads(core, ctx, knowledge):
    beginner = knowledge.option("experience", "beginner")
    response = await core.handle_text("/framework role:data-scientist experience:beginner", ctx)
    path = {s.heading: s.body for s in response.sections}["Learning path"]
    assert beginner.first_step not in path


async def test_sources_include_those_of_the_corrections_shown(core, ctx, knowledge):
    response = await core.handle_text("/framework role:data-scientist", ctx)
    keras_update = knowledge.frameworks["keras"].updates[0]
    for title in knowledge.source_titles(keras_update.sources):
        assert title in response.footer
