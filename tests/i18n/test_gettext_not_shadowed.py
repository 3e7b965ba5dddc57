"""`_` is gettext in every module that translates: a function that also binds `_` (a loop
variable, a discarded value) makes it local for the whole function, so its `_("...")` calls an
int or a string instead, and only the error path that formats the message finds out."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "provision"
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
OWN_SCOPES = (*SCOPES, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of `scope` itself, not of the functions and comprehensions inside it."""
    for child in ast.iter_child_nodes(scope):
        yield child
        if not isinstance(child, OWN_SCOPES):
            yield from _own_nodes(child)


def _shadowing(tree: ast.AST) -> Iterator[int]:
    for scope in ast.walk(tree):
        if not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        nodes = list(_own_nodes(scope))
        binds = any(
            isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store) for n in nodes
        )
        calls = any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_"
            for n in ast.walk(scope)
        )
        if binds and calls:
            yield scope.lineno


def test_no_function_that_translates_binds_underscore() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line in _shadowing(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == [], "rename the `_` these functions bind (e.g. `_sep`): " + ", ".join(found)
