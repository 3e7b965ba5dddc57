"""The JSON Schemas (Draft 2020-12) of the inventory, compiled once per process.

`jsonschema.validate()` re-checks and re-compiles the schema on every call; a city has
thousands of files, so validators are built once here and reused.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource

from provision.diagnostics import Problem
from provision.inventory.yamlsource import SourceDoc

SCHEMA_FILES = ("common.schema.json", "city.schema.json", "school.schema.json")


@cache
def schema_text(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


@cache
def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text(name))
    return loaded


@cache
def registry() -> Registry:
    """The schemas as a referencing registry, for validating them as published."""
    return Registry().with_resources(
        (name, Resource.from_contents(schema(name))) for name in SCHEMA_FILES
    )


def _inline(node: Any, file: str) -> Any:
    """Replace every $ref by the definition it points to (our schemas are not recursive).

    Resolving references costs a registry lookup per use, per value, per file; inlined once,
    the same checks run about twice as fast. Sibling keywords of a $ref (descriptions, a
    tighter maxLength) are kept on top of the definition.
    """
    if isinstance(node, list):
        return [_inline(item, file) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target_file, _, pointer = node["$ref"].partition("#")
        target_file = target_file or file
        target: Any = schema(target_file)
        for part in pointer.strip("/").split("/"):
            target = target[part]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return {**_inline(target, target_file), **_inline(siblings, file)}
    return {k: _inline(v, file) for k, v in node.items() if k != "$defs"}


@cache
def validator(kind: str) -> Draft202012Validator:
    """The compiled validator for 'city' or 'school', with references inlined."""
    name = f"{kind}.schema.json"
    return Draft202012Validator(_inline(schema(name), name), format_checker=FormatChecker())


def _message(error: ValidationError) -> str:
    desc = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator in ("oneOf", "anyOf") and error.context:
        inner = _message(best_match(error.context))
        return f"{inner}; expected: {desc}" if desc else inner
    if error.validator in ("minItems", "maxItems") and isinstance(error.instance, list):
        bound = "at least" if error.validator == "minItems" else "at most"
        return f"has {len(error.instance)} item(s); {bound} {error.validator_value} expected"
    if error.validator == "pattern":
        return f"{error.instance!r} is not valid here: {desc or 'wrong format'}"
    if error.validator == "format":
        return f"{error.instance!r} is not a valid {error.validator_value}"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted((error.schema.get("properties") or {}).keys())
        extra = [k for k in error.instance if k not in allowed]
        hints = []
        for key in extra:
            close = difflib.get_close_matches(key, allowed, n=1)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        return f"unknown field {', '.join(hints)}; allowed: {', '.join(allowed)}"
    if error.validator == "enum":
        valid = ", ".join(str(v) for v in error.validator_value)
        return f"{error.instance!r} is not one of the valid values: {valid}"
    return error.message


def schema_problems(kind: str, doc: SourceDoc) -> Iterator[Problem]:
    """Every schema violation of a parsed document, located in its file."""
    for error in validator(kind).iter_errors(doc.data):
        path = tuple(error.absolute_path)
        key = False
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = (error.schema.get("properties") or {}).keys()
            extra = [k for k in error.instance if k not in allowed]
            if extra:
                path, key = (*path, extra[0]), True
        yield doc.problem(path, _message(error), f"schema-{error.validator}", key=key)
