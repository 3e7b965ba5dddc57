"""A compiled yes/no check of our schemas, to skip jsonschema for the files that are valid.

jsonschema walks a document keyword by keyword, building a validator per value it descends
into: on a city it costs more than reading the YAML. Almost every file of a city is valid,
and for a valid file no message is needed, so each schema is compiled once into nested
closures that answer only "valid?". A file that is not valid, or that the closures cannot
judge, is handed to jsonschema, whose errors (and our messages built from them) are the only
ones ever shown: the check can only skip work, never change a message.

Exactness matters because of `not` and `oneOf`, which invert or count answers: a check that
is unsure raises `Unsure` instead of guessing, and the caller falls back to jsonschema.
Only the keywords our schemas use are compiled; a schema with any other keyword is not
compiled at all (`compile_schema` returns None) and always goes to jsonschema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jsonschema import FormatChecker

Check = Callable[[Any], bool]


class Unsure(Exception):
    """The compiled check cannot say for certain; ask jsonschema."""


class Unsupported(Exception):
    """The schema uses a keyword this module does not compile."""


# Keywords that never make a document invalid.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "default", "examples"}
    | {"writeOnly", "readOnly", "deprecated"}
)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _type_check(expected: str, value: Any) -> bool:
    if expected == "string":
        return isinstance(value, str)
    if expected == "object":
        return isinstance(value, dict)
    if expected == "array":
        return isinstance(value, list)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "null":
        return value is None
    if expected == "number":
        return _is_number(value)
    if expected == "integer":
        if isinstance(value, float) and not isinstance(value, bool):
            raise Unsure  # 2020-12 counts 1.0 as an integer; leave that to jsonschema
        return isinstance(value, int) and not isinstance(value, bool)
    raise Unsupported(f"type {expected}")  # pragma: no cover - refused when compiled


_TYPES = frozenset(("string", "object", "array", "boolean", "null", "number", "integer"))


def _scalar_equal(a: Any, b: Any) -> bool:
    """JSON equality for str/int/bool/None (jsonschema keeps true apart from 1)."""
    if type(a) is type(b) and isinstance(a, (str, int, bool, type(None))):
        return bool(a == b)
    if isinstance(a, (dict, list, float)) or isinstance(b, (dict, list, float)):
        raise Unsure
    return False


def _keyword(key: str, arg: Any, schema: dict[str, Any]) -> Check | None:
    """One keyword's check (None for an annotation)."""
    from provision.schemas import _python_pattern  # the ECMA-262 reading of `$`

    if key in _ANNOTATIONS:
        return None
    if key == "type":
        types = [arg] if isinstance(arg, str) else list(arg)
        if not set(types) <= _TYPES:
            raise Unsupported(f"type {arg}")
        return lambda v: any(_type_check(t, v) for t in types)
    if key == "enum":
        return lambda v: any(_scalar_equal(v, e) for e in arg)
    if key == "const":
        return lambda v: _scalar_equal(v, arg)
    if key == "pattern":
        regex = _python_pattern(arg)
        return lambda v: not isinstance(v, str) or regex.search(v) is not None
    if key == "format":
        checker = FormatChecker()
        return lambda v: checker.conforms(v, arg)
    if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return _bound(key, arg)
    if key in ("minLength", "maxLength"):
        low = key == "minLength"
        return lambda v: not isinstance(v, str) or (len(v) >= arg if low else len(v) <= arg)
    if key in ("minItems", "maxItems"):
        low = key == "minItems"
        return lambda v: not isinstance(v, list) or (len(v) >= arg if low else len(v) <= arg)
    if key in ("minProperties", "maxProperties"):
        low = key == "minProperties"
        return lambda v: not isinstance(v, dict) or (len(v) >= arg if low else len(v) <= arg)
    if key == "uniqueItems":
        return _unique_items if arg else None
    return _applicator(key, arg, schema)


def _bound(key: str, limit: Any) -> Check:
    def check(v: Any) -> bool:
        if not _is_number(v):
            return True
        if key == "minimum":
            return bool(v >= limit)
        if key == "maximum":
            return bool(v <= limit)
        if key == "exclusiveMinimum":
            return bool(v > limit)
        return bool(v < limit)

    return check


def _unique_items(v: Any) -> bool:
    if not isinstance(v, list):
        return True
    if not all(isinstance(item, str) for item in v):
        raise Unsure
    return len(set(v)) == len(v)


def _applicator(key: str, arg: Any, schema: dict[str, Any]) -> Check:
    """Keywords holding subschemas."""
    if key == "properties":
        props = {name: compile_check(sub) for name, sub in arg.items()}
        return lambda v: (
            not isinstance(v, dict) or all(props[k](v[k]) for k in props.keys() & v.keys())
        )
    if key == "additionalProperties":
        if "patternProperties" in schema:
            raise Unsupported("patternProperties")
        known = frozenset(schema.get("properties") or ())
        extra = compile_check(arg)
        return lambda v: (
            not isinstance(v, dict) or all(extra(item) for k, item in v.items() if k not in known)
        )
    if key == "required":
        return lambda v: not isinstance(v, dict) or all(name in v for name in arg)
    if key == "propertyNames":
        names = compile_check(arg)
        return lambda v: not isinstance(v, dict) or all(names(k) for k in v)
    if key == "prefixItems":
        firsts = [compile_check(sub) for sub in arg]
        return lambda v: (
            not isinstance(v, list)
            or all(check(item) for check, item in zip(firsts, v, strict=False))
        )
    if key == "items":
        rest = compile_check(arg)
        skip = len(schema.get("prefixItems") or ())
        return lambda v: not isinstance(v, list) or all(rest(item) for item in v[skip:])
    if key == "not":
        inner = compile_check(arg)
        return lambda v: not inner(v)
    if key in ("anyOf", "oneOf"):
        branches = [compile_check(sub) for sub in arg]
        if key == "anyOf":
            return lambda v: any(b(v) for b in branches)
        return lambda v: sum(1 for b in branches if b(v)) == 1
    raise Unsupported(key)


def compile_check(schema: Any) -> Check:
    """The check of one (sub)schema: True valid, False invalid, or `Unsure` raised."""
    if schema is True or schema == {}:
        return lambda v: True
    if schema is False:
        return lambda v: False
    if not isinstance(schema, dict):
        raise Unsupported(repr(schema))
    checks = [c for key, arg in schema.items() if (c := _keyword(key, arg, schema)) is not None]
    return lambda v: all(check(v) for check in checks)


def compile_schema(schema: dict[str, Any]) -> Check | None:
    """The schema's check, or None if it uses a keyword not compiled here."""
    try:
        return compile_check(schema)
    except Unsupported:
        return None


def surely_valid(check: Check | None, data: Any) -> bool:
    """True only if `check` says for certain that `data` is valid."""
    if check is None:
        return False
    try:
        return check(data)
    except Unsure:
        return False
