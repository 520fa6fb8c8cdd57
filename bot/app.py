"""Assemble the core from settings: the one place that decides what gets built."""

from __future__ import annotations

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.core import Core
from knowledge import loader


def build_core(settings: Settings, clock: Clock | None = None) -> Core:
    """Load (and so validate) the knowledge, then wire the core. Raises ``KnowledgeError``."""
    knowledge = loader.load(settings.knowledge_dir)
    return Core(knowledge=knowledge, clock=clock or SystemClock())
