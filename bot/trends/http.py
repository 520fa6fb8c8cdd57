"""HTTP for the trend sources: one polite, retrying JSON client and the errors it raises.

Public APIs time out, fail and rate-limit; handling that once here keeps each source a plain
list of requests. Every wait goes through the injected ``Clock`` so tests never sleep, and no
error message ever carries a token or key (they are redacted from anything we quote).
The module also holds ``Fetched`` and ``run_steps``: how a source keeps what it got when only
some of its requests fail.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from yarl import URL

from bot.clock import Clock
from bot.storage import Snapshot

log = logging.getLogger("framework_coach.trends")

USER_AGENT = "framework-coach/0.1 (+https://github.com/)"
_SECRET_PARAMS = frozenset({"key", "access_token", "token", "client_secret"})
_DETAIL_MAX = 160


class SourceError(Exception):
    """A trend request failed; the message says what and why, never a token or key."""


class NotFound(SourceError):
    """HTTP 404: for some endpoints (a repo's latest release) that simply means no data."""


class RateLimited(SourceError):
    """The API asked us to wait longer than ``max_wait``: stop calling it until ``retry_at``."""

    def __init__(self, message: str, retry_at: dt.datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class JsonClient:
    """GETs JSON with a per-request timeout, retries with backoff, and rate-limit manners.

    ``retries`` counts attempts in all (3 = the first try and two retries). Retried: timeouts,
    connection errors, 429, 5xx, and 403 that is a rate limit (``x-ratelimit-remaining: 0``
    or ``Retry-After``). Waits follow ``Retry-After`` or ``x-ratelimit-reset`` when given,
    else ``backoff`` doubling per attempt. A body with a ``backoff`` field (Stack Exchange)
    holds back the next call to that host for that many seconds.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        clock: Clock,
        *,
        timeout: float,
        retries: int = 3,
        backoff: float = 1.0,
        max_wait: float = 120.0,
    ) -> None:
        if retries < 1:
            raise ValueError("retries counts attempts and must be at least 1")
        self._session = session
        self._clock = clock
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self._not_before: dict[str, float] = {}  # origin -> clock.monotonic() deadline

    async def get_json(
        self,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        what: str | None = None,
    ) -> Any:
        """The decoded JSON body of ``GET url``; ``what`` names the request in errors.

        Raises ``NotFound`` on 404, ``RateLimited`` when asked to wait too long, and
        ``SourceError`` for everything else that did not produce valid JSON.
        """
        target = URL(url)
        origin = str(target.origin())
        what = what or f"{target.host}{target.path}"
        secrets = _secrets(params, headers)
        problem = "no attempt made"
        for attempt in range(1, self.retries + 1):
            await self._hold_back(origin, what, secrets)
            try:
                status, resp_headers, body = await self._get(url, params, headers)
            except TimeoutError:
                problem = f"timed out (limit {self.timeout:g} s)"
                wait = self._doubling(attempt)
            except aiohttp.ClientError as exc:
                problem = f"connection failed ({type(exc).__name__}: {exc})"
                wait = self._doubling(attempt)
            else:
                if 200 <= status < 300:
                    data = _decode(body, what, target, secrets)
                    self._remember_backoff(origin, data)
                    return data
                if status == 404:
                    raise NotFound(_redact(f"{what}: not found (HTTP 404)", secrets))
                problem = f"HTTP {status}"
                if not _retryable(status, resp_headers):
                    detail = _detail(body)
                    raise SourceError(_redact(f"{what}: {problem}{detail}", secrets))
                asked = self._server_wait(status, resp_headers)
                if asked is not None and asked > self.max_wait:
                    retry_at = self._clock.now() + dt.timedelta(seconds=asked)
                    raise RateLimited(
                        _redact(f"{what}: rate limited ({problem}); retry after "
                                f"{retry_at:%Y-%m-%d %H:%M:%S} UTC", secrets),
                        retry_at,
                    )
                wait = asked if asked is not None else self._doubling(attempt)
            if attempt < self.retries:
                log.info("%s: %s; retrying in %.1f s", what, _redact(problem, secrets), wait)
                await self._clock.sleep(wait)
        raise SourceError(_redact(f"{what}: {problem} after {self.retries} attempts", secrets))

    async def _get(
        self, url: str, params: Mapping[str, str | int] | None, headers: Mapping[str, str] | None
    ) -> tuple[int, Mapping[str, str], bytes]:
        sent = {"User-Agent": USER_AGENT, **(headers or {})}
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with self._session.get(url, params=params, headers=sent, timeout=timeout) as resp:
            return resp.status, resp.headers, await resp.read()

    def _doubling(self, attempt: int) -> float:
        return float(self.backoff * 2 ** (attempt - 1))

    def _server_wait(self, status: int, headers: Mapping[str, str]) -> float | None:
        """Seconds the server asked us to wait (Retry-After, GitHub's reset), if it did."""
        retry_after = headers.get("Retry-After")
        if retry_after is not None:
            seconds = _parse_retry_after(retry_after, self._clock.now())
            if seconds is not None:
                return seconds
        reset = headers.get("x-ratelimit-reset")
        if status in (403, 429) and headers.get("x-ratelimit-remaining") == "0" and reset:
            try:
                return max(0.0, float(reset) - self._clock.now().timestamp())
            except ValueError:
                return None
        return None

    async def _hold_back(self, origin: str, what: str, secrets: Sequence[str]) -> None:
        """Wait out a ``backoff`` the API asked for earlier, before calling it again."""
        deadline = self._not_before.get(origin)
        if deadline is None:
            return
        wait = deadline - self._clock.monotonic()
        if wait <= 0:
            del self._not_before[origin]
            return
        if wait > self.max_wait:
            retry_at = self._clock.now() + dt.timedelta(seconds=wait)
            raise RateLimited(
                _redact(f"{what}: the API asked to back off; retry after "
                        f"{retry_at:%Y-%m-%d %H:%M:%S} UTC", secrets),
                retry_at,
            )
        log.info("%s: the API asked to back off; waiting %.1f s", origin, wait)
        await self._clock.sleep(wait)

    def _remember_backoff(self, origin: str, data: Any) -> None:
        backoff = data.get("backoff") if isinstance(data, dict) else None
        if isinstance(backoff, int | float) and not isinstance(backoff, bool) and backoff > 0:
            deadline = self._clock.monotonic() + float(backoff)
            self._not_before[origin] = max(deadline, self._not_before.get(origin, deadline))


def _retryable(status: int, headers: Mapping[str, str]) -> bool:
    if status == 429 or 500 <= status <= 599:
        return True
    # GitHub: 403 is also its primary (remaining 0) and secondary (Retry-After) rate limit.
    return status == 403 and (
        headers.get("x-ratelimit-remaining") == "0" or "Retry-After" in headers
    )


def _parse_retry_after(value: str, now: dt.datetime) -> float | None:
    """``Retry-After`` as seconds from ``now``: either delta-seconds or an HTTP date."""
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def _decode(body: bytes, what: str, url: URL, secrets: Sequence[str]) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        where = url.with_query(None).with_fragment(None)
        raise SourceError(_redact(f"{what}: malformed JSON from {where}", secrets)) from None


def _detail(body: bytes) -> str:
    """A short reason from an error body (GitHub's ``message``, Stack Exchange's error)."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    parts = [str(data[k]) for k in ("error_name", "error_message", "message") if data.get(k)]
    text = " ".join(" ".join(parts).split())
    if len(text) > _DETAIL_MAX:
        text = text[: _DETAIL_MAX - 1] + "…"
    return f" ({text})" if text else ""


def _secrets(
    params: Mapping[str, str | int] | None, headers: Mapping[str, str] | None
) -> list[str]:
    """Values that must never be quoted: auth headers and key-like query parameters."""
    found = [str(v) for k, v in (params or {}).items() if k.lower() in _SECRET_PARAMS]
    for name, value in (headers or {}).items():
        if name.lower() == "authorization":
            found.append(value)
            found.extend(value.split()[1:])  # the bare token after "Bearer"/"token"
    return [s for s in found if len(s) >= 4]


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


# ------------------------------------------------------------------ partial results


@dataclass
class Fetched:
    """What one source got: every snapshot it could fetch, and one line per failed request."""

    snapshots: list[Snapshot] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


Step = tuple[str, Callable[[], Awaitable[list[Snapshot]]]]
"""A request of a source: a label for errors (e.g. "GitHub pytorch/pytorch") and its call."""


async def run_steps(steps: Iterable[Step]) -> Fetched:
    """Run ``steps`` one after another, keeping what succeeds when others fail.

    One after another, not at once: the public APIs rate-limit per IP. A ``RateLimited``
    ends the run (asking again would only be refused), an unexpected response shape counts
    as that step's failure, and anything else propagates (a bug, not a bad response).
    """
    result = Fetched()
    for label, call in steps:
        try:
            result.snapshots.extend(await call())
        except RateLimited as exc:
            result.errors.append(str(exc))
            break
        except SourceError as exc:
            result.errors.append(str(exc))
        except (KeyError, TypeError, ValueError) as exc:
            result.errors.append(f"{label}: unexpected response ({type(exc).__name__}: {exc})")
    return result
