"""The language provision speaks: GNU gettext catalogs, managed with Babel.

Every user-facing message is written in English and wrapped where it is formatted, at the
level of the whole format string, so a translation may reorder the variables::

    _("{kind} address {address} is in none of the school's subnets").format(kind=..., ...)
    ngettext("{n} school", "{n} schools", n).format(n=n)

A string defined before the language is known (a module-level table) is marked with `N_`
for extraction and translated where it is shown, with `_(TABLE[key])`.

Catalogs: `provision/locale/<lang>/LC_MESSAGES/provision.po` (and `click.po`, the words
click itself prints, read with `dgettext`), extracted and updated with
`make i18n` (pybabel extract/update, babel.cfg). The `.mo` a translator needs is compiled
from the `.po` at first use into a cache keyed by the `.po`'s content, so an editable
install (`pip install -e`), a wheel and a checkout after `git pull` all use the catalog
they hold, never a stale build; when no cache directory is writable the catalog is compiled
in memory. Codes, JSON keys and anything a pipeline filters on stay English.

Which language: `--lang zh|en` on the command line, else `PROVISION_LANG`, else the
`locale` of the city's city.yaml, else English (`resolve`).
"""

from __future__ import annotations

import contextlib
import functools
import gettext
import hashlib
import io
import os
import tempfile
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path

DOMAIN = "provision"
# click's own words ("Usage:", "Options", "Error: …"), extracted from the installed click into
# a catalog of their own (`make i18n`), so a click upgrade updates them apart from ours.
CLICK_DOMAIN = "click"
LOCALE_DIR = Path(__file__).parent / "locale"
ENGLISH = "en"
CHINESE = "zh_CN"
LANGUAGES = (ENGLISH, CHINESE)
ENV = "PROVISION_LANG"

# What people write for a language (command line, environment, city.yaml) → catalog name.
_ALIASES = {
    "en": ENGLISH,
    "en_us": ENGLISH,
    "en_gb": ENGLISH,
    "c": ENGLISH,
    "posix": ENGLISH,
    "zh": CHINESE,
    "zh_cn": CHINESE,
    "zh_hans": CHINESE,
    "zh_hans_cn": CHINESE,
}
# The `lang` attribute of an HTML page in each language (BCP 47).
HTML_LANG = {ENGLISH: "en", CHINESE: "zh-CN"}


class UnknownLanguage(ValueError):
    """A language provision has no catalog for."""


def normalise(name: str) -> str:
    """'zh', 'zh-CN', 'zh_CN.UTF-8', 'zh-Hans' → 'zh_CN'; 'en', 'en-US' → 'en'."""
    key = name.strip().split(".", 1)[0].replace("-", "_").lower()
    if key not in _ALIASES:
        raise UnknownLanguage(f"unknown language {name!r}: provision speaks en and zh (zh-CN)")
    return _ALIASES[key]


def resolve(option: str | None = None, city_locale: str | None = None) -> str:
    """The language of this run: --lang, else PROVISION_LANG, else city.yaml, else English."""
    for candidate in (option, os.environ.get(ENV), city_locale):
        if candidate:
            return normalise(candidate)
    return ENGLISH


_active = ENGLISH
_translations: gettext.NullTranslations = gettext.NullTranslations()


def activate(language: str) -> str:
    """Speak `language` from now on (the whole process); returns the one spoken before."""
    global _active, _translations
    language = normalise(language)
    previous = _active
    _translations = _load(language)
    _active = language
    return previous


def current() -> str:
    return _active


@contextlib.contextmanager
def speaking(language: str) -> Iterator[None]:
    """Speak `language` inside the block and whatever was spoken before after it."""
    previous = activate(language)
    try:
        yield
    finally:
        activate(previous)


def _(message: str) -> str:
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def dgettext(domain: str, message: str) -> str:
    """`message` from another domain's catalog (click's own words, `CLICK_DOMAIN`)."""
    return _load(_active, domain).gettext(message)


def dngettext(domain: str, singular: str, plural: str, n: int) -> str:
    return _load(_active, domain).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a string for extraction only; it is translated where it is shown."""
    return message


def word(table: Mapping[str, str], code: str) -> str:
    """The word for `code` from a table of `N_()`-marked words, in the active language; a
    code the table lacks is shown as it is."""
    return _(table[code]) if code in table else code


@functools.cache
def _load(language: str, domain: str = DOMAIN) -> gettext.NullTranslations:
    if language == ENGLISH:
        return gettext.NullTranslations()
    po_bytes = (LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po").read_bytes()
    cache = _cache_root(po_bytes)
    if cache is not None:
        with contextlib.suppress(OSError):
            target = cache / language / "LC_MESSAGES" / f"{domain}.mo"
            if not target.exists():
                _write_atomically(target, _compile(po_bytes))
            return gettext.translation(domain, cache, languages=[language])
    # No writable cache: the same catalog, compiled in memory.
    return gettext.GNUTranslations(io.BytesIO(_compile(po_bytes)))


def _compile(po_bytes: bytes) -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalog = read_po(io.BytesIO(po_bytes))
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _cache_root(po_bytes: bytes) -> Path | None:
    """A directory per catalog content: a changed .po gets a fresh .mo, never a stale one."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    digest = hashlib.sha256(po_bytes).hexdigest()[:16]
    root = Path(base) / "provision" / "locale" / digest
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return root if os.access(root, os.W_OK) else None


def _write_atomically(target: Path, data: bytes) -> None:
    # Two processes compiling at once must never leave a half-written .mo for a third.
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, target)


def format_date(day: date | datetime) -> str:
    """A date the way readers of the language write it: 2026年12月6日, 6 December 2026."""
    from babel.dates import format_date as babel_date

    return babel_date(day, format="long", locale="zh_CN" if _active == CHINESE else "en_GB")


def display_width(text: str) -> int:
    """Columns a terminal gives `text`: a CJK character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def ljust(text: str, width: int) -> str:
    """`text` padded to `width` terminal columns (str.ljust counts a CJK character as one)."""
    return text + " " * max(0, width - display_width(text))
