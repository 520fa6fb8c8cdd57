from __future__ import annotations

import pytest


@pytest.mark.parametrize("name", ["pytorch", "TensorFlow", "keras", "jax", "torch"])
async def test_about_shows_a_full_profile(core, ctx, name):
    response = await core.handle_text(f"/about name:{name}", ctx)
    assert not response.is_error
    headings = {s.heading for s in response.sections}
    assert {"Key features", "Pros", "Cons", "Learning curve", "Community", "Deployment",
            "Official links", "Typical roles"} <= headings
    assert {f.name for f in response.fields} >= {"Maker", "First released"}


async def test_about_unknown_framework_suggests(core, ctx):
    response = await core.handle_text("/about name:caffe", ctx)
    assert response.is_error and "/about name:" in response.sections[0].body


async def test_compare_is_a_side_by_side_table(core, ctx):
    response = await core.handle_text("/compare a:pytorch b:tensorflow", ctx)
    names = [f.name for f in response.fields]
    rows = {n.split(" · ")[1] for n in names}
    assert {"Maker", "Learning curve", "Deployment"} <= rows
    assert names[0].startswith("PyTorch · ") and names[1].startswith("TensorFlow · ")
    assert len(names) == 2 * len(rows)


async def test_compare_positional_and_errors(core, ctx):
    assert (await core.handle_text("/compare keras jax", ctx)).title == "Keras vs JAX"
    same = await core.handle_text("/compare a:jax b:jax", ctx)
    assert same.is_error and "two different" in same.title
    missing = await core.handle_text("/compare a:jax", ctx)
    assert missing.is_error and "needs the option 'b'" in missing.plain_text()


async def test_help_lists_every_command_with_an_example(core, ctx):
    response = await core.handle_text("/help", ctx)
    for spec in core.registry.commands():
        assert f"/{spec.name}" in [s.heading for s in response.sections]
    assert response.plain_text().count("Example: /") == len(core.registry.commands())


async def test_help_on_slack_uses_the_name_slack_allows(core, ctx):
    from dataclasses import replace

    slack = replace(ctx, platform="slack")
    response = await core.handle_text("/fc-help", slack)
    assert "/fc-help" in [s.heading for s in response.sections]
    assert "slack reserves /help" in response.footer.lower()


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
