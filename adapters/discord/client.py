"""The discord.py client: slash commands built from the core's registry, synced only on change.

The registry is the only declaration of the command set. Each ``CommandSpec`` becomes an
``app_commands.Command`` (or a ``Group`` when it has subcommands), its options string
parameters with the registry's descriptions, a fixed ``choices`` set as Discord choices
(25 at most; a larger set is offered through autocomplete instead) and ``autocomplete``
answered by ``Core.complete``. A command new in the registry appears on Discord at the next
start, with no change here.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from adapters.discord.render import TEMPLATE, CoreButton, clip
from bot.registry import CommandSpec

if TYPE_CHECKING:
    from adapters.discord.adapter import DiscordAdapter
    from bot.core import Core

log = logging.getLogger("framework_coach.discord")

PLATFORM = "discord"
DESCRIPTION = 100  # command, option and choice texts
CHOICES = 25
CHOICE_VALUE = 100
# Who may use manager-only commands by default (servers can change it in their settings).
MANAGER_PERMISSIONS = discord.Permissions(manage_channels=True)
# Longer waits than this come back to the core as a retry_after instead of blocking a send.
MAX_RATE_LIMIT_WAIT = 60.0
NO_PINGS = discord.AllowedMentions.none()
HASH_FILE = "discord_commands.sha256"


def intents() -> discord.Intents:
    """Minimal gateway intents: interactions need none; ``guilds`` keeps the channel cache
    sane. Nothing privileged (no members, presences or message content)."""
    found = discord.Intents.none()
    found.guilds = True
    return found


class CoachClient(discord.Client):
    """A plain ``discord.Client`` (not ``commands.Bot``: there are no prefix commands)."""

    def __init__(self, adapter: DiscordAdapter, *, guild_ready_timeout: float = 2.0) -> None:
        # The bot never joins voice: skip discord.py's warnings about voice libraries.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            intents=intents(),
            allowed_mentions=NO_PINGS,
            guild_ready_timeout=guild_ready_timeout,
            max_ratelimit_timeout=MAX_RATE_LIMIT_WAIT,
        )
        self.adapter = adapter
        self.tree = app_commands.CommandTree(self)
        for command in build_commands(adapter.core, adapter):
            self.tree.add_command(command)
        self.synced: bool | None = None  # None: sync failed or not attempted

    async def setup_hook(self) -> None:
        # Every button the bot ever sent is matched by custom_id template, so clicks on
        # messages from before this start still reach the core.
        self.add_dynamic_items(CoreButton)
        settings = self.adapter.settings
        try:
            self.synced = await sync_commands(
                self.tree,
                guild_id=settings.discord_guild_id,
                hash_path=Path(settings.data_dir) / HASH_FILE,
            )
        except (discord.HTTPException, app_commands.AppCommandError, OSError):
            log.exception("could not sync the slash commands; the previous set stays active")

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s (%s servers)", self.user, len(self.guilds))
        self.adapter._ready.set()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # discord.py hands a click to CoreButton only if the button is still on the message
        # Discord sends with it. A click racing the edit that removed the buttons (a quiz
        # question closing) would get no answer at all, so it is answered from here.
        custom_id = orphan_click(interaction)
        if custom_id is not None:
            await self.adapter.on_button(interaction, custom_id)

    async def on_disconnect(self) -> None:
        # discord.py retries the gateway itself; a start still waiting for READY should
        # stop waiting (the other platforms go on) and let it retry in the background.
        if not self.adapter._ready.is_set():
            self.adapter._failed.set()


def orphan_click(interaction: discord.Interaction) -> str | None:
    """The custom_id of a click on one of our buttons that is no longer on its message."""
    if interaction.type is not discord.InteractionType.component or not interaction.data:
        return None
    custom_id = str(interaction.data.get("custom_id", ""))
    if not TEMPLATE.fullmatch(custom_id):
        return None
    message = interaction.message
    shown = {
        getattr(child, "custom_id", None)
        for row in (message.components if message else [])
        for child in getattr(row, "children", [row])
    }
    return None if custom_id in shown else custom_id


# ---------------------------------------------------------------------------- commands


def build_commands(
    core: Core, adapter: DiscordAdapter
) -> list[app_commands.Command[Any, ..., Any] | app_commands.Group]:
    """One Discord command or group per registry command, in the registry's order."""
    built: list[app_commands.Command[Any, ..., Any] | app_commands.Group] = []
    for spec in core.registry.commands():
        name = spec.name_on(PLATFORM)
        permissions = default_permissions(spec)
        if spec.subcommands:
            group = app_commands.Group(
                name=name,
                description=clip(spec.description or name, DESCRIPTION),
                default_permissions=permissions,
            )
            for sub in spec.subcommands:
                group.add_command(_command(core, adapter, spec, sub, parent=group))
            built.append(group)
        else:
            command = _command(core, adapter, spec, None, parent=None)
            command.default_permissions = permissions
            built.append(command)
    return built


def default_permissions(spec: CommandSpec) -> discord.Permissions | None:
    """``manage_channels`` for manager-only commands (or groups whose every subcommand is).

    Discord only honours ``default_member_permissions`` on top-level commands, so a group
    that mixes member and manager subcommands (``/digest``) stays visible to everyone and
    relies on the core's own check, which refuses non-managers on every platform.
    """
    if spec.manager_only or (spec.subcommands and all(s.manager_only for s in spec.subcommands)):
        return MANAGER_PERMISSIONS
    return None


def _command(
    core: Core,
    adapter: DiscordAdapter,
    root: CommandSpec,
    sub: CommandSpec | None,
    *,
    parent: app_commands.Group | None,
) -> app_commands.Command[Any, ..., Any]:
    target = sub or root
    params = [
        inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          annotation=discord.Interaction)
    ]
    names: dict[str, str] = {}  # Python identifier -> option name
    descriptions: dict[str, str] = {}
    renames: dict[str, str] = {}
    choices: dict[str, list[app_commands.Choice[str]]] = {}
    completers: dict[str, Any] = {}
    for option in target.options:
        ident = _identifier(option.name)
        names[ident] = option.name
        if ident != option.name:
            renames[ident] = option.name
        params.append(
            inspect.Parameter(
                ident,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=str if option.required else str | None,
                default=inspect.Parameter.empty if option.required else None,
            )
        )
        descriptions[ident] = clip(option.description or option.name, DESCRIPTION)
        offered = list(core.choices(target, option.name))
        if option.autocomplete or len(offered) > CHOICES:
            completers[ident] = _completer(core, target, option.name)
        elif offered:
            choices[ident] = [
                app_commands.Choice(name=clip(label or value, DESCRIPTION),
                                    value=value[:CHOICE_VALUE])
                for value, label in offered
            ]

    async def callback(interaction: discord.Interaction, **values: str | None) -> None:
        options = {names[k]: v for k, v in values.items() if v is not None}
        await adapter.on_command(interaction, root, sub, options)

    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_description__ = descriptions  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_choices__ = choices  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_autocomplete__ = completers  # type: ignore[attr-defined]
    if renames:
        callback.__discord_app_commands_param_rename__ = renames  # type: ignore[attr-defined]
    name = target.name if sub else root.name_on(PLATFORM)
    return app_commands.Command(
        name=name,
        description=clip(target.description or name, DESCRIPTION),
        callback=callback,
        parent=parent,
    )


def _completer(core: Core, spec: CommandSpec, option: str) -> Any:
    async def complete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        found = core.complete(spec, option, current or "")
        return [
            app_commands.Choice(name=clip(label or value, DESCRIPTION), value=value[:CHOICE_VALUE])
            for value, label in found[:CHOICES]
        ]

    return complete


def _identifier(name: str) -> str:
    ident = re.sub(r"\W", "_", name)
    return ident if ident.isidentifier() else f"opt_{ident}"


# ---------------------------------------------------------------------------- sync


def command_payload(tree: app_commands.CommandTree) -> list[dict[str, Any]]:
    """What ``tree.sync()`` would send: the basis of the change-detecting hash."""
    return [command.to_dict(tree) for command in tree.get_commands()]


def payload_hash(payload: list[dict[str, Any]], target: str) -> str:
    blob = json.dumps({"target": target, "commands": payload}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


async def sync_commands(
    tree: app_commands.CommandTree,
    *,
    guild_id: int | None,
    hash_path: Path,
    force: bool = False,
) -> bool:
    """Push the command set to Discord when it (or the target) changed since the last sync.

    With ``guild_id`` the commands go to that one server (instant, for development);
    otherwise globally. Returns whether a sync was sent.
    """
    target = f"guild:{guild_id}" if guild_id else "global"
    guild = discord.Object(id=guild_id) if guild_id else None
    if guild is not None:
        tree.copy_global_to(guild=guild)
    digest = payload_hash(command_payload(tree), target)
    if not force and _read(hash_path) == digest:
        log.info("slash commands unchanged (%s); not syncing", target)
        return False
    synced = await tree.sync(guild=guild)
    _write(hash_path, digest)
    log.info("synced %d slash commands (%s)", len(synced), target)
    return True


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return None


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
