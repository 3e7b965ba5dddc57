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
from provision.i18n import N_, _, word
from provision.schemas import fastcheck
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
    "integer": N_("an integer"),
    "number": N_("a number"),
    "string": N_("a string (text)"),
    "object": N_("a mapping (key: value)"),
    "array": N_("a list"),
    "boolean": N_("true or false"),
    "null": N_("empty"),
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
        yield ValidationError(
            _("{instance} does not match {patrn!r}").format(instance=quote(instance), patrn=patrn)
        )


_Validator = validators.extend(Draft202012Validator, {"pattern": _pattern})


@cache
def _inlined(kind: str) -> dict[str, Any]:
    name = f"{kind}.schema.json"
    inlined: dict[str, Any] = _inline(schema(name), name)
    return inlined


@cache
def validator(kind: str) -> Draft202012Validator:
    """The compiled validator for 'city' or 'school', with references inlined."""
    compiled: Draft202012Validator = _Validator(_inlined(kind), format_checker=FormatChecker())
    return compiled


@cache
def quick_check(kind: str) -> fastcheck.Check | None:
    """The yes/no check that lets a valid file skip jsonschema (see fastcheck.py)."""
    return fastcheck.compile_schema(_inlined(kind))


def _type_names(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types)
    return _(" or ").join(word(TYPE_NAMES, t) for t in names)


def _bound_message(error: ValidationError) -> str | None:
    """Messages for size and range limits, quoting the value briefly."""
    value, limit, kind = error.instance, error.validator_value, error.validator
    if kind in ("minItems", "maxItems") and isinstance(value, list):
        text = (
            _("has {n:,} item(s); at least {limit} expected")
            if kind == "minItems"
            else _("has {n:,} item(s); at most {limit} expected")
        )
        return text.format(n=len(value), limit=limit)
    if kind in ("minProperties", "maxProperties") and isinstance(value, dict):
        text = (
            _("has {n:,} entries; at least {limit} expected")
            if kind == "minProperties"
            else _("has {n:,} entries; at most {limit} expected")
        )
        return text.format(n=len(value), limit=limit)
    if kind in ("minLength", "maxLength") and isinstance(value, str):
        text = (
            _("{value} has {n:,} characters; at least {limit} allowed")
            if kind == "minLength"
            else _("{value} has {n:,} characters; at most {limit} allowed")
        )
        return text.format(value=quote(value), n=len(value), limit=limit)
    ranges = {
        "minimum": N_("{value} is below the minimum of {limit}"),
        "maximum": N_("{value} is above the maximum of {limit}"),
        "exclusiveMinimum": N_("{value} must be greater than {limit}"),
        "exclusiveMaximum": N_("{value} must be less than {limit}"),
    }
    if kind in ranges:
        schema = error.schema if isinstance(error.schema, dict) else {}
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if low is not None and high is not None:
            return _(
                "{value} is out of range; allowed: {low} {lt_low} value {lt_high} {high}"
            ).format(
                value=quote(value),
                low=low,
                high=high,
                lt_low="<" if "exclusiveMinimum" in schema else "≤",
                lt_high="<" if "exclusiveMaximum" in schema else "≤",
            )
        return _(ranges[kind]).format(value=quote(value), limit=limit)
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
    given = ", ".join(sorted(str(k) for k in error.instance)) or _("nothing")
    return _("give either {forms} (exactly one of these); found: {given}").format(
        forms=_(", or ").join(forms), given=given
    )


def _message(error: ValidationError) -> str:
    if isinstance(error.schema, dict) and error.schema.get("writeOnly"):
        # A secret field (writeOnly in the schema): whatever is there may be a real password
        # pasted by mistake; say what to write instead, never repeat it (CI logs, MR comments).
        return _(
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
            return (
                _("{problem}; expected: {expected}").format(problem=inner, expected=desc)
                if desc
                else inner
            )
        return _("fits more than one of the allowed forms; expected: {expected}").format(
            expected=desc or _("exactly one")
        )
    if error.validator == "type":
        return _("{instance} is not {type_names}").format(
            instance=quote(error.instance), type_names=_type_names(error.validator_value)
        )
    if (bound := _bound_message(error)) is not None:
        return bound
    if error.validator == "pattern":
        return _("{instance} is not valid here: {expected}").format(
            instance=quote(error.instance), expected=desc or _("wrong format")
        )
    if error.validator == "format":
        return _("{instance} is not a valid {format}").format(
            instance=quote(error.instance), format=error.validator_value
        )
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted((error.schema.get("properties") or {}).keys())
        hints = []
        for key in _extra_keys(error)[:5]:
            if not isinstance(key, str):  # `1:`, `true:`, `~:` are not text to YAML
                what = "null" if key is None else type(key).__name__
                hints.append(
                    _("{key} (YAML reads this key as {what}; quote it for text)").format(
                        key=quote(key), what=what
                    )
                )
                continue
            close = difflib.get_close_matches(key, allowed, n=1)
            hints.append(
                quote(key)
                + (_(" (did you mean {close!r}?)").format(close=close[0]) if close else "")
            )
        return _("unknown field {unknown}; allowed: {allowed}").format(
            unknown=", ".join(hints), allowed=", ".join(allowed)
        )
    if error.validator == "enum":
        valid = ", ".join(str(v) for v in error.validator_value)
        return _("{instance} is not one of the valid values: {valid}").format(
            instance=quote(error.instance), valid=valid
        )
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
    if value is None:
        what = _("empty")
    elif isinstance(value, bool):
        what = _("true or false")
    else:
        what = _("a number")
    read = what if value is None else str(value).lower() if isinstance(value, bool) else value
    if str(written) == str(read):
        made = _("YAML reads it as {what}").format(what=what)
    else:
        made = _("YAML reads {written} as {read}").format(written=written, read=read)
    return _("{written} is not text: {made}; quote it ('{written}') to write text").format(
        written=written, made=made
    )


def _extra_keys(error: ValidationError) -> list[Any]:
    allowed = (error.schema.get("properties") or {}).keys()
    return [k for k in error.instance if k not in allowed]


def schema_problems(kind: str, doc: SourceDoc) -> Iterator[Problem]:
    """Every schema violation of a parsed document, located in its file."""
    if fastcheck.surely_valid(quick_check(kind), doc.data):
        return
    reported = 0
    for error in validator(kind).iter_errors(doc.data):
        path = tuple(error.absolute_path)
        if path in doc.invalid_paths:
            continue  # reading the file already said what is wrong with this value
        if reported == MAX_SCHEMA_PROBLEMS:
            msg = _("more schema problems in this file; the first {n} are shown").format(
                n=MAX_SCHEMA_PROBLEMS
            )
            yield doc.problem((), msg, "schema-more")
            return
        reported += 1
        key, message = False, _yaml_surprise(error, doc) or _message(error)
        if "propertyNames" in error.relative_schema_path:
            # The offending key itself, e.g. a district named 1 or "Zhong Shan".
            path, key, message = (
                (*path, error.instance),
                True,
                _("key {problem}").format(problem=message),
            )
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            extra = _extra_keys(error)
            if extra:
                path, key = (*path, extra[0]), True
        yield doc.problem(path, message, f"schema-{error.validator}", key=key)
