"""The JSON Schemas (Draft 2020-12) of the inventory, compiled once per process.

`jsonschema.validate()` re-checks and re-compiles the schema on every call; a city has
thousands of files, so validators are built once here and reused.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource

from provision.diagnostics import Problem, printable, quote
from provision.yamlsource import SourceDoc

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


# Lengths and counts are bounded in the schemas; this bounds the report: past this many
# schema problems in one file (a list of 100,000 wrong items), the rest are summed up.
MAX_SCHEMA_PROBLEMS = 200
TYPE_NAMES = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string (text)",
    "object": "a mapping (key: value)",
    "array": "a list",
    "boolean": "true or false",
    "null": "empty",
}


@cache
def _python_pattern(pattern: str) -> re.Pattern[str]:
    """The regex as JSON Schema (ECMA-262) means it: there `$` ends the text, while
    Python's `$` also matches before a final newline, so "core\\n" passed `^[a-z]+$`."""
    escapes = len(pattern[:-1]) - len(pattern[:-1].rstrip("\\"))
    if pattern.endswith("$") and escapes % 2 == 0:  # an anchor, not a literal \$
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _pattern(
    validator: Draft202012Validator, patrn: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _python_pattern(patrn).search(instance):
        yield ValidationError(f"{quote(instance)} does not match {patrn!r}")


_Validator = validators.extend(Draft202012Validator, {"pattern": _pattern})


@cache
def validator(kind: str) -> Draft202012Validator:
    """The compiled validator for 'city' or 'school', with references inlined."""
    name = f"{kind}.schema.json"
    compiled: Draft202012Validator = _Validator(
        _inline(schema(name), name), format_checker=FormatChecker()
    )
    return compiled


def _type_names(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types)
    return " or ".join(TYPE_NAMES.get(t, t) for t in names)


def _bound_message(error: ValidationError) -> str | None:
    """Messages for size and range limits, quoting the value briefly."""
    value, limit, kind = error.instance, error.validator_value, error.validator
    if kind in ("minItems", "maxItems") and isinstance(value, list):
        bound = "at least" if kind == "minItems" else "at most"
        return f"has {len(value):,} item(s); {bound} {limit} expected"
    if kind in ("minProperties", "maxProperties") and isinstance(value, dict):
        bound = "at least" if kind == "minProperties" else "at most"
        return f"has {len(value):,} entries; {bound} {limit} expected"
    if kind in ("minLength", "maxLength") and isinstance(value, str):
        bound = "at least" if kind == "minLength" else "at most"
        return f"{quote(value)} has {len(value):,} characters; {bound} {limit} allowed"
    ranges = {
        "minimum": "is below the minimum of",
        "maximum": "is above the maximum of",
        "exclusiveMinimum": "must be greater than",
        "exclusiveMaximum": "must be less than",
    }
    if kind in ranges:
        schema = error.schema if isinstance(error.schema, dict) else {}
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if low is not None and high is not None:
            lt_low = "<" if "exclusiveMinimum" in schema else "≤"
            lt_high = "<" if "exclusiveMaximum" in schema else "≤"
            return f"{quote(value)} is out of range; allowed: {low} {lt_low} value {lt_high} {high}"
        return f"{quote(value)} {ranges[kind]} {limit}"
    return None


def _forms_message(error: ValidationError) -> str | None:
    """ "give either a and b, or c" for a oneOf whose branches are sets of required fields
    (the lens: focal length and sensor width, or a field of view), naming what was given."""
    branches = error.validator_value
    if not isinstance(error.instance, dict) or not all(
        isinstance(b, dict) and b.get("required") for b in branches
    ):
        return None
    forms = [" and ".join(b["required"]) for b in branches]
    given = ", ".join(sorted(str(k) for k in error.instance)) or "nothing"
    return f"give either {', or '.join(forms)} (exactly one of these); found: {given}"


def _message(error: ValidationError) -> str:
    if isinstance(error.schema, dict) and error.schema.get("writeOnly"):
        # A secret field (writeOnly in the schema): whatever is there may be a real password
        # pasted by mistake; say what to write instead, never repeat it (CI logs, MR comments).
        return (
            "a secret cannot be written here literally (the value is not shown); write a "
            "reference to an environment variable instead, e.g. '${PROVISION_CAMERA_PASSWORD}', "
            "and set the variable, or pass --secrets FILE"
        )
    desc = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator in ("oneOf", "anyOf"):
        if (forms := _forms_message(error)) is not None:
            return forms
        if error.context:
            inner = _message(best_match(error.context))
            return f"{inner}; expected: {desc}" if desc else inner
        return f"fits more than one of the allowed forms; expected: {desc or 'exactly one'}"
    if error.validator == "type":
        return f"{quote(error.instance)} is not {_type_names(error.validator_value)}"
    if (bound := _bound_message(error)) is not None:
        return bound
    if error.validator == "pattern":
        return f"{quote(error.instance)} is not valid here: {desc or 'wrong format'}"
    if error.validator == "format":
        return f"{quote(error.instance)} is not a valid {error.validator_value}"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted((error.schema.get("properties") or {}).keys())
        hints = []
        for key in _extra_keys(error)[:5]:
            if not isinstance(key, str):  # `1:`, `true:`, `~:` are not text to YAML
                what = "null" if key is None else type(key).__name__
                hints.append(f"{quote(key)} (YAML reads this key as {what}; quote it for text)")
                continue
            close = difflib.get_close_matches(key, allowed, n=1)
            hints.append(quote(key) + (f" (did you mean {close[0]!r}?)" if close else ""))
        return f"unknown field {', '.join(hints)}; allowed: {', '.join(allowed)}"
    if error.validator == "enum":
        valid = ", ".join(str(v) for v in error.validator_value)
        return f"{quote(error.instance)} is not one of the valid values: {valid}"
    return printable(error.message, 300)


def _yaml_surprise(error: ValidationError, doc: SourceDoc) -> str | None:
    """Text written unquoted that YAML 1.1 read as something else: `210204` (a number),
    `11:30` (base 60: 690), `no` (false). Say what YAML made of it and to quote it."""
    expected = error.validator_value
    wants_text = expected == "string" or (isinstance(expected, list) and "string" in expected)
    if error.validator != "type" or not wants_text or isinstance(error.instance, (dict, list)):
        return None
    if isinstance(error.schema, dict) and error.schema.get("writeOnly"):
        return None  # a secret: never repeated, whatever YAML made of it
    node = doc.node_at(tuple(error.absolute_path))
    if not isinstance(node, yaml.ScalarNode) or node.style:  # quoted: meant as written
        return None
    written = node.value
    value = error.instance
    what = "empty" if value is None else "true or false" if isinstance(value, bool) else "a number"
    read = "empty" if value is None else str(value).lower() if isinstance(value, bool) else value
    made = (
        f"YAML reads {written} as {read}"
        if str(written) != str(read)
        else f"YAML reads it as {what}"
    )
    return f"{written} is not text: {made}; quote it ('{written}') to write text"


def _extra_keys(error: ValidationError) -> list[Any]:
    allowed = (error.schema.get("properties") or {}).keys()
    return [k for k in error.instance if k not in allowed]


def schema_problems(kind: str, doc: SourceDoc) -> Iterator[Problem]:
    """Every schema violation of a parsed document, located in its file."""
    reported = 0
    for error in validator(kind).iter_errors(doc.data):
        path = tuple(error.absolute_path)
        if path in doc.invalid_paths:
            continue  # reading the file already said what is wrong with this value
        if reported == MAX_SCHEMA_PROBLEMS:
            msg = f"more schema problems in this file; the first {MAX_SCHEMA_PROBLEMS} are shown"
            yield doc.problem((), msg, "schema-more")
            return
        reported += 1
        key, message = False, _yaml_surprise(error, doc) or _message(error)
        if "propertyNames" in error.relative_schema_path:
            # The offending key itself, e.g. a district named 1 or "Zhong Shan".
            path, key, message = (*path, error.instance), True, f"key {message}"
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            extra = _extra_keys(error)
            if extra:
                path, key = (*path, extra[0]), True
        yield doc.problem(path, message, f"schema-{error.validator}", key=key)
