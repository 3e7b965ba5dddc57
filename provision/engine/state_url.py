"""Where run state lives, as one string: a SQLite path or a postgresql:// URL.

It comes from `--state`/`--journal`, else PROVISION_STATE, else PROVISION_JOURNAL, else
.provision/journal.sqlite. A URL's password never leaves this machine in a message: every
place that names the state names it through `redacted`.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_PATH = ".provision/journal.sqlite"
POSTGRES_SCHEMES = ("postgresql", "postgres")


def state_location(location: str | Path | None = None) -> str:
    return str(
        location
        or os.environ.get("PROVISION_STATE")
        or os.environ.get("PROVISION_JOURNAL")
        or DEFAULT_PATH
    )


def is_postgres(location: str) -> bool:
    return urlsplit(location).scheme in POSTGRES_SCHEMES


def redacted(url: str) -> str:
    """A URL without its password (user:***@host), fit for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
