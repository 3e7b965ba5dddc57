"""`--help` in the language of the run: our help texts and click's own words, both translated
when the help is shown, not when the command is defined.

Why at display time: every help text is fixed when its module is imported (a docstring, an
option's `help=`), and click 8.5 stores it as a plain string (`Parameter.__init__` runs
`inspect.cleandoc` on it, so a lazy string object would be flattened there), while the language
is chosen later (--lang is parsed after the commands exist). So the texts stay English — they
are the msgids — and `TranslatedCommand` / `TranslatedGroup` look each one up where click
formats the help page: the command's help and epilog, each option's help (click's
"[default: …]" suffix kept as click built it), and the short help the command list shows.
`help_messages` walks the command tree for the catalog (`make i18n`, via help_catalog.py)
and for the test that fails when a help text has no translation.

Click's own words ("Usage:", "Options", "Show this message and exit.", "Error: …", "Try …
for help.") are looked up by click with the stdlib's `gettext.gettext`, bound into each click
module as `_` (click/core.py: `from gettext import gettext as _`): the process-wide default
domain, whose language comes from LANGUAGE/LC_ALL/LANG at call time. Setting those variables
would leak into every child process (Chromium, ffmpeg) and cannot follow --lang per run, so
`speak_clicks_words` points those module-level names at provision's `click` catalog for the
active language instead (`i18n.dgettext(CLICK_DOMAIN, …)`); in English they return the msgid,
which is what click prints when no catalog is installed.
"""

from __future__ import annotations

import gettext
import importlib
import inspect
import pkgutil
from collections.abc import Iterator

import click

from provision import i18n
from provision.cli.wide_text import WideTextContext
from provision.i18n import _

# The help option click adds to every command: created once and cached on the command in the
# language of that moment, so it is shown from this msgid instead.
HELP_OPTION_TEXT = "Show this message and exit."


def translate(text: str) -> str:
    """A help text in the active language: our catalog, else click's, else as written."""
    translated = _(text)
    if translated == text:
        translated = i18n.dgettext(i18n.CLICK_DOMAIN, text)
    return translated


def paragraphs(text: str) -> list[tuple[bool, str]]:
    """A help text as its paragraphs, each one msgid: (verbatim, text).

    A paragraph click rewraps is joined into one line, so re-wrapping the source changes no
    msgid; one marked `\\b` (kept as written: examples) keeps its lines, without the marker,
    which is no text a translator should see (nor a control character in the .po file).
    """
    out = []
    for para in inspect.cleandoc(text).partition("\f")[0].split("\n\n"):
        lines = para.strip("\n").splitlines()
        if lines and lines[0].strip() == "\b":
            out.append((True, "\n".join(lines[1:])))
        elif lines:
            out.append((False, " ".join(line.strip() for line in lines)))
    return out


def translate_help(text: str) -> str:
    """A command's help or epilog in the active language, paragraph by paragraph."""
    return "\n\n".join(
        "\b\n" + translate(para) if verbatim else translate(para)
        for verbatim, para in paragraphs(text)
    )


def _click_gettext(message: str) -> str:
    return i18n.dgettext(i18n.CLICK_DOMAIN, message)


def _click_ngettext(singular: str, plural: str, n: int) -> str:
    return i18n.dngettext(i18n.CLICK_DOMAIN, singular, plural, n)


def speak_clicks_words() -> None:
    """Make every click module that looks its words up with the stdlib's gettext use ours."""
    import click as package

    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        if info.name.endswith("_winconsole"):
            continue  # Windows only: imports ctypes.windll
        module = importlib.import_module(info.name)
        if getattr(module, "_", None) is gettext.gettext:
            module._ = _click_gettext  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = _click_ngettext  # type: ignore[attr-defined]


def short_help(text: str, limit: int) -> str:
    """The first sentence of a help text, cut to `limit` terminal columns (a CJK character
    takes two; click's own shortener counts characters and splits on spaces Chinese lacks)."""
    lines = inspect.cleandoc(text).partition("\n\n")[0].splitlines()
    first = " ".join(line.strip() for line in lines if line.strip() != "\b")
    for end in ("。", ". "):
        if end in first:
            first = first.split(end, 1)[0] + end.strip()
            break
    if i18n.display_width(first) <= limit:
        return first
    out = ""
    for ch in first:
        if i18n.display_width(out + ch + "…") > limit:
            break
        out += ch
    return out.rstrip() + "…"


class TranslatedCommand(click.Command):
    """A command whose help page speaks the language of the run."""

    context_class = WideTextContext  # Chinese wrapped by columns, not characters

    def get_short_help_str(self, limit: int = 45) -> str:
        if self.short_help:
            return short_help(translate(self.short_help), limit)
        return short_help(translate_help(self.help), limit) if self.help else ""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.help:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(translate_help(self.help))

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [
            row
            for param in self.get_params(ctx)
            if not isinstance(param, click.Argument)
            if (row := _option_row(self, param, ctx)) is not None
        ]
        if rows:
            with formatter.section(_click_gettext("Options")):
                formatter.write_dl(rows)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.epilog:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(translate_help(self.epilog))


def _option_row(
    command: click.Command, param: click.Parameter, ctx: click.Context
) -> tuple[str, str] | None:
    record = param.get_help_record(ctx)
    if record is None:
        return None
    term, text = record
    if param is command.get_help_option(ctx):
        return term, translate(HELP_OPTION_TEXT)
    written = param.help or ""
    if written and text.startswith(written):
        # the rest is click's "  [default: …]", already in the language of the run
        text = translate(written) + text[len(written) :]
    return term, text


class TranslatedGroup(TranslatedCommand, click.Group):
    """A group whose help page, and whose subcommands' pages, speak the language of the run."""

    command_class = TranslatedCommand
    group_class = type

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # TranslatedCommand's comes first in the MRO and lists no subcommands
        super().format_options(ctx, formatter)
        self.format_commands(ctx, formatter)


def help_messages(command: click.Command) -> Iterator[str]:
    """Every help text of `command` and the commands beneath it, as the catalog holds them."""
    for text in (command.help, command.epilog):
        if text:
            yield from (para for _verbatim, para in paragraphs(text))
    if command.short_help:
        yield command.short_help
    for param in command.params:
        if isinstance(param, click.Option) and param.help:
            yield param.help
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                yield from help_messages(sub)
