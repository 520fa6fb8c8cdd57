"""Graceful shutdown: on SIGTERM/SIGINT, flush pending writes before the process exits."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Iterable

from .contract import Store

log = logging.getLogger("framework_coach.storage")


def install_signal_handlers(
    loop: asyncio.AbstractEventLoop,
    store: Store,
    *,
    on_signal: Callable[[int], None] | None = None,
    signals: Iterable[signal.Signals] = (signal.SIGTERM, signal.SIGINT),
) -> asyncio.Event:
    """Close ``store`` when a signal arrives; the returned event is set once it is closed.

    ``on_signal`` runs first (stop accepting work: adapters, scheduler), then the store
    flushes every pending write and releases its lock. The app awaits the event and exits.
    A second signal while closing is logged and otherwise ignored: exiting then would drop
    the writes still being flushed.
    """
    closed = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    def handle(signum: int) -> None:
        name = signal.Signals(signum).name
        if tasks:
            log.warning("%s received again; still flushing pending writes", name)
            return
        log.info("%s received: flushing pending writes before exit", name)
        if on_signal is not None:
            on_signal(signum)
        task = loop.create_task(store.close(), name="storage-close-on-signal")
        task.add_done_callback(lambda _: closed.set())
        tasks.append(task)

    for sig in signals:
        loop.add_signal_handler(sig, handle, sig)
    return closed
