"""--lang, and the city's own `locale`: which language a command speaks.

`--lang zh|en` on the `provision` group (`lang_option`), else PROVISION_LANG, else the
`locale` of the city.yaml the command's --inventory names (`follow_city_locale`, the
inventory option's callback), else English. The group restores the language spoken before
once the command returns, so a command run in-process (a test's CliRunner) leaves nothing
behind.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import click
import yaml

from provision import i18n

CHOSEN = "provision.lang"  # where the root context keeps an explicit --lang


def _choose(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    ctx.meta[CHOSEN] = value
    try:
        i18n.activate(i18n.resolve(value))
    except i18n.UnknownLanguage as exc:
        raise click.BadParameter(str(exc), ctx, param, param_hint=f"${i18n.ENV}") from None
    return value


lang_option = click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default=None,
    is_eager=True,
    expose_value=False,
    callback=_choose,
    help="Language of messages and reports [default: $PROVISION_LANG, else the city.yaml "
    "`locale`, else en]. JSON keys and codes stay English.",
)


def choose_early(args: list[str]) -> None:
    """Speak the language --lang or PROVISION_LANG names before any option is processed.

    --help is eager like --lang, and click processes eager options in the order they were
    typed, those not typed last: `provision --help` under PROVISION_LANG=zh, or `provision
    --help --lang zh`, would print English before `_choose` ran. A language that is not
    ours is left for `_choose` to refuse by name.
    """
    value = None
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--lang="):
            value = arg.partition("=")[2]
        elif not arg.startswith("-") and (i == 0 or args[i - 1] != "--lang"):
            break  # the subcommand: what follows is its own
    with contextlib.suppress(i18n.UnknownLanguage):
        i18n.activate(i18n.resolve(value))


def city_locale(inventory: str | Path) -> str | None:
    """The `locale` city.yaml names, or None; a city.yaml that cannot be read names none
    (validate reports why)."""
    try:
        raw = yaml.safe_load((Path(inventory) / "city.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    locale = raw.get("locale") if isinstance(raw, dict) else None
    return locale if isinstance(locale, str) else None


def follow_city_locale(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Speak the city's language, unless --lang or PROVISION_LANG chose one."""
    root = ctx.find_root()
    if value is None or root.meta.get(CHOSEN) or os.environ.get(i18n.ENV):
        return value
    locale = city_locale(value)
    if locale:
        # the schema names the languages: validate reports an unknown one
        with contextlib.suppress(i18n.UnknownLanguage):
            i18n.activate(i18n.resolve(None, locale))
    return value
