import asyncio

from bot.clock import FakeClock
from bot.delivery import Delivery, Outbox
from bot.models import Response


class Sink:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.times: list[float] = []
        self.texts: list[str] = []

    async def deliver(self, tenant_id, channel_id, response):  # noqa: ANN001, ANN201
        self.times.append(self.clock.monotonic())
        self.texts.append(response.plain_text())
        return Delivery(ok=True, message_id=str(len(self.times)))

    async def edit(self, tenant_id, channel_id, message_id, response):  # noqa: ANN001, ANN201
        return Delivery(ok=True, message_id=message_id)


async def test_posts_are_paced_to_the_platform_rate_on_the_clock():
    clock = FakeClock()
    outbox = Outbox(clock, rates={"slack": 2.0})
    sink = Sink(clock)
    outbox.register("slack", sink)
    posts = asyncio.gather(*(outbox.post("slack", "t", f"c{i}", Response(title="x"))
                             for i in range(5)))
    await asyncio.sleep(0)  # let the posts start at t=0
    for _ in range(10):
        await clock.advance(0.5)
    results = await posts
    assert all(r.ok for r in results)
    assert sink.times == [0.0, 0.5, 1.0, 1.5, 2.0]


async def test_unknown_platform_is_reported_not_raised():
    result = await Outbox(FakeClock()).post("irc", "t", "c", Response(title="x"))
    assert not result.ok and "irc is not connected" in result.error


async def test_posts_never_carry_a_ping():
    clock = FakeClock()
    outbox = Outbox(clock)
    sink = Sink(clock)
    outbox.register("console", sink)
    await outbox.post("console", "t", "c", Response(title="hi @everyone <!here>"))
    assert "@everyone" not in sink.texts[0] and "<!here>" not in sink.texts[0]
