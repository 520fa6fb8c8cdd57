"""Configuration from the environment and ``.env``, in one typed, checked object.

Every variable is documented in ``.env.example``; nothing secret lives in the repository.
Mistakes people make while configuring (a token of the wrong kind, an unknown time zone, a
Slack token without its partner) are caught here, at start-up, and reported by
``load_settings`` as one line per problem naming the variable and the fix, never a secret.
"""

from __future__ import annotations

import contextvars
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_FILE = ".env"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SLACK_FIELDS = ("slack_bot_token", "slack_app_token", "slack_signing_secret")
# Slack installed by any workspace (OAuth, HTTP mode): instead of SLACK_BOT_TOKEN.
SLACK_OAUTH_FIELDS = ("slack_client_id", "slack_client_secret")
SECRET_FIELDS = (*SLACK_FIELDS, "slack_client_secret", "discord_token", "github_token",
                 "stackexchange_key", "database_url")
MAX_SHARDS = 100_000  # far beyond any bot; keeps a typo like 0-9999999999 from eating memory
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_DISCORD_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_TOKEN_KIND_RE = re.compile(r"^(xox[a-z]|xapp)-")
_TOKEN_KINDS = {
    "xoxb": "a bot token", "xoxp": "a user token", "xoxa": "a workspace app token",
    "xoxr": "a refresh token", "xoxe": "a rotating token", "xoxo": "a legacy token",
    "xoxs": "a legacy token", "xapp": "an app-level token",
}

# Field names given as keyword arguments to the Settings() being built. Those values come
# from the program itself (tests, benchmarks, local fakes), not from a person, so the
# format rules below leave them alone; only the environment and .env are checked.
_given: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "settings_given", default=frozenset()
)


class ConfigError(Exception):
    """The configuration cannot work; ``problems`` are one-line messages (variable + fix).

    ``fields`` are the settings fields involved, so ``doctor`` can carry on with defaults
    for them and still check everything else.
    """

    def __init__(self, problems: list[str], fields: frozenset[str] = frozenset()) -> None:
        self.problems = problems
        self.fields = fields
        super().__init__("\n".join(problems))


def env_name(field: str) -> str:
    """The environment variable a field is read from (no prefix, upper case)."""
    return field.upper()


def _problem(text: str, *fields: str) -> PydanticCustomError:
    """A validation error whose message is already the one line people will read."""
    return PydanticCustomError("config", "{problem}", {"problem": text, "fields": fields})


def _checked(info: ValidationInfo) -> bool:
    """False for values the program passed in itself (see ``_given``)."""
    return info.field_name not in _given.get()


def _token_hint(value: str) -> str:
    """What kind of token this looks like, showing at most its public prefix."""
    match = _TOKEN_KIND_RE.match(value)
    if not match:
        return "it does not start with a known Slack token prefix"
    kind = _TOKEN_KINDS.get(match.group(1), "another kind of token")
    return f"it starts with {match.group(0)}…, which is {kind}"


class Settings(BaseSettings):
    """Every setting, read from the environment, then ``.env``, then the defaults.

    Values from the environment and ``.env`` are checked (``Settings()`` raises
    ``ValidationError``; ``load_settings`` turns that into a ``ConfigError``). Values passed
    as keyword arguments are trusted: they are the program's own, e.g. a test pointing at a
    local fake with a placeholder token.
    """

    model_config = SettingsConfigDict(
        env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore",
        # ``SLACK_BOT_TOKEN=`` left empty in .env means "not set", not "an empty token".
        env_ignore_empty=True,
        # A raw ValidationError printed somewhere must not show a token.
        hide_input_in_errors=True,
    )

    data_dir: Path = Field(default=Path("data"), description="Where the bot keeps its state")
    # Set: every kind of data lives in this PostgreSQL database instead (docs/postgresql.md).
    database_url: SecretStr | None = None
    knowledge_dir: Path | None = Field(
        default=None, description="Override the shipped knowledge files (for content editing)"
    )
    log_level: str = "INFO"
    default_timezone: str = "UTC"  # IANA zone for new digest subscriptions that name none

    discord_token: SecretStr | None = None
    discord_guild_id: int | None = None
    discord_application_id: int | None = None
    discord_api_url: str | None = None  # e.g. http://127.0.0.1:PORT/api/v10 for a local fake
    discord_gateway_url: str | None = None  # e.g. ws://127.0.0.1:PORT/ for a local fake
    # Sharding (discord.py's AutoShardedClient): the total across all processes, and which of
    # them this process runs ("0-3", "0,2"). Unset: one process runs what Discord recommends.
    discord_shard_count: int | None = None
    discord_shard_ids: str | None = None

    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_client_id: str | None = None  # with the secret: the OAuth install (docs/slack-install.md)
    slack_client_secret: SecretStr | None = None
    # validate_default: the Slack pair check below runs as this field's validator, always.
    slack_signing_secret: SecretStr | None = Field(default=None, validate_default=True)
    slack_api_url: str | None = None  # Web API base, e.g. http://127.0.0.1:PORT/api/
    slack_manager_ids: str = ""  # comma-separated user ids allowed to manage any channel
    port: int = 3000

    # Trend sources (bot/trends). Base URLs are overridable so tests can use a local fake.
    pypistats_url: str = "https://pypistats.org/api"
    github_api_url: str = "https://api.github.com"
    stackexchange_api_url: str = "https://api.stackexchange.com/2.3"
    hn_algolia_url: str = "https://hn.algolia.com/api/v1"  # HN "Who is hiring?" threads
    github_token: SecretStr | None = None  # optional: 5,000 instead of 60 requests/hour
    stackexchange_key: str | None = None  # optional: 10,000 instead of 300 requests/day
    trends_timeout: float = 10.0  # seconds per HTTP request
    trends_collect: bool = True  # collect trend data daily while running
    trends_collect_time: str = "05:30"  # UTC, after pypistats' daily refresh

    # Digests (bot/digests): how late a missed run (process down) may still be posted.
    digest_grace_minutes: int = 360

    def __init__(self, **values: Any) -> None:
        given = _given.set(frozenset(k for k in values if not k.startswith("_")))
        try:
            super().__init__(**values)
        finally:
            _given.reset(given)

    # ------------------------------------------------------------------ single values
    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
                ("postgresql://", "postgres://")):
            raise ValueError("DATABASE_URL must be a postgresql://user@host:port/database URL")
        return value

    @field_validator("slack_bot_token")
    @classmethod
    def _slack_bot_token(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        raw = value.get_secret_value() if value else ""
        if value is not None and _checked(info) and not raw.startswith("xoxb-"):
            raise _problem(
                f"Slack: SLACK_BOT_TOKEN is not a bot token ({_token_hint(raw)}): use the "
                "Bot User OAuth Token (xoxb-…) from the app's Install App page", info.field_name)
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _slack_app_token(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        raw = value.get_secret_value() if value else ""
        if value is not None and _checked(info) and not raw.startswith("xapp-"):
            raise _problem(
                f"Slack: SLACK_APP_TOKEN is not an app-level token ({_token_hint(raw)}): "
                "generate one (xapp-…, scope connections:write) under Basic Information → "
                "App-Level Tokens", info.field_name)
        return value

    @field_validator("discord_token")
    @classmethod
    def _discord_token(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        raw = value.get_secret_value() if value else ""
        if value is None or not _checked(info) or _DISCORD_TOKEN_RE.match(raw):
            return value
        if raw.lower().startswith(("bot ", "bearer ")):
            why = "it starts with 'Bot '/'Bearer ', which the bot adds itself"
            fix = "set the token alone"
        else:
            why = "a bot token has three parts separated by dots"
            fix = "copy the token from the Developer Portal → your app → Bot → Reset Token"
        raise _problem(f"Discord: DISCORD_TOKEN is not a bot token ({why}): {fix}",
                       info.field_name)

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str, info: ValidationInfo) -> str:
        if not _checked(info):
            return value
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return value
        close = [z for z in available_timezones() if z.lower() == value.strip().lower()]
        fix = f"did you mean {close[0]}?" if close else "use an IANA name such as Europe/Berlin"
        raise _problem(f"DEFAULT_TIMEZONE={value!r} is not a known time zone: {fix}",
                       info.field_name)

    @field_validator("trends_collect_time")
    @classmethod
    def _collect_time(cls, value: str, info: ValidationInfo) -> str:
        if _checked(info) and not _TIME_RE.match(value):
            raise _problem(f"TRENDS_COLLECT_TIME={value!r} is not a time of day: use HH:MM "
                           "in UTC, 24-hour clock, such as 05:30", info.field_name)
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str, info: ValidationInfo) -> str:
        if not _checked(info):
            return value
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise _problem(f"LOG_LEVEL={value!r} is not a log level: use one of "
                           f"{', '.join(LOG_LEVELS)}", info.field_name)
        return level

    @field_validator("port")
    @classmethod
    def _port(cls, value: int, info: ValidationInfo) -> int:
        if _checked(info) and not 1 <= value <= 65535:
            raise _problem(f"PORT={value} is not a TCP port: use a number from 1 to 65535 "
                           "(default 3000)", info.field_name)
        return value

    @field_validator("discord_api_url", "slack_api_url", "pypistats_url", "github_api_url",
                     "stackexchange_api_url", "hn_algolia_url")
    @classmethod
    def _http_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and _checked(info):
            _require_url(value, info.field_name or "", ("http", "https"))
        return value

    @field_validator("discord_gateway_url")
    @classmethod
    def _ws_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and _checked(info):
            _require_url(value, info.field_name or "", ("ws", "wss"))
        return value

    @field_validator("trends_timeout")
    @classmethod
    def _timeout(cls, value: float, info: ValidationInfo) -> float:
        if _checked(info) and not value > 0:
            raise _problem(f"TRENDS_TIMEOUT={value} is not a time limit: use a number of "
                           "seconds above 0 (default 10)", info.field_name)
        return value

    @field_validator("digest_grace_minutes")
    @classmethod
    def _grace(cls, value: int, info: ValidationInfo) -> int:
        if _checked(info) and value < 0:
            raise _problem(f"DIGEST_GRACE_MINUTES={value} is negative: use 0 or more "
                           "(default 360)", info.field_name)
        return value

    @field_validator("discord_shard_count")
    @classmethod
    def _shard_count(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and _checked(info) and value < 1:
            raise _problem(f"Discord: DISCORD_SHARD_COUNT={value} is not a number of shards: "
                           "use 1 or more, or unset it to run the shards Discord recommends",
                           info.field_name)
        return value

    # ------------------------------------------------------------------ combinations
    @field_validator("discord_shard_ids")
    @classmethod
    def _shard_ids(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Shard ids are well formed, come with their count, and are below it."""
        if value is None or not _checked(info):
            return value
        try:
            ids = parse_shard_ids(value)
        except ValueError:
            raise _problem(f"Discord: DISCORD_SHARD_IDS={value!r} is not a list of shard ids: "
                           "use numbers and ranges such as 0-3 or 0,2", info.field_name) from None
        if "discord_shard_count" not in info.data:
            return value  # a malformed count, already reported on its own
        count = info.data["discord_shard_count"]
        if count is None:
            raise _problem("Discord: DISCORD_SHARD_IDS is set but DISCORD_SHARD_COUNT is not: "
                           "set the total number of shards across all processes (such as "
                           "DISCORD_SHARD_COUNT=4), or unset DISCORD_SHARD_IDS",
                           info.field_name, "discord_shard_count")
        if ids[-1] >= count:
            raise _problem(f"Discord: DISCORD_SHARD_IDS={value!r} names shard {ids[-1]}, but "
                           f"DISCORD_SHARD_COUNT={count} numbers the shards 0 to {count - 1}: "
                           "use ids below the count, or raise the count",
                           info.field_name, "discord_shard_count")
        return value

    @field_validator("slack_signing_secret")
    @classmethod
    def _slack_pair(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        """Slack needs its bot token plus an app token or a signing secret.

        A field validator on the last Slack field (earlier ones are in ``info.data``) rather
        than a model validator, which would only run once every other field is valid: this
        way the problem is listed together with the rest.
        """
        if _given.get() & {*SLACK_FIELDS, *SLACK_OAUTH_FIELDS}:
            return value
        if "slack_bot_token" not in info.data or "slack_app_token" not in info.data:
            return value  # a malformed token, already reported on its own
        bot, app = info.data["slack_bot_token"], info.data["slack_app_token"]
        oauth = _slack_oauth_problem(bot, app, value, info.data.get("slack_client_id"),
                                     info.data.get("slack_client_secret"))
        if oauth is not None:
            raise oauth
        if info.data.get("slack_client_id"):
            return value  # many workspaces: no bot token wanted
        if bot and not (app or value):
            raise _problem(
                "Slack: SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor "
                "SLACK_SIGNING_SECRET (HTTP mode) is: set one of them", *SLACK_FIELDS)
        extra = [name for name, given in (("SLACK_APP_TOKEN", app),
                                          ("SLACK_SIGNING_SECRET", value)) if given]
        if not bot and extra:
            one = len(extra) == 1
            raise _problem(
                f"Slack: {' and '.join(extra)} {'is' if one else 'are'} set but SLACK_BOT_TOKEN "
                f"is not: set SLACK_BOT_TOKEN (xoxb-…) too, or remove {'it' if one else 'them'} "
                "to run without Slack", *SLACK_FIELDS)
        return value

    # ------------------------------------------------------------------ helpers
    def platforms(self) -> list[str]:
        """Platforms with credentials configured, in start-up order."""
        found = []
        if self.slack_bot_token or self.slack_installable:
            found.append("slack")
        if self.discord_token:
            found.append("discord")
        return found

    def discord_shards(self) -> tuple[int, ...] | None:
        """The shard ids this process runs, or None for every shard (of DISCORD_SHARD_COUNT,
        or of the count Discord recommends when that is unset too)."""
        if self.discord_shard_ids is None:
            return None
        return parse_shard_ids(self.discord_shard_ids)

    @property
    def slack_installable(self) -> bool:
        """Slack runs for every workspace that installs the app (OAuth), not one token."""
        return bool(self.slack_client_id and self.slack_client_secret
                    and not self.slack_bot_token)

    def secret_values(self) -> list[str]:
        """Every configured secret, so the log redaction can mask them verbatim."""
        values = []
        for name in SECRET_FIELDS:
            value = getattr(self, name)
            raw = value.get_secret_value() if isinstance(value, SecretStr) else value
            if raw:
                values.append(raw)
        return values


def parse_shard_ids(text: str) -> tuple[int, ...]:
    """``"0-3"`` → (0, 1, 2, 3), ``"0,2"`` → (0, 2): sorted, each id once; ValueError for
    anything else (an empty list, a negative id, a range that runs backwards)."""
    ids: set[int] = set()
    for part in text.split(","):
        first, dash, last = part.strip().partition("-")
        if not first.strip().isdigit() or (dash and not last.strip().isdigit()):
            raise ValueError(f"not a shard id or range: {part!r}")
        low, high = int(first), int(last) if dash else int(first)
        if high < low or high >= MAX_SHARDS:
            raise ValueError(f"range runs backwards or beyond {MAX_SHARDS}: {part!r}")
        ids.update(range(low, high + 1))
    return tuple(sorted(ids))


def _slack_oauth_problem(bot: Any, app: Any, signing: Any, client_id: Any,
                         client_secret: Any) -> PydanticCustomError | None:
    """The OAuth variables' own rules: both or neither, never with SLACK_BOT_TOKEN (bolt
    would quietly switch to OAuth with files in the home directory), HTTP mode only."""
    if not (client_id or client_secret):
        return None
    fields = (*SLACK_FIELDS, *SLACK_OAUTH_FIELDS)
    if bot:
        return _problem(
            "Slack: SLACK_BOT_TOKEN and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are both set: "
            "keep SLACK_BOT_TOKEN for one workspace, or the client id and secret for any "
            "workspace to install the app (docs/slack-install.md), not both", *fields)
    if not (client_id and client_secret):
        missing = "SLACK_CLIENT_SECRET" if client_id else "SLACK_CLIENT_ID"
        return _problem(f"Slack: {missing} is not set: the install needs both "
                        "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (Basic Information → App "
                        "Credentials)", *fields)
    if app:
        return _problem("Slack: SLACK_APP_TOKEN (Socket Mode) serves one workspace with "
                        "SLACK_BOT_TOKEN: remove it, the install needs HTTP mode", *fields)
    if not signing:
        return _problem("Slack: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set but "
                        "SLACK_SIGNING_SECRET is not: the install runs in HTTP mode, set "
                        "it (Basic Information → App Credentials)", *fields)
    return None


def _require_url(value: str, field: str, schemes: tuple[str, ...]) -> None:
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        shown = "…" if len(value) > 80 or "@" in value else repr(value)  # "@": a password?
        kind = "an http(s)" if schemes[0] == "http" else "a ws(s)"
        raise _problem(f"{env_name(field)}={shown} is not {kind} URL: use a full URL such as "
                       f"{schemes[1]}://host/…, or unset it for the default", field)


def load_settings(env_file: str | Path | None = ENV_FILE) -> Settings:
    """Read and check the configuration; raise ``ConfigError`` listing every problem."""
    try:
        return Settings(_env_file=env_file)  # type: ignore[call-arg]
    except ValidationError as exc:
        problems: list[str] = []
        fields: set[str] = set()
        for error in exc.errors(include_url=False):
            text, involved = _describe(error)
            if text not in problems:
                problems.append(text)
            fields.update(involved)
        raise ConfigError(problems, frozenset(fields)) from None


def _describe(error: Any) -> tuple[str, tuple[str, ...]]:
    """One line for one pydantic error; a secret's value is never part of it."""
    ctx = error.get("ctx") or {}
    if error["type"] == "config":
        return ctx["problem"], tuple(ctx.get("fields") or ())
    field = str(error["loc"][0]) if error["loc"] else ""
    name = env_name(field)
    shown = "" if field in SECRET_FIELDS else f"={error.get('input')!r}"
    expected = {
        "int_parsing": "use a whole number", "float_parsing": "use a number",
        "bool_parsing": "use true or false",
    }.get(error["type"], f"fix it ({error['msg']})")
    default = Settings.model_fields[field].default if field in Settings.model_fields else None
    tail = f" (default {default})" if default not in (None, "") else ""
    return f"{name}{shown} is not valid: {expected}{tail}", (field,) if field else ()


def check_data_dir(path: Path, *, create: bool = True) -> str | None:
    """None when ``path`` can hold the bot's state, else one line naming DATA_DIR and the fix.

    Checked at start rather than in ``Settings``: it touches the disk, and ``doctor`` wants
    to ask without creating anything (``create=False``).
    """
    path = Path(path)
    fix = "make it writable for this user or point DATA_DIR somewhere else"
    if path.exists() and not path.is_dir():
        return f"DATA_DIR={str(path)!r} is a file, not a directory: point DATA_DIR at a directory"
    if not path.exists():
        if not create:
            parent = next((p for p in _ancestors(path) if p.exists()), None)
            if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
                return (f"DATA_DIR={str(path)!r} does not exist and cannot be created "
                        f"(no write access to {str(parent)!r}): {fix}")
            return None
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return f"DATA_DIR={str(path)!r} cannot be created ({_reason(exc)}): {fix}"
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as exc:
        return f"DATA_DIR={str(path)!r} is not writable ({_reason(exc)}): {fix}"
    return None


def _ancestors(path: Path) -> Iterator[Path]:
    yield from path.absolute().parents


def _reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()
