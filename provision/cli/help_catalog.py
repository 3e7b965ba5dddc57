"""The Babel extractor for the help of the command tree (babel.cfg, `make i18n`).

Help texts are docstrings and `help=` strings no `_()` marks, translated when the help is
shown (help_text.py); this yields each one as `help_messages` finds it in the tree the CLI
builds, so the catalog holds exactly the texts the help pages look up.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from provision.cli.help_text import help_messages


def extract_help(
    fileobj: Any, keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[tuple[int, str, str, list[str]]]:
    """A Babel extractor (babel.cfg) for the CLI's entry module: its own messages, then every
    help text of the command tree it builds, which no `_()` call marks."""
    from babel.messages.extract import extract_python

    yield from extract_python(fileobj, keywords, comment_tags, options)  # type: ignore[misc,arg-type]
    from provision.cli.main import cli

    for text in dict.fromkeys(help_messages(cli)):
        yield 0, "", text, []
