"""The discord.py client: slash commands built from the core's registry, synced only on change.

It is an ``AutoShardedClient``: ``shard_ids`` of ``shard_count`` when this process runs some
of the bot's shards, else every shard Discord recommends. What it receives goes to a
``Handler`` (the adapter), which this module knows only by that protocol: the imports run
adapter → client → render, never back.

The registry is the only declaration of the command set. Each ``CommandSpec`` becomes an
``app_commands.Command`` (or a ``Group`` when it has subcommands), its options string
parameters with the registry's descriptions, a fixed ``choices`` set as Discord choices
(25 at most; a larger set is offered through autocomplete instead) and ``autocomplete``
answered by ``Core.complete``. A command new in the registry appears on Discord at the next
start, with no change here.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import discord
from discord import app_commands

from adapters.discord.render import TEMPLATE, CoreButton, clip
from bot.registry import CommandSpec

if TYPE_CHECKING:
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


class Handler(Protocol):
    """What the client hands on (the adapter implements it)."""

    async def on_command(self, interaction: discord.Interaction, spec: CommandSpec,
                         sub: CommandSpec | None, options: dict[str, str]) -> None: ...

    async def on_button(self, interaction: discord.Interaction, custom_id: str) -> None: ...

    def connected(self) -> None:
        """Every shard of this client is READY."""

    def disconnected(self) -> None:
        """A gateway connection dropped or could not be opened (discord.py retries it)."""


class CoachClient(discord.AutoShardedClient):
    """A ``discord.AutoShardedClient`` (not ``commands.Bot``: there are no prefix commands).

    ``shard_ids`` requires ``shard_count``; with neither, the client asks Discord how many
    shards it recommends and runs them all. Only a client that runs shard 0 syncs the slash
    commands, so several processes sharing the shards do not all send the same set.
    """

    def __init__(
        self,
        handler: Handler,
        core: Core,
        *,
        hash_path: Path,
        guild_id: int | None = None,
        guild_ready_timeout: float = 2.0,
        shard_count: int | None = None,
        shard_ids: tuple[int, ...] | None = None,
        identify_pause: float = 5.0,
    ) -> None:
        # The bot never joins voice: skip discord.py's warnings about voice libraries.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            intents=intents(),
            allowed_mentions=NO_PINGS,
            guild_ready_timeout=guild_ready_timeout,
            max_ratelimit_timeout=MAX_RATE_LIMIT_WAIT,
            shard_count=shard_count,
            shard_ids=list(shard_ids) if shard_ids is not None else None,
        )
        self.handler = handler
        self.guild_id = guild_id
        self.hash_path = hash_path
        self.identify_pause = identify_pause
        self.tree = app_commands.CommandTree(self)
        for command in build_commands(core, handler):
            self.tree.add_command(command)
        self.synced: bool | None = None  # None: sync failed, left to shard 0, or not attempted
        self._watch_gateway_connects()

    async def setup_hook(self) -> None:
        # Every button the bot ever sent is matched by custom_id template, so clicks on
        # messages from before this start still reach the core.
        self.add_dynamic_items(CoreButton)
        if self.shard_count is None:
            # Asked here rather than by discord.py while connecting, which would then also
            # take Discord's gateway address and ignore DISCORD_GATEWAY_URL.
            self.shard_count = (await self.http.get_bot_gateway())[0]
            log.info("Discord recommends %d shard(s); running all of them", self.shard_count)
        if self.shard_ids is not None and 0 not in self.shard_ids:
            log.info("shards %s of %d: the process running shard 0 syncs the slash commands",
                     ",".join(map(str, self.shard_ids)), self.shard_count)
            return
        try:
            self.synced = await sync_commands(self.tree, guild_id=self.guild_id,
                                              hash_path=self.hash_path)
        except (discord.HTTPException, app_commands.AppCommandError, OSError):
            log.exception("could not sync the slash commands; the previous set stays active")

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py waits 5 s before every IDENTIFY but a client's first, for Discord's
        # limit on session starts; a local fake has no such limit, so tests shorten it.
        if not initial:
            await asyncio.sleep(self.identify_pause)

    def _watch_gateway_connects(self) -> None:
        """Report a gateway that cannot be reached as a disconnect.

        A plain ``Client`` dispatches ``disconnect`` when opening the gateway fails; an
        ``AutoShardedClient`` starting a shard only logs and retries every 5 s. Without the
        event, a start waiting for READY would wait its whole timeout while Discord is down.
        """
        connect = self.http.ws_connect

        async def ws_connect(*args: Any, **kwargs: Any) -> Any:
            try:
                return await connect(*args, **kwargs)
            except Exception:
                self.dispatch("disconnect")
                raise

        self.http.ws_connect = ws_connect  # type: ignore[method-assign]

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s (%s servers; shards %s of %s)", self.user,
                 len(self.guilds), ",".join(map(str, sorted(self.shards))), self.shard_count)
        self.handler.connected()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # discord.py hands a click to CoreButton only if the button is still on the message
        # Discord sends with it. A click racing the edit that removed the buttons (a quiz
        # question closing) would get no answer at all, so it is answered from here.
        custom_id = orphan_click(interaction)
        if custom_id is not None:
            await self.handler.on_button(interaction, custom_id)

    async def on_core_button(self, interaction: discord.Interaction, custom_id: str) -> None:
        """A click on a CoreButton (``render.CLICK_EVENT``)."""
        await self.handler.on_button(interaction, custom_id)

    async def on_disconnect(self) -> None:
        self.handler.disconnected()


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
    core: Core, handler: Handler
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
                group.add_command(_command(core, handler, spec, sub, parent=group))
            built.append(group)
        else:
            command = _command(core, handler, spec, None, parent=None)
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
    handler: Handler,
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
        await handler.on_command(interaction, root, sub, options)

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
