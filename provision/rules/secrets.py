"""A secret whose environment variable is unset: a warning now, an error at contact time."""

from __future__ import annotations

from collections.abc import Iterator

from provision.diagnostics import Problem
from provision.inventory.loader import Inventory
from provision.inventory.secrets import REF


def _refs(data: object, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple, str]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _refs(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _refs(value, (*path, i))
    elif isinstance(data, str) and (match := REF.match(data)):
        yield path, match.group(1)


def check(inv: Inventory, env: dict[str, str] | None = None) -> Iterator[Problem]:
    import os

    environ = os.environ if env is None else env
    docs = [inv.city_doc, *inv.docs.values()]
    warned: set[str] = set()
    for doc in docs:
        for path, name in _refs(doc.data):
            if environ.get(name) or name in warned:
                continue
            warned.add(name)  # one warning per variable, at its first use
            msg = f"secret ${{{name}}} is not set in the environment (needed to contact devices)"
            yield doc.problem(path, msg, "secret-unset", warning=True)
