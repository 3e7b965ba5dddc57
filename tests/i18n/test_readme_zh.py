"""README.md and README.zh-CN.md teach the same commands, and every one of them exists."""

from __future__ import annotations

import re
from pathlib import Path

import click

from provision.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
COMMAND = re.compile(r"\bprovision((?: [a-z][a-z-]*)+)")


def commands(readme: str) -> set[str]:
    """Every `provision <command> [<subcommand>]` the file shows, as far as the CLI knows
    the words (so prose such as "provision validates" is not a command)."""
    found = set()
    text = (ROOT / readme).read_text(encoding="utf-8")
    for words in COMMAND.findall(text):
        group: click.Command = cli
        path = []
        for word in words.split():
            # get_command, not .commands: the top-level group imports its commands on use
            sub = (
                group.get_command(click.Context(group), word)
                if isinstance(group, click.Group)
                else None
            )
            if sub is None:
                break
            path.append(word)
            group = sub
        if path:
            found.add(" ".join(path))
    return found


def test_both_readmes_list_the_same_commands() -> None:
    english, chinese = commands("README.md"), commands("README.zh-CN.md")
    assert english == chinese, (
        f"only in README.md: {sorted(english - chinese)}; "
        f"only in README.zh-CN.md: {sorted(chinese - english)}"
    )


def test_every_top_level_command_is_documented() -> None:
    top = {c.split()[0] for c in commands("README.zh-CN.md")}
    assert top == set(cli.list_commands(click.Context(cli)))
