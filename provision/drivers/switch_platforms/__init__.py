"""The switch platforms, one module each, found by name.

A module of this package that defines `PLATFORM` (an instance of its `SwitchPlatform`
subclass) is a platform; its file name is the platform's name, which is also the inventory's
`platform` value, the template's name and netmiko's device type where netmiko has one. Adding
a platform is adding its module (and its template, and a lab dialect to test it against):
nothing here lists them. The schema's enum, citygen and the lab take their lists from
`platform_names()`, and tests fail when one of them differs.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from provision.drivers.switch_platforms.base import SwitchPlatform
from provision.i18n import _


class UnknownSwitchPlatform(LookupError):
    """No module of this package is the platform asked for."""


@cache
def platforms() -> dict[str, SwitchPlatform]:
    """Every switch platform by name, in name order."""
    found: dict[str, SwitchPlatform] = {}
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        platform = getattr(importlib.import_module(f"{__name__}.{module}"), "PLATFORM", None)
        if isinstance(platform, SwitchPlatform):
            if platform.name != module:
                raise TypeError(f"{module}.py defines platform {platform.name!r}: names differ")
            found[module] = platform
    return found


def platform_names() -> tuple[str, ...]:
    return tuple(platforms())


def platform_named(name: str) -> SwitchPlatform:
    """The platform called `name`; an unknown name is an error that lists the valid ones."""
    platform = platforms().get(name)
    if platform is None:
        text = _("unknown switch platform {name!r}; valid: {valid}")
        raise UnknownSwitchPlatform(text.format(name=name, valid=", ".join(platform_names())))
    return platform


__all__ = [
    "SwitchPlatform",
    "UnknownSwitchPlatform",
    "platform_named",
    "platform_names",
    "platforms",
]
