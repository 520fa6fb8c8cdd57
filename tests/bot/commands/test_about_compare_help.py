from __future__ import annotations

import pytest

from bot.models import Visibility
from knowledge.schema import GLANCE_CHARS


@pytest.mark.parametrize("name", ["pytorch", "TensorFlow", "keras", "jax", "torch"])
async def test_about_shows_the_essentials_and_the_details_one_press_away(core, ctx, name):
    response = await core.handle_text(f"/about name:{name}", ctx)
    assert not response.is_error
    fw = core.knowledge.frameworks[response.accent]
    assert [s.heading for s in response.sections] == [None, "Key features", "Pros", "Cons"]
    assert [f.name for f in response.fields] == ["Released", "Learning curve", "Install"]
    assert response.title == fw.name  # maker and year are said once, in "Released"
    ids = [b.id for b in response.buttons]
    assert ids[:2] == [f"run:/about name:{fw.id} show:details", f"sources:/about name:{fw.id}"]
    details = await core.press(ids[0], ctx)
    assert not details.is_error
    assert {"Learning curve", "Community", "Deployment", "Official links",
            "Typical roles"} <= {s.heading for s in details.sections}
    # Nothing of the profile is lost between the two views.
    shown = response.plain_text() + details.plain_text()
    for piece in (fw.summary, *fw.key_features, *fw.pros, *fw.cons, fw.learning_notes,
                  fw.community, fw.deployment, *(u.now for u in fw.updates),
                  *(str(link.url) for link in fw.links)):
        assert piece in shown, piece[:60]


async def test_about_and_compare_refuse_an_unknown_view(core, ctx):
    about = await core.handle_text("/about name:jax show:everything", ctx)
    compare = await core.handle_text("/compare a:jax b:keras show:everything", ctx)
    assert about.is_error and compare.is_error and "show:details" in about.plain_text()


async def test_about_unknown_framework_suggests(core, ctx):
    response = await core.handle_text("/about name:caffe", ctx)
    assert response.is_error and "/about name:" in response.sections[0].body


async def test_compare_is_a_table_of_short_values_what_decides_first(core, ctx):
    response = await core.handle_text("/compare a:pytorch b:tensorflow", ctx)
    table = response.table
    assert table is not None and table.columns == ("PyTorch", "TensorFlow")
    labels = [row.label for row in table.rows]
    assert labels[:2] == ["Best for", "Learning curve"]
    assert {"Deployment", "Released"} <= set(labels)
    assert all(len(row.cells) == 2 for row in table.rows)
    assert max(len(c) for row in table.rows for c in row.cells) <= 2 * GLANCE_CHARS
    pytorch = core.knowledge.frameworks["pytorch"]
    assert table.rows[0].cells[0] == pytorch.glance.best_for
    assert not response.fields and not response.sections  # the table says it all, once
    ids = [b.id for b in response.buttons]
    assert "run:/compare a:pytorch b:tensorflow show:details" in ids
    full = await core.press("run:/compare a:pytorch b:tensorflow show:details", ctx)
    assert pytorch.deployment in full.plain_text() and pytorch.summary in full.plain_text()


async def test_sources_are_one_short_line_and_listed_in_full_on_press(core, ctx):
    response = await core.handle_text("/compare a:pytorch b:tensorflow", ctx)
    assert response.footer.count("\n") == 0 and len(response.footer) <= 80
    knowledge = core.knowledge
    wanted = [*knowledge.frameworks["pytorch"].sources, *knowledge.frameworks["tensorflow"].sources]
    (button,) = [b for b in response.buttons if b.id.startswith("sources:")]
    assert button.label == f"Sources ({len(set(wanted))})"
    listed = await core.press(button.id, ctx)
    assert listed.visibility is Visibility.PRIVATE and not listed.is_error
    text = listed.plain_text()
    for source_id in wanted:
        source = knowledge.sources[source_id]
        assert source.title in text and (source.url is None or str(source.url) in text)
    nothing = await core.press("sources:/help", ctx)
    assert nothing.is_error


async def test_compare_positional_and_errors(core, ctx):
    assert (await core.handle_text("/compare keras jax", ctx)).title == "Keras vs JAX"
    same = await core.handle_text("/compare a:jax b:jax", ctx)
    assert same.is_error and "two different" in same.title
    missing = await core.handle_text("/compare a:jax", ctx)
    assert missing.is_error and "needs the option 'b'" in missing.plain_text()


@pytest.mark.parametrize("text", ["/compare a:jax b:caffe", "/compare a:caffe b:jax"])
async def test_compare_unknown_framework_suggests_only_working_commands(core, ctx, text):
    response = await core.handle_text(text, ctx)
    assert response.is_error and response.title.startswith("Unknown framework:")
    assert "is not a framework I know" in response.plain_text()
    for button in response.buttons:
        command = button.id.removeprefix("run:")
        assert command.startswith("/compare a:")  # a then b, as typed and as in /help
        answer = await core.handle_text(command, ctx)
        assert not answer.is_error and "JAX" in answer.title  # never JAX against itself


async def test_help_lists_every_command_with_an_example(core, ctx):
    response = await core.handle_text("/help", ctx)
    headings = [s.heading for s in response.sections]
    assert headings == [spec.example for spec in core.registry.commands()]
    assert all(h and h.split()[0] == f"/{spec.name}"
               for h, spec in zip(headings, core.registry.commands(), strict=True))


async def test_help_on_slack_uses_the_name_slack_allows(core, ctx):
    from dataclasses import replace

    slack = replace(ctx, platform="slack")
    response = await core.handle_text("/fc-help", slack)
    assert "/fc-help" in [s.heading for s in response.sections]
    assert "/help" not in [s.heading for s in response.sections]
    assert "slack reserves /help" in response.footer.lower()
    assert "name:value" in response.footer  # Slack users type options: they need the syntax


async def test_manager_only_commands_are_refused_to_others(core, ctx):
    from bot.models import Response
    from bot.registry import CommandSpec

    async def handler(request, core):
        return Response(title="done")

    core.registry.add(CommandSpec(name="wipe", description="d", example="/wipe",
                                  handler=handler, manager_only=True))
    refused = await core.handle_text("/wipe", ctx)
    assert refused.is_error and "manage" in refused.plain_text()
    from dataclasses import replace
    assert (await core.handle_text("/wipe", replace(ctx, is_manager=True))).title == "done"


async def test_a_failing_command_never_leaks_a_traceback(core, ctx):
    from bot.registry import CommandSpec

    async def boom(request, core):
        raise RuntimeError("secret internals")

    core.registry.add(CommandSpec(name="boom", description="d", example="/boom", handler=boom))
    response = await core.handle_text("/boom", ctx)
    assert response.is_error and "secret" not in response.plain_text()


async def test_expired_buttons_are_explained(core, ctx):
    response = await core.press("poll:gone:1", ctx)
    assert response.is_error and "expired" in response.title


async def test_pure_answers_are_cached_per_options_and_platform(core, ctx):
    from dataclasses import replace

    first = await core.handle_text("/framework role:mle", ctx)
    assert await core.handle_text("/framework role:ml-engineer", ctx) is not first  # other key
    assert await core.handle_text("/framework role:mle", replace(ctx, user_id="u9")) is first
    slack = await core.handle_text("/fc-help", replace(ctx, platform="slack"))
    assert slack is not await core.handle_text("/help", ctx)
    assert (ctx.platform, "/framework role:mle") in core._typed  # repeats skip the parse
    await core.handle_text("/quiz stats", ctx)
    assert (ctx.platform, "/quiz stats") not in core._typed  # stateful: answered afresh
    core.cache_size = 2
    for role in ("data-scientist", "ml-researcher", "student"):
        await core.handle_text(f"/framework role:{role}", ctx)
    assert len(core._answers) == 2 and len(core._typed) == 2


async def test_a_framework_without_a_glance_is_compared_by_its_first_words(core):
    from bot.commands.compare import table

    pytorch = core.knowledge.frameworks["pytorch"].model_copy(update={"glance": None})
    rows = {row.label: row.cells[0] for row in table(pytorch, core.knowledge.frameworks["jax"],
                                                     core).rows}
    assert pytorch.pros[0].startswith(rows["Best for"].rstrip("…"))
    assert all(0 < len(cell) <= GLANCE_CHARS + len("2016 by ")
               for label, cell in rows.items() if label != "Typical roles")
