"""A local fake of the trend APIs: pypistats, GitHub REST, Stack Exchange 2.3, HN Algolia.

One real aiohttp server on 127.0.0.1 (port chosen by the OS) replays the recorded bodies in
``trend_responses/`` (see the README there), under one path prefix per API::

    async with TrendsFake() as fake:
        settings = Settings(data_dir=tmp_path, **fake.urls)  # every *_url setting
        fake.fail("/github/repos/jax-ml/jax", 500, times=2)   # script failures by path prefix
        ...
        assert fake.requests_to("/github")[0].headers["Authorization"] == "Bearer t"

Scripting (``path_prefix`` matches the request path on this server, prefixes included;
``times`` is how many matching requests a rule affects, None = every one until ``reset``):

- ``fail(prefix, status, times=None, headers=None, body=None)``: answer ``status`` with an
  API-like JSON error body (or ``body``) and ``headers`` (e.g. Retry-After).
- ``delay(prefix, seconds, times=None)``: wait before answering (a real wait; combine with a
  short client timeout). Closing the fake ends every pending delay at once.
- ``malformed(prefix, times=None)``: answer 200 with a body that is not JSON.
- ``respond(prefix, body, status=200, headers=None, times=None)``: answer this JSON instead.
- ``reset()``: forget every rule and recorded request.

Every request is recorded in ``requests`` (method, path, query, case-insensitive headers,
loop time), before rules apply. Rules are checked in the order they were added; a delay
applies and lets later rules (or the recording) answer.

What the fake does beyond replay, as the real APIs do: a repository or package without a
recording is 404; Stack Exchange ``/tags/{a;b}/info`` keeps only the tags asked for, answers
gzip-compressed, and wants ``site``; ``/questions`` picks the recorded window nearest to
``fromdate`` (0 for unknown tags); GitHub answers carry ``x-ratelimit-*`` headers (60 an hour
without a token, 5,000 with one; never enforced).

Standalone, for subprocess tests: ``python -m tests.fakes.trends_api --port 0`` prints its
base URL (``http://127.0.0.1:PORT``) as the only line on stdout, then serves until SIGTERM or
SIGINT. ``urls_for(base)`` / ``env_for(base)`` turn that into settings or environment.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import http
import json
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

RESPONSES = Path(__file__).parent / "trend_responses"
PREFIXES = {
    "pypistats_url": "/pypistats/api",
    "github_api_url": "/github",
    "stackexchange_api_url": "/stackexchange/2.3",
    "hn_algolia_url": "/hn/api/v1",
}
GITHUB_RESET_SECONDS = 3600


def urls_for(base: str) -> dict[str, str]:
    """The ``Settings`` fields pointing the bot at a fake served at ``base``."""
    return {name: base.rstrip("/") + prefix for name, prefix in PREFIXES.items()}


def env_for(base: str) -> dict[str, str]:
    """The same as environment variables (PYPISTATS_URL, GITHUB_API_URL, ...)."""
    return {name.upper(): url for name, url in urls_for(base).items()}


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDictProxy[str]
    at: float  # event-loop time when it arrived


@dataclass
class _Rule:
    prefix: str
    kind: Literal["fail", "delay", "malformed", "respond"]
    times: int | None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    seconds: float = 0.0

    def take(self, path: str) -> bool:
        """True (and one use spent) if this rule applies to ``path``."""
        if not path.startswith(self.prefix) or self.times == 0:
            return False
        if self.times is not None:
            self.times -= 1
        return True


class TrendsFake:
    """The fake server; use ``async with TrendsFake() as fake`` (or ``start``/``close``)."""

    def __init__(
        self, responses: Path = RESPONSES, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.responses = responses
        self.host = host
        self.port = port
        self.requests: list[RecordedRequest] = []
        self._rules: list[_Rule] = []
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self._github_used: dict[bool, int] = {True: 0, False: 0}
        self._se_used = 0
        self.base_url = ""

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> str:
        """Start serving; returns the base URL (``http://127.0.0.1:PORT``)."""
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/pypistats/api/packages/{package}/overall", self._pypi_overall)
        app.router.add_get("/pypistats/api/packages/{package}/recent", self._pypi_recent)
        app.router.add_get("/github/repos/{owner}/{repo}", self._gh_repo)
        app.router.add_get("/github/repos/{owner}/{repo}/releases/latest", self._gh_release)
        app.router.add_get("/stackexchange/2.3/tags/{tags}/info", self._se_tags)
        app.router.add_get("/stackexchange/2.3/questions", self._se_questions)
        app.router.add_get("/hn/api/v1/search_by_date", self._hn_search)
        app.router.add_get("/hn/api/v1/items/{item}", self._hn_item)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=0.5, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.port = port
        self.base_url = f"http://{host}:{port}"
        return self.base_url

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def urls(self) -> dict[str, str]:
        """``pypistats_url``, ``github_api_url``, ``stackexchange_api_url`` and
        ``hn_algolia_url`` of this fake."""
        return urls_for(self.base_url)

    # ------------------------------------------------------------------ scripting

    def fail(
        self,
        path_prefix: str,
        status: int,
        *,
        times: int | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> None:
        self._rules.append(_Rule(path_prefix, "fail", times, status, dict(headers or {}), body))

    def delay(self, path_prefix: str, seconds: float, *, times: int | None = None) -> None:
        self._rules.append(_Rule(path_prefix, "delay", times, seconds=seconds))

    def malformed(self, path_prefix: str, *, times: int | None = None) -> None:
        self._rules.append(_Rule(path_prefix, "malformed", times))

    def respond(
        self,
        path_prefix: str,
        body: Any,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        times: int | None = None,
    ) -> None:
        self._rules.append(_Rule(path_prefix, "respond", times, status, dict(headers or {}), body))

    def reset(self) -> None:
        self._rules.clear()
        self.requests.clear()

    def requests_to(self, path_prefix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    # ------------------------------------------------------------------ plumbing

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append(RecordedRequest(
            request.method, request.path, dict(request.query),
            CIMultiDictProxy(CIMultiDict(request.headers)),
            asyncio.get_running_loop().time(),
        ))
        for rule in list(self._rules):
            if not rule.take(request.path):
                continue
            if rule.kind == "delay":
                try:
                    await asyncio.wait_for(self._closing.wait(), rule.seconds)
                except TimeoutError:
                    pass
                continue
            if rule.kind == "malformed":
                return web.Response(text='{"data": [{"category": "without_mi',
                                    content_type="application/json")
            if rule.kind == "fail":
                body = rule.body if rule.body is not None else _error_body(request.path,
                                                                           rule.status)
                return web.json_response(body, status=rule.status, headers=rule.headers)
            return web.json_response(rule.body, status=rule.status, headers=rule.headers)
        return await handler(request)

    def _load(self, relative: str) -> Any:
        path = self.responses / relative
        if not path.is_file():
            raise web.HTTPNotFound(text=json.dumps({"message": "Not Found"}),
                                   content_type="application/json")
        return json.loads(path.read_text())

    # ------------------------------------------------------------------ pypistats

    async def _pypi_overall(self, request: web.Request) -> web.Response:
        return web.json_response(self._load(f"pypistats/overall/{request.match_info['package']}"
                                            ".json"))

    async def _pypi_recent(self, request: web.Request) -> web.Response:
        return web.json_response(self._load(f"pypistats/recent/{request.match_info['package']}"
                                            ".json"))

    # ------------------------------------------------------------------ GitHub

    def _gh_response(self, request: web.Request, data: Any) -> web.Response:
        authed = "Authorization" in request.headers
        self._github_used[authed] += 1
        limit = 5000 if authed else 60
        reset = int(dt.datetime.now(dt.UTC).timestamp()) + GITHUB_RESET_SECONDS
        headers = {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(max(0, limit - self._github_used[authed])),
            "x-ratelimit-used": str(self._github_used[authed]),
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-resource": "core",
        }
        return web.json_response(data, headers=headers)

    async def _gh_repo(self, request: web.Request) -> web.Response:
        key = f"{request.match_info['owner']}__{request.match_info['repo']}"
        return self._gh_response(request, self._load(f"github/repos/{key}.json"))

    async def _gh_release(self, request: web.Request) -> web.Response:
        key = f"{request.match_info['owner']}__{request.match_info['repo']}"
        return self._gh_response(request, self._load(f"github/releases_latest/{key}.json"))

    # ------------------------------------------------------------------ Stack Exchange

    def _se_response(self, data: dict[str, Any], status: int = 200) -> web.Response:
        self._se_used += 1
        data = {**data, "quota_max": 300, "quota_remaining": max(0, 300 - self._se_used)}
        response = web.json_response(data, status=status)
        response.enable_compression(web.ContentCoding.gzip)  # the real API always gzips
        return response

    def _se_bad(self, message: str) -> web.Response:
        return self._se_response({"error_id": 400, "error_message": message,
                                  "error_name": "bad_parameter"}, status=400)

    async def _se_tags(self, request: web.Request) -> web.Response:
        if request.query.get("site") != "stackoverflow":
            return self._se_bad("site is required")
        wanted = request.match_info["tags"].split(";")
        recorded = self._load("stackexchange/tags_info.json")
        items = [item for item in recorded["items"] if item["name"] in wanted]
        return self._se_response({"items": items, "has_more": False})

    async def _se_questions(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("site") != "stackoverflow":
            return self._se_bad("site is required")
        if query.get("filter") != "total" or "tagged" not in query:
            return self._se_bad("the fake serves only tagged=...&filter=total")
        try:
            start = dt.datetime.fromtimestamp(int(query["fromdate"]), dt.UTC).date()
        except (KeyError, ValueError):
            return self._se_bad("fromdate must be a unix time")
        folder = self.responses / "stackexchange" / "questions" / query["tagged"]
        windows = sorted(folder.glob("from-*.json")) if folder.is_dir() else []
        if not windows:
            return self._se_response({"total": 0})
        nearest = min(windows, key=lambda p: (abs((_window_start(p) - start).days),
                                              -_window_start(p).toordinal()))
        return self._se_response(json.loads(nearest.read_text()))


    # ------------------------------------------------------------------ HN Algolia

    async def _hn_search(self, request: web.Request) -> web.Response:
        """``search_by_date``: the recorded hits, filtered by the ``tags`` asked for (all
        must match, as Algolia's comma means AND) and cut to ``hitsPerPage``."""
        wanted = [t for t in request.query.get("tags", "").split(",") if t]
        recorded = self._load("hn/search_by_date.json")
        hits = [h for h in recorded["hits"] if all(t in h["_tags"] for t in wanted)]
        per_page = int(request.query.get("hitsPerPage", 20))
        return web.json_response({**recorded, "hits": hits[:per_page], "nbHits": len(hits),
                                  "hitsPerPage": per_page})

    async def _hn_item(self, request: web.Request) -> web.Response:
        item = request.match_info["item"]
        if not item.isdigit():
            return web.json_response({"status": 400, "error": "Bad Request"}, status=400)
        return web.json_response(self._load(f"hn/items/{item}.json"))


def _window_start(path: Path) -> dt.date:
    return dt.date.fromisoformat(path.stem.removeprefix("from-"))


def _error_body(path: str, status: int) -> dict[str, Any]:
    """An error body shaped like the API that ``path`` belongs to."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    if path.startswith(PREFIXES["stackexchange_api_url"]):
        name = "throttle_violation" if status == 400 else phrase.lower().replace(" ", "_")
        return {"error_id": status, "error_message": phrase, "error_name": name}
    if path.startswith(PREFIXES["github_api_url"]) and status in (403, 429):
        return {"message": "API rate limit exceeded for 127.0.0.1.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits"}
    return {"message": phrase}


# ---------------------------------------------------------------------- standalone


async def _serve(host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with TrendsFake(host=host, port=port) as fake:
        print(fake.base_url, flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the fake trend APIs until killed.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 lets the OS choose")
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
