"""App installations per tenant, single-use OAuth states, and deleting a tenant's data.

A platform that is installed per workspace (Slack's OAuth install) keeps each workspace's
installation (tokens, ids, scopes) as one opaque JSON document: the store never reads it,
so it stays free of platform code. In the file store it lives in the tenant's own
``settings`` partition (its own folder, next to the rest of the tenant's data), under a key
of its own that ``get_settings`` never returns.

OAuth states guard the install against forged redirects: issued when the install page is
shown, consumed once when the person comes back. A single process owns a file store (the
data directory lock), so the states live in that process's memory: consuming one is a
plain dict pop in the event loop, atomic and single-use; a restart forgets the states in
flight (those installers click "Add to Slack" again). A database backend keeps them in a
table instead, so every web process sees them (see the storage contract).
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from .codec import dt_to_str, json_clone
from .partition import Partition

INSTALLATION_KEY = "installation"  # the settings document's key; never a settings scope
MAX_STATES = 10_000  # states in flight; beyond it the oldest go (an install page flood)


def put(p: Partition, installation: dict[str, Any], now: dt.datetime) -> None:
    """Replace the tenant's installation with ``installation`` (JSON values only)."""
    p.put("settings", {"scope": INSTALLATION_KEY,
                       "values": json_clone(installation, "installation"),
                       "updated_at": dt_to_str(now)})


def get(p: Partition | None) -> dict[str, Any] | None:
    doc = p["settings"].get(INSTALLATION_KEY) if p else None
    return copy.deepcopy(doc["values"]) if doc else None


def delete(p: Partition) -> bool:
    return p.delete("settings", INSTALLATION_KEY)


class OAuthStates:
    """States issued and not yet consumed, each with its expiry (in one process's memory)."""

    def __init__(self) -> None:
        self._expiry: dict[str, dt.datetime] = {}

    def issue(self, state: str, expires_at: dt.datetime, now: dt.datetime) -> None:
        if not state:
            raise ValueError("an OAuth state must not be empty")
        self._expiry = {s: t for s, t in self._expiry.items() if t > now}
        while len(self._expiry) >= MAX_STATES:
            del self._expiry[next(iter(self._expiry))]
        self._expiry[state] = expires_at

    def consume(self, state: str, now: dt.datetime) -> bool:
        """True once for a state issued, unexpired and not consumed before; else False."""
        expires = self._expiry.pop(state, None)
        return expires is not None and now < expires
