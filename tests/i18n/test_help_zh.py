"""`--help` speaks the language of the run: every help text of the command tree and every word
click itself prints has a Chinese translation, and `provision --lang zh … --help` shows them.

The help texts are found by walking the command tree as click builds it (not by reading the
source), so an option or command added without a translation fails here, naming its text.
No lab: help pages and usage errors are all in-process.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from click.testing import CliRunner

from provision import i18n
from provision.cli.help_text import TranslatedCommand, help_messages, paragraphs, short_help
from provision.cli.main import cli
from provision.cli.wide_text import wrap_line

LOCALE = Path(i18n.__file__).parent / "locale" / "zh_CN" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"(?<!\{)\{(\w+)[^{}]*\}(?!\})|%\((\w+)\)")
CJK = re.compile(r"[\u4e00-\u9fff]")


def translations(domain: str) -> dict[str, tuple[str, ...]]:
    with (LOCALE / f"{domain}.po").open("rb") as f:
        po = read_po(f)
    return {
        (m.id[0] if isinstance(m.id, tuple) else m.id): (
            tuple(m.string) if isinstance(m.string, tuple) else (m.string,)
        )
        for m in po
        if m.id and not m.fuzzy
    }


def placeholders(*texts: str) -> set[str]:
    return {a or b for text in texts for a, b in PLACEHOLDER.findall(text)}


def every_command(
    command: click.Command, path: str = "provision"
) -> list[tuple[str, click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None
            found += every_command(sub, f"{path} {name}")
    return found


def test_every_help_text_has_a_translation() -> None:
    catalog = translations(i18n.DOMAIN)
    texts = list(dict.fromkeys(help_messages(cli)))
    assert "City inventory directory (city.yaml + schools/)." in texts
    assert any(t.startswith("Examples:\n  provision verify") for t in texts)
    missing = [t for t in texts if not any(catalog.get(t, ()))]
    assert not missing, "help without a translation (run `make i18n`):\n" + "\n".join(missing)
    wrong = [t for t in texts if placeholders(*catalog[t]) != placeholders(t)]
    assert not wrong, "translation changes the placeholders:\n" + "\n".join(wrong)


def test_every_command_translates_its_help_page() -> None:
    plain = [path for path, cmd in every_command(cli) if not isinstance(cmd, TranslatedCommand)]
    assert not plain, "commands whose help stays English (cls=TranslatedCommand):\n" + "\n".join(
        plain
    )


def test_every_word_of_the_installed_click_is_translated() -> None:
    catalog = translations(i18n.CLICK_DOMAIN)
    source = Path(click.__file__).parent
    untranslated, wrong = [], []
    for _file, _line, message, _comments, _context in extract_from_dir(source):
        forms = message if isinstance(message, tuple) else (message,)
        strings = catalog.get(forms[0], ())
        if not any(strings):
            untranslated.append(forms[0])
        elif not placeholders(*strings) <= placeholders(*forms):
            wrong.append(forms[0])
    assert not untranslated, "click's words without a translation (make i18n):\n" + "\n".join(
        untranslated
    )
    assert not wrong, "\n".join(wrong)


def test_verify_help_in_chinese_then_english() -> None:
    runner = CliRunner()
    zh = runner.invoke(cli, ["--lang", "zh", "verify", "--help"], prog_name="provision")
    assert zh.exit_code == 0, zh.output
    assert zh.stdout.startswith("用法: provision verify [OPTIONS]")
    assert "核查每所选定学校" in zh.stdout  # the command's help
    assert "\n选项:\n" in zh.stdout  # click's heading
    assert "城市清单目录（city.yaml+schools/）。[默认：.]" in "".join(zh.stdout.split())
    assert "显示此帮助并退出。" in zh.stdout
    assert "示例：\n    provision verify -i examples/dalian --lab\n" in zh.stdout  # kept verbatim
    assert "Usage" not in zh.stdout and "Show this message" not in zh.stdout
    # the same command objects, now in English: nothing cached in Chinese
    en = runner.invoke(cli, ["--lang", "en", "verify", "--help"], prog_name="provision")
    assert en.stdout.startswith("Usage: provision verify [OPTIONS]")
    words = " ".join(en.stdout.split())  # English wraps at 80 columns
    assert "City inventory directory (city.yaml + schools/). [default: .]" in words
    assert "-h, --help" in en.stdout and "Show this message and exit." in en.stdout
    assert not CJK.search(en.stdout)


def test_the_command_list_and_errors_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(i18n.ENV, "zh")
    runner = CliRunner()
    top = runner.invoke(cli, ["--help"], prog_name="provision")
    assert "\n命令:\n" in top.stdout
    late = runner.invoke(cli, ["--help", "--lang", "en"], prog_name="provision")
    assert late.stdout.startswith("Usage: provision")
    assert "  state     运行状态：日志、运行历史和学校锁。" in top.stdout
    wrong = runner.invoke(cli, ["verify", "--no-such-option"], prog_name="provision")
    assert wrong.exit_code == 2
    assert "错误：没有选项 '--no-such-option'。" in wrong.stderr
    assert "运行 'provision verify --help' 查看帮助。" in wrong.stderr
    assert i18n.current() == i18n.ENGLISH  # the command left the language it found


def test_paragraphs_are_the_msgids_and_examples_stay_verbatim() -> None:
    text = """First line
    wraps here.

    \b
    Examples:
      provision x
    """
    assert paragraphs(text) == [
        (False, "First line wraps here."),
        (True, "Examples:\n  provision x"),
    ]


def test_short_help_counts_columns_not_characters() -> None:
    assert short_help("运行状态：日志。其余的", 40) == "运行状态：日志。"
    cut = short_help("核查每所选定学校：设备有应答、设置与清单一致", 20)
    assert cut.endswith("…") and i18n.display_width(cut) <= 20
    assert short_help("List runs. More after.", 45) == "List runs."


def test_chinese_help_wraps_by_columns() -> None:
    out = CliRunner().invoke(cli, ["--lang", "zh", "verify", "--help"], prog_name="provision")
    prose = [line for line in out.stdout.splitlines() if "provision verify -i" not in line]
    assert max(i18n.display_width(line) for line in prose) <= 80  # click's default width
    assert "  --insecure                      不校验 HTTPS 证书" in out.stdout  # the column kept


def test_wrap_breaks_between_characters_and_keeps_closing_punctuation() -> None:
    lines = wrap_line("一二三四五六七八九十。后面", 20)
    assert lines == ["一二三四五六七八九", "十。后面"]  # 。 never starts a line: 十 comes along
    assert wrap_line("a,b,c,d", 4) == ["a,b,", "c,d"]
    assert all(i18n.display_width(x) <= 30 for x in wrap_line("核查 verify 每所选定学校" * 5, 30))
