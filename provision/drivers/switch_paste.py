"""Configuration lines typed as blocks, each line's answer read back from the one output.

Typing one line and waiting for the switch's prompt before the next costs one round trip per
line: ~52 lines for a school's uplink switch, 4.4 s at 50 ms against 2 s on an instant link
(issue 16, point 4; measured with `bench/school_apply.py --profile`). What real switches and
real tools allow instead:

* A switch CLI reads typed-ahead lines from its terminal in order and runs each one as it
  comes to it, whether the one before was refused or not: VRP "informs you that the command is
  invalid and waits for a new command" (Huawei NE20E-S2 V800R010C10 Feature Description, Basic
  Configurations, "Command Line Interface Fundamentals"); IOS merges a copied file into the
  running configuration line by line, printing its error for a line it refuses and carrying on
  (Cisco IOS "Managing Configuration Files"; what NAPALM's `ios` driver relies on with
  `copy flash:/merge_config.txt running-config`). So a block can be written at once, and
  every line of it runs.
* netmiko's `send_config_set(cmd_verify=False)` writes the lines that way, but then reads
  until 2 s of silence (`read_channel_timing`) and returns one text: it cannot say which line
  an error belongs to, and with `error_pattern` it reads line by line again (netmiko 4.8
  base_connection.py; ktbyers/netmiko#2774 and #3156 on its `read_timeout`). So the reading is
  done here, over netmiko's channel: the block's output is split at each line's echo, and the
  answer of line i is what the switch printed between its echo and the prompt before the echo
  of line i+1; the block is complete when the last line's echo and then the expected prompt
  have arrived. Output before the first echo (stale prompts of netmiko's prompt probes, see
  `SwitchDriver._display`) is ignored.

Why blocks and not one block: a line that enters a section (`interface X`) changes the mode
the lines after it run in. If the switch refused it, a pasted block would run its sub-lines in
the enclosing mode and its `exit` would leave configuration mode altogether, and every later
line would run where it was never meant to (the next `exit` logs the session out). So a block
ends after each line that enters a section (`blocks`): the driver sees that the section was
entered before it types what belongs inside it. Except a section the running config that the
plan was made from lists at that place (`mode_changes`): an interface, a VLAN or an ACL the
switch printed seconds before, in the same session, is there, and the CLI enters it (a
factory switch's ports are most of the sections an apply visits; each would cost a round trip
for an answer known in advance). A refused line inside a block does not stop
the lines after it in the same block, exactly as on the switch; `Refusal` says which ran.
A line that asks a question (`[Y/N]`) would take the next typed line as its answer: no line
the templates type asks one on the lab's dialects (they ask on save and `enable`, which are not
typed in blocks); if one did, its block would not complete, and the timeout quotes the
question. A file transferred and merged (NAPALM's way) was weighed: merging a copied file into
the running configuration is IOS's `copy flash:/f running-config`; Comware's file operation is
a whole replace (`configuration replace file`) and VRP's a next-startup file, so it would have
been one platform's path beside the others', and the lab's SCP server is IOS's alone.
"""

from __future__ import annotations

import re
import select
import time
from collections.abc import Sequence
from dataclasses import dataclass

import paramiko
from netmiko import BaseConnection
from netmiko.exceptions import ReadTimeout

from provision.drivers.switch_config import ERROR, ConfigLine, Dialect, find_section

# Between two reads of a block's output where the channel is not paramiko's (which select() can
# wait on): a fallback, not a measure.
POLL_S = 0.01


@dataclass(frozen=True, slots=True)
class Refusal:
    """The first line of a block the switch refused, its words, and what ran after it."""

    line: str
    error: str
    ran_after: tuple[str, ...]  # the block's later lines: typed ahead, so the switch ran them
    also_refused: tuple[str, ...]  # those of them it refused as well


def mode_changes(
    lines: list[str], dialect: Dialect, present: list[ConfigLine] | None
) -> list[bool]:
    """For each line, whether the lines after it run in another mode if the switch refuses it:
    entering configuration mode, or a section, but not a section that `present` (the parsed
    running config the plan was made from; None: not known) holds at that place."""
    out: list[bool] = []
    path: list[str] = []
    for line in lines:
        if line == dialect.enter_config:
            out.append(True)
        elif line == dialect.exit_word:
            del path[-1:]
            out.append(False)
        elif dialect.is_section(line):
            path.append(line)
            out.append(present is None or find_section(present, tuple(path)) is None)
        else:
            out.append(False)
    return out


def blocks(lines: list[str], cuts: Sequence[bool]) -> list[list[str]]:
    """`lines` cut after every line whose `cuts` is true (`mode_changes`: see the module
    docstring)."""
    out: list[list[str]] = [[]]
    for line, cut in zip(lines, cuts, strict=True):
        out[-1].append(line)
        if cut:
            out.append([])
    return [block for block in out if block]


def _echo(line: str) -> re.Pattern[str]:
    """A typed line as the switch echoes it: right after a prompt (`#`, `>`, `]`; or first,
    when the prompt was read with the previous command's answer), to the end of its line, so
    the same words inside an answer are not taken for it; a line break may
    fall anywhere inside it (a CLI without a terminal width, such as Comware's, wraps a long
    echo)."""
    body = "\n?".join(re.escape(ch) for ch in line.strip())
    return re.compile(rf"(?:^|(?<=[#>\]])) ?{body}[ \t]*(?=\n)")


def answers(text: str, lines: list[str], end_prompt: re.Pattern[str]) -> list[str] | None:
    """What the switch printed for each line of a block, or None while the output is not
    complete (the last line's echo, then a line matching `end_prompt` at the very end)."""
    found: list[tuple[int, int]] = []
    at = 0
    for line in lines:
        match = _echo(line).search(text, at)
        if match is None:
            return None
        found.append((match.start(), match.end()))
        at = match.end()
    tail = text[at:]
    last_line = tail.rsplit("\n", 1)[-1]
    if "\n" not in tail or not end_prompt.search(last_line):
        return None
    ends = [start for start, _ in found[1:]] + [len(text)]
    # Each answer runs to the last line break before the next echo: after it is the prompt.
    pairs = zip(found, ends, strict=True)
    return [text[end : text.rfind("\n", end, stop) + 1] for (_, end), stop in pairs]


def refusal(lines: list[str], replies: list[str]) -> Refusal | None:
    """The first line whose answer is an error (`switch_config.ERROR`), or None."""
    errors = [ERROR.search(reply) for reply in replies]
    first = next((i for i, e in enumerate(errors) if e), None)
    if first is None:
        return None
    error = errors[first]
    assert error is not None
    later = range(first + 1, len(lines))
    return Refusal(
        lines[first],
        error.group(0).strip(),
        tuple(lines[i] for i in later),
        tuple(lines[i] for i in later if errors[i]),
    )


def type_block(
    conn: BaseConnection, lines: list[str], end_prompt: re.Pattern[str], timeout: float
) -> tuple[list[str], str]:
    """Write `lines` at once; each line's answer and the prompt the block ended at.

    Fails with netmiko's ReadTimeout when the block's output is not complete within `timeout`
    seconds, and with EOFError when the switch closes the session."""
    conn.write_channel("".join(line.rstrip() + conn.RETURN for line in lines))
    deadline = time.monotonic() + timeout
    text = ""
    while True:
        text += conn.read_channel()
        replies = answers(text, lines, end_prompt)
        if replies is not None:
            return replies, text.rsplit("\n", 1)[-1].strip()
        left = deadline - time.monotonic()
        if left <= 0:
            last = text.rstrip().rsplit("\n", 1)[-1].strip()
            raise ReadTimeout(
                f"no complete answer to {len(lines)} lines in {timeout:g} s; "
                f"the switch's last words: {last!r}"
            )
        _wait_for_data(conn, min(left, 1.0))


def _wait_for_data(conn: BaseConnection, seconds: float) -> None:
    """Until the channel has something to read (or has closed), at most `seconds`."""
    channel = conn.remote_conn
    if not isinstance(channel, paramiko.Channel):
        time.sleep(POLL_S)
        return
    if channel.closed or (channel.eof_received and not channel.recv_ready()):
        raise EOFError("the switch closed the SSH session")
    select.select([channel], [], [], seconds)


def base_prompt(prompt: str) -> str:
    """netmiko's base prompt (the switch's name) from a prompt line: `<name>`, `[name]`,
    `name#` or `name>` (netmiko's own `set_base_prompt` strips the same marks, but asks the
    switch for its prompt again)."""
    name = prompt.strip()[:-1]
    return name[1:] if name[:1] in ("<", "[") else name
