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
def _registry() -> Registry:
    return Registry().with_resources(
        (name, Resource.from_contents(schema(name))) for name in SCHEMA_FILES
    )


@cache
def validator(kind: str) -> Draft202012Validator:
    """The compiled validator for 'city' or 'school'."""
    return Draft202012Validator(
        schema(f"{kind}.schema.json"), registry=_registry(), format_checker=FormatChecker()
    )


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
