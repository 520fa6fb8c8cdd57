"""Where each tenant's files live, with ids made safe as path components.

A tenant's data physically lives in its own folder, so no query can wander into another
tenant's data. Ids come from chat platforms and may contain anything ('..', '/', upper case
on a case-insensitive disk), so a name is used verbatim only when it is lower-case letters,
digits and '_' (e.g. Discord snowflakes); anything else becomes a readable slug plus a hash of
the exact id. Hashed names always contain '-' and plain names never do, so the two forms
cannot collide.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from ..records import Tenant

_PLAIN = re.compile(r"^[a-z0-9_]{1,64}$")
_UNSAFE = re.compile(r"[^a-z0-9_]")

LOCK_NAME = ".lock"
TENANT_FILE = "tenant.json"
BACKUP_DIR = "backups"
SNAPSHOT_SUFFIX = ".json"
JOURNAL_INFIX = ".journal."
TMP_SUFFIX = ".tmp"


def component(raw: str) -> str:
    """A safe, injective, case-insensitive-disk-safe folder name for ``raw``."""
    if _PLAIN.match(raw):
        return raw
    slug = _UNSAFE.sub("_", raw.lower())[:32] or "_"
    digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]
    return f"{slug}-{digest}"


def tenant_dir(data_dir: Path, tenant: Tenant) -> Path:
    return data_dir / component(tenant.platform) / component(tenant.id)


def snapshot_path(directory: Path, kind: str) -> Path:
    return directory / f"{kind}{SNAPSHOT_SUFFIX}"


def journal_path(directory: Path, kind: str, gen: int) -> Path:
    return directory / f"{kind}{JOURNAL_INFIX}{gen:06d}"


def journal_gens(directory: Path, kind: str) -> list[int]:
    """Generations of ``kind``'s journal present on disk, oldest first."""
    prefix = f"{kind}{JOURNAL_INFIX}"
    gens = []
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    for name in names:
        if name.startswith(prefix) and name[len(prefix) :].isdigit():
            gens.append(int(name[len(prefix) :]))
    return sorted(gens)
