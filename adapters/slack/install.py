"""Slack for any workspace that installs the app: slack-bolt's OAuth flow on the bot's store.

With ``SLACK_CLIENT_ID``/``SLACK_CLIENT_SECRET`` (and no ``SLACK_BOT_TOKEN``) the HTTP server
also offers bolt's ``GET /slack/install`` and ``GET /slack/oauth_redirect``. Each
workspace's installation (bot token, bot user, team, enterprise, installer, scopes, and the
refresh token and expiry when token rotation is on) is one document in that workspace's
storage (``Store.save_installation``); OAuth states are issued and consumed once through
the store too. Both stores speak slack-sdk's interfaces, so bolt's flow, authorize and
token rotation run unchanged.

Per request bolt finds the installation and, by default, calls ``auth.test``: the
``CachedAuthorize`` below remembers each workspace's result (keyed by its current token, so
a rotated token is checked afresh) and forgets it when the app is uninstalled. Posts that
no request triggered (digests, quiz timers, daily questions) get their workspace's token
from ``Workspaces``, which rotates it when due and refuses a workspace with no installation.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.storage import Store, Tenant

log = logging.getLogger("framework_coach.slack")

PLATFORM = "slack"
MANIFEST = Path(__file__).resolve().parents[2] / "slack_manifest.yaml"
STATE_SECONDS = 600  # how long an "Add to Slack" link stays valid (bolt's default)
ROTATE_MINUTES = 120  # refresh a rotating token this long before it expires (bolt's default)
NOT_INSTALLED = ("This workspace has not installed Framework Coach, so it cannot answer "
                 "here. A workspace admin can add it from the app's install page.")
# The installation document is Installation.to_dict_for_copying() with its times as the
# numbers Installation() takes back: seconds (float) installed, whole seconds expiring.
_TIMES = {"installed_at": float, "bot_token_expires_at": int, "user_token_expires_at": int}


def manifest_scopes(path: Path = MANIFEST) -> list[str]:
    """The bot scopes the manifest declares: passed explicitly, since bolt otherwise sends
    an empty ``scope=`` to Slack."""
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    return list(manifest["oauth_config"]["scopes"]["bot"])


def tenant_of(enterprise_id: str | None, team_id: str | None,
              is_enterprise_install: bool | None) -> Tenant | None:
    """Whose data: the workspace, or the whole organisation for an org-wide install."""
    key = enterprise_id if is_enterprise_install else team_id
    return Tenant(PLATFORM, key) if key else None


def _to_doc(installation: Installation) -> dict[str, Any]:
    doc = installation.to_dict_for_copying()
    for name, kind in _TIMES.items():
        value = doc.get(name)
        if isinstance(value, dt.datetime):
            doc[name] = kind(value.timestamp())
    return doc


def _from_doc(doc: dict[str, Any]) -> Installation:
    values = {k: v for k, v in doc.items() if k != "bot_token_expires_in"}
    for name, kind in _TIMES.items():  # a backend may hand 1700000000.0 back as an int
        if isinstance(values.get(name), int | float):
            values[name] = kind(values[name])
    return Installation(**values)


class StoreInstallations(AsyncInstallationStore):
    """slack-sdk's installation store on the bot's storage: one installation per workspace
    (the latest), so an uninstall removes every token of it at once."""

    def __init__(self, store: Store, on_delete: Callable[[Tenant], None] = lambda t: None
                 ) -> None:
        self.store = store
        self.on_delete = on_delete

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        tenant = tenant_of(installation.enterprise_id, installation.team_id,
                           installation.is_enterprise_install)
        if tenant is None:
            raise ValueError("an installation without a team or enterprise id")
        await self.store.save_installation(tenant, _to_doc(installation))
        log.info("Slack: installed in %s (%s)", tenant.id, installation.team_name or "")

    async def async_save_bot(self, bot: Bot) -> None:
        """A rotated bot token (bolt's bot-only path): written into the installation."""
        tenant = tenant_of(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        doc = await self.store.find_installation(tenant) if tenant else None
        if tenant is None or doc is None:
            return
        doc.update(bot_token=bot.bot_token, bot_refresh_token=bot.bot_refresh_token,
                   bot_token_expires_at=bot.bot_token_expires_at)
        await self.store.save_installation(tenant, doc)

    async def async_find_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        tenant = tenant_of(enterprise_id, team_id, is_enterprise_install)
        doc = await self.store.find_installation(tenant) if tenant else None
        if doc is None or (user_id is not None and doc.get("user_id") != user_id):
            return None
        return _from_doc(doc)

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = await self.async_find_installation(
            enterprise_id=enterprise_id, team_id=team_id,
            is_enterprise_install=is_enterprise_install)
        return found.to_bot() if found is not None and found.bot_token else None

    async def async_delete_bot(self, *, enterprise_id: str | None,
                               team_id: str | None) -> None:
        """The bot token is the app's only way in: without it the installation goes."""
        await self._delete(enterprise_id, team_id)

    async def async_delete_installation(self, *, enterprise_id: str | None,
                                        team_id: str | None,
                                        user_id: str | None = None) -> None:
        if user_id is None:
            await self._delete(enterprise_id, team_id)
            return
        for tenant in tenants_named(enterprise_id, team_id):  # only the installer's user token
            doc = await self.store.find_installation(tenant)
            if doc is not None and doc.get("user_id") == user_id and doc.get("user_token"):
                doc.update(user_token=None, user_refresh_token=None,
                           user_token_expires_at=None, user_scopes=None)
                await self.store.save_installation(tenant, doc)

    async def _delete(self, enterprise_id: str | None, team_id: str | None) -> None:
        for tenant in tenants_named(enterprise_id, team_id):
            if await self.store.delete_installation(tenant):
                log.info("Slack: installation of %s removed", tenant.id)
            self.on_delete(tenant)


def tenants_named(enterprise_id: str | None, team_id: str | None) -> list[Tenant]:
    """Uninstall events name the team and, in an organisation, the enterprise: the
    installation is under one of the two."""
    return [Tenant(PLATFORM, key) for key in dict.fromkeys((team_id, enterprise_id)) if key]


class StoreOAuthStates(AsyncOAuthStateStore):
    """OAuth states through the store: issued with an expiry, consumed once."""

    def __init__(self, store: Store, clock: Clock, seconds: int = STATE_SECONDS) -> None:
        self.store, self.clock, self.seconds = store, clock, seconds

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(24)
        await self.store.issue_oauth_state(
            state, self.clock.now() + dt.timedelta(seconds=self.seconds))
        return state

    async def async_consume(self, state: str) -> bool:
        return bool(state) and await self.store.consume_oauth_state(state)


class CachedAuthorize(AsyncInstallationStoreAuthorize):
    """bolt's authorize, with each workspace's ``auth.test`` result remembered.

    bolt's own cache is keyed by token, so a rotated token is checked afresh; the
    installation is still looked up on every request, so an uninstall (here or in another
    process) is seen at once. ``forget`` drops a workspace's entries on uninstall; a
    request that finds no installation (removed by another process) drops them too.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cache_enabled=True, **kwargs)

    async def __call__(self, **kwargs: Any) -> AuthorizeResult | None:
        result = await super().__call__(**kwargs)
        if result is None:  # uninstalled, maybe through another process: forget it here too
            gone = (kwargs.get("enterprise_id"), kwargs.get("team_id"))
            self._drop(lambda t, r: (r.enterprise_id, r.team_id) == gone)
        else:  # an older token of the same workspace is stale now
            token = result.bot_token or result.user_token
            self._drop(lambda t, r: t != token and _same_workspace(r, result))
        return result

    def forget(self, tenant: Tenant) -> None:
        self._drop(lambda t, r: tenant.id in (r.team_id, r.enterprise_id))

    def _drop(self, stale: Callable[[str, AuthorizeResult], bool]) -> None:
        for token in [t for t, r in self.authorize_result_cache.items() if stale(t, r)]:
            del self.authorize_result_cache[token]


def _same_workspace(a: AuthorizeResult, b: AuthorizeResult) -> bool:
    return (a.enterprise_id, a.team_id) == (b.enterprise_id, b.team_id)


@dataclass
class Workspace:
    """What talks to one workspace: its client (its token) and what is built on it."""

    token: str
    client: AsyncWebClient
    parts: dict[str, Any]  # the adapter's per-workspace helpers (poster, permissions)


class Workspaces:
    """Each installed workspace's Web API client, for posts no request triggered.

    The token comes from the installation (rotated first when it is about to expire); a
    workspace with no installation gets None, so nothing is ever sent to it.
    """

    def __init__(self, installations: StoreInstallations, rotator: AsyncTokenRotator,
                 make: Callable[[AsyncWebClient], dict[str, Any]], base_url: str) -> None:
        self.installations = installations
        self.rotator = rotator
        self.make = make
        self.base_url = base_url
        self._open: dict[str, Workspace] = {}

    async def get(self, team_id: str) -> Workspace | None:
        found = await self.installations.async_find_installation(
            enterprise_id=None, team_id=team_id)
        if found is None:
            found = await self.installations.async_find_installation(
                enterprise_id=team_id, team_id=None, is_enterprise_install=True)
        if found is None or not found.bot_token:
            self._open.pop(team_id, None)
            return None
        if found.bot_refresh_token is not None:
            try:
                refreshed = await self.rotator.perform_token_rotation(
                    installation=found, minutes_before_expiration=ROTATE_MINUTES)
            except SlackTokenRotationError as exc:  # Slack says why when the token is used
                log.warning("Slack: refreshing the token of %s failed: %s", team_id, exc)
                refreshed = None
            if refreshed is not None:
                await self.installations.async_save(refreshed)
                found = refreshed
        token = found.bot_token
        assert token is not None
        known = self._open.get(team_id)
        if known is None:
            client = AsyncWebClient(token=token, base_url=self.base_url,
                                    logger=logging.getLogger("framework_coach.slack.web"))
            known = self._open[team_id] = Workspace(token, client, self.make(client))
        elif known.token != token:  # rotated: same helpers (pacing, caches), new token
            known.token = known.client.token = token
        return known

    def forget(self, team_id: str) -> None:
        self._open.pop(team_id, None)


def oauth_settings(*, client_id: str, client_secret: str, scopes: list[str],
                   installations: StoreInstallations, states: StoreOAuthStates,
                   authorize: CachedAuthorize) -> AsyncOAuthSettings:
    """bolt's OAuth settings: the manifest's scopes, our stores, our authorize."""
    settings = AsyncOAuthSettings(
        client_id=client_id, client_secret=client_secret, scopes=scopes,
        user_scopes=[], installation_store=installations, state_store=states,
        state_expiration_seconds=states.seconds, token_rotation_expiration_minutes=ROTATE_MINUTES,
        logger=logging.getLogger("framework_coach.slack.oauth"),
    )
    settings.authorize = authorize
    return settings
