"""A secret whose environment variable is unset: a warning now, an error at contact time."""

from __future__ import annotations

from collections.abc import Iterator

from provision.diagnostics import Problem
from provision.i18n import _
from provision.inventory.loader import Inventory
from provision.inventory.secrets import REF


def _refs(data: object) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path, variable) of every ${VAR} string, in document order; iterative, because a
    file that broke the schema may nest a thousand levels deep."""
    stack: list[tuple[tuple[str | int, ...], object]] = [((), data)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack.extend(((*path, k), v) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(node))))
        elif isinstance(node, str) and (match := REF.match(node)):
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
            msg = _(
                "secret ${{{name}}} is not set in the environment (needed to contact devices)"
            ).format(name=name)
            yield doc.problem(path, msg, "secret-unset", warning=True)
