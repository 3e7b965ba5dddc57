"""Every message provision shows has a Chinese translation, with the same placeholders.

The messages are extracted afresh from the source (pybabel extract, with the project's
babel.cfg) into a temporary template, and each one must be in the zh_CN catalog, translated,
not fuzzy, and with exactly the variables of the English ({name} for Python, %(name)s for
the HTML template), so a translation can reorder them but never lose or invent one.
A message added without `make i18n` and a translation fails here, naming it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from provision import i18n

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "provision" / "locale" / "zh_CN" / "LC_MESSAGES" / "provision.po"
PLACEHOLDER = re.compile(r"(?<!\{)\{(\w+)[^{}]*\}(?!\})|%\((\w+)\)")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> list[str | tuple[str, ...]]:
    pot = tmp_path_factory.mktemp("pot") / "provision.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "-q", "extract", "-F", "babel.cfg", "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    with pot.open("rb") as f:
        return [m.id for m in read_po(f) if m.id]


@pytest.fixture(scope="module")
def catalog() -> dict[str, tuple[str, ...]]:
    with PO.open("rb") as f:
        po = read_po(f)
    out = {}
    for m in po:
        if not m.id or m.fuzzy:
            continue
        key = m.id[0] if isinstance(m.id, tuple) else m.id
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        out[key] = tuple(strings)
    return out


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


def test_the_source_has_messages_to_translate(extracted: list) -> None:
    # the demo path's messages, from Python and from the HTML template
    ids = {m[0] if isinstance(m, tuple) else m for m in extracted}
    assert "{errors} error(s), {warnings} warning(s)" in ids
    assert "School security audit — %(city)s" in ids
    assert len(ids) > 300


def test_every_message_is_translated(extracted: list, catalog: dict) -> None:
    missing = []
    for message in extracted:
        key = message[0] if isinstance(message, tuple) else message
        if not any(catalog.get(key, ())):
            missing.append(key)
    assert not missing, "untranslated (run `make i18n` and translate):\n" + "\n".join(missing)


def test_translations_keep_the_variables(catalog: dict) -> None:
    wrong = [
        f"{msgid!r} -> {string!r}"
        for msgid, strings in catalog.items()
        for string in strings
        if string and placeholders(string) != placeholders(msgid)
    ]
    assert not wrong, "\n".join(wrong)


def test_the_catalog_compiles_and_speaks_chinese() -> None:
    with i18n.speaking("zh"):
        assert (
            i18n._("{errors} error(s), {warnings} warning(s)")
            == "{errors} 个错误，{warnings} 个警告"
        )
        assert i18n.ngettext("{n} school", "{n} schools", 2)  # no plural table trips it
    assert i18n._("{errors} error(s), {warnings} warning(s)").startswith("{errors} error")


def test_every_verify_check_has_a_label_to_translate() -> None:
    """A check without a label shows its English code in a Chinese report (the recording
    check did: "recording检查" in the demo's findings)."""
    from provision.verify.labels import CHECKS as LABELS
    from provision.verify.registry import CHECKS

    assert [name for name in CHECKS if name not in LABELS] == []
