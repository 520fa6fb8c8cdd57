"""A digest's chart reaches every platform: Slack through files_upload_v2 after the text,
Discord as an attachment shown in the embed, the console as a saved PNG. A refused upload
never costs the text."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from rich.console import Console

from adapters.console import ConsoleAdapter
from bot.core import Core
from bot.models import Attachment, FieldItem, Response, Section
from bot.trends.chart import chart_attachment
from bot.trends.digest import compose
from bot.trends.series import from_sample
from knowledge.loader import Knowledge
from tests.adapters.fakes.discord_fake import GUILD_ID, FakeDiscord, running_adapter
from tests.adapters.fakes.slack_api import Running

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


_rendered: list[Attachment] = []  # the shipped sample's chart, drawn once for these tests


@pytest.fixture
def chart(knowledge: Knowledge) -> Attachment:
    if not _rendered:
        data = from_sample(knowledge.trend_sample, list(knowledge.frameworks))
        _rendered.append(chart_attachment(compose(data, knowledge, data.as_of)))
    return _rendered[0]


def digest_with(image: Attachment | None) -> Response:
    return Response(title="Framework trends", sections=(Section("PyTorch leads downloads."),),
                    fields=(FieldItem("PyTorch", "Downloads: 87.3M"),), image=image)


# ---------------------------------------------------------------------------- Discord


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    yield server
    await server.close()


async def test_discord_sends_the_chart_as_an_attachment_shown_in_the_embed(
    core: Core, discord_fake: FakeDiscord, tmp_path: Path, chart: Attachment
):
    async with running_adapter(core, discord_fake, tmp_path) as adapter:
        result = await adapter.deliver(str(GUILD_ID), "777", digest_with(chart))
    assert result.ok
    (post,) = discord_fake.channel_posts(777)
    (upload,) = discord_fake.uploads
    assert upload.data == chart.data and upload.data.startswith(PNG_MAGIC)
    assert upload.filename == "framework-trends.png"
    assert post.message["attachments"][0]["filename"] == "framework-trends.png"
    embed = post.message["embeds"][0]
    assert embed["image"]["url"] == "attachment://framework-trends.png"
    assert embed["title"] == "Framework trends"  # the text went in the same message


async def test_discord_posts_the_text_alone_when_the_file_is_refused(
    core: Core, discord_fake: FakeDiscord, tmp_path: Path, chart: Attachment
):
    discord_fake.fail_next("POST", r"/channels/\d+/messages$", 403,
                           {"message": "Missing Permissions", "code": 50013})
    async with running_adapter(core, discord_fake, tmp_path) as adapter:
        result = await adapter.deliver(str(GUILD_ID), "778", digest_with(chart))
    assert result.ok
    (post,) = discord_fake.channel_posts(778)
    assert post.message["attachments"] == []
    assert "image" not in post.message["embeds"][0]
    assert post.message["embeds"][0]["title"] == "Framework trends"


async def test_discord_without_an_image_sends_no_file(
    core: Core, discord_fake: FakeDiscord, tmp_path: Path
):
    async with running_adapter(core, discord_fake, tmp_path) as adapter:
        assert (await adapter.deliver(str(GUILD_ID), "779", digest_with(None))).ok
    assert discord_fake.uploads == []


# ---------------------------------------------------------------------------- Slack


async def test_slack_posts_the_text_then_uploads_the_chart_with_files_upload_v2(
    core: Core, chart: Attachment
):
    async with Running(core) as h:
        result = await h.adapter.deliver("T1", "C1", digest_with(chart))
        assert result.ok and result.message_id
        methods = [c.method for c in h.fake.calls if c.method != "auth.test"]
        assert methods == ["chat.postMessage", "files.getUploadURLExternal",
                           "files.completeUploadExternal"]
        (get_url,) = h.fake.of("files.getUploadURLExternal")
        assert get_url.data["filename"] == "framework-trends.png"
        assert int(get_url.data["length"]) == len(chart.data)
        assert get_url.data["alt_txt"] == chart.alt
        (complete,) = h.fake.of("files.completeUploadExternal")
        assert complete.data["channel_id"] == "C1"
        (data,) = h.fake.uploads.values()
        assert data == chart.data


async def test_slack_keeps_the_text_when_the_upload_fails(core: Core, chart: Attachment):
    async with Running(core) as h:
        h.fake.fail_next("files.getUploadURLExternal", "missing_scope")
        result = await h.adapter.deliver("T1", "C2", digest_with(chart))
        assert result.ok and result.message_id
        assert len(h.fake.of("chat.postMessage")) == 1
        assert h.fake.uploads == {} and h.fake.of("files.completeUploadExternal") == []
        # The app lacks files:write everywhere: later posts do not try again, text still goes.
        assert (await h.adapter.deliver("T1", "C3", digest_with(chart))).ok
        assert len(h.fake.of("files.getUploadURLExternal")) == 1
        assert len(h.fake.of("chat.postMessage")) == 2


# ---------------------------------------------------------------------------- console


async def test_console_saves_the_chart_under_the_data_directory_and_prints_the_path(
    core: Core, tmp_path: Path, chart: Attachment
):
    buffer = io.StringIO()
    charts = tmp_path / "data" / "charts"
    adapter = ConsoleAdapter(core, console=Console(file=buffer, width=300, no_color=True),
                             charts_dir=charts)
    assert (await adapter.deliver("local", "news", digest_with(chart))).ok
    assert (await adapter.deliver("local", "other", digest_with(chart))).ok
    (saved,) = charts.iterdir()  # the same chart twice is one file
    assert saved.read_bytes() == chart.data and saved.suffix == ".png"
    assert buffer.getvalue().count(f"Chart: {saved}") == 2
    assert "Framework trends" in buffer.getvalue()


async def test_console_without_a_data_directory_prints_only_the_text(
    core: Core, tmp_path: Path, chart: Attachment
):
    buffer = io.StringIO()
    adapter = ConsoleAdapter(core, console=Console(file=buffer, width=300, no_color=True))
    assert (await adapter.deliver("local", "news", digest_with(chart))).ok
    assert "Chart:" not in buffer.getvalue() and "Framework trends" in buffer.getvalue()
