"""Deep merge for inherited defaults (city → district → tier → school → device)."""

from __future__ import annotations

from typing import Any


def deep_merge(*layers: Any) -> Any:
    """Merge mappings recursively, later layers winning; lists and scalars are replaced whole.

    Lists are not concatenated: a school that lists its own NTP servers means exactly those.
    Inputs are never mutated.
    """
    result: Any = None
    for layer in layers:
        if layer is None:
            continue
        if isinstance(result, dict) and isinstance(layer, dict):
            merged = dict(result)
            for key, value in layer.items():
                merged[key] = deep_merge(merged.get(key), value) if key in merged else value
            result = merged
        else:
            result = layer
    return result
