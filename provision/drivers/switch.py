"""The uplink switch driver: render the template, compare with the running config, send only
the difference (typed a block at a time, not a line per round trip: `switch_paste`), save.
Spoken over SSH with netmiko's own drivers; settings and their CLI forms
live in `switch_config`, and everything one network OS does its own way (dialect, template,
version display, enable and save quirks) in its module under `switch_platforms`.

Ownership: a line on the switch that the template does not have is removed only inside the
top-level sections the template defines completely (its ACLs and QoS objects); everywhere else
(the uplink interface included) only the lines the template names are managed, because a real
switch carries hundreds of lines that are not ours.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import paramiko
from netmiko import BaseConnection, ConnectHandler
from netmiko.exceptions import NetmikoBaseException

from provision.drivers.base import Change, Driver, Settings, Target
from provision.drivers.connect import changed_host_key, host_key_changed_message
from provision.drivers.pacing import capped, exchange
from provision.drivers.switch_config import (
    ERROR,
    ConfigLine,
    Dialect,
    decode_key,
    encode_key,
    find_section,
    flatten,
    parse_config,
)
from provision.drivers.switch_paste import (
    Refusal,
    base_prompt,
    blocks,
    mode_changes,
    refusal,
    type_block,
)
from provision.drivers.switch_platforms import UnknownSwitchPlatform, platform_named
from provision.errors import DeviceError
from provision.i18n import _
from provision.inventory.model import Switch
from provision.templates import render_switch

SSH_PORT = 22
SAVE_TIMEOUT_S = 60.0  # writing flash takes longer than one command on real switches
# Failures of the device or the transport; anything else is a bug and is left alone.
TRANSPORT_ERRORS = (OSError, EOFError, ValueError, paramiko.SSHException, NetmikoBaseException)


class SwitchError(DeviceError):
    """A switch refused a line, dropped the session, or could not be reached or logged into.
    `refusal` says which line was refused and which ran after it (None for other failures)."""

    def __init__(self, message: str, refusal: Refusal | None = None) -> None:
        super().__init__(message)
        self.refusal = refusal


# --- planning: changes -> configuration-mode lines (pure) ----------------------------------------


@dataclass(slots=True)
class Step:
    order: float
    path: tuple[str, ...]  # the sections to be in
    lines: list[str]
    subject: str  # the line the change is about
    opens: bool = False  # the step's line enters a section (a section being created)


def _positions(keys: list[str]) -> tuple[dict[str, int], dict[tuple[str, ...], int]]:
    """Where each desired key, and each section path, first appears in the template."""
    by_key = {key: i for i, key in enumerate(keys)}
    by_path: dict[tuple[str, ...], int] = {}
    for key, i in by_key.items():
        segments = decode_key(key)
        for n in range(1, len(segments) + 1):
            by_path.setdefault(segments[:n], i)
    return by_key, by_path


def _step(dialect: Dialect, change: Change, segments: tuple[str, ...], order: float) -> Step:
    path, leaf = segments[:-1], segments[-1]
    value = change.before if change.after is None else change.after
    line = leaf if value is True else value
    if not isinstance(line, str):
        text = _("{setting}: value {value!r} is not a config line")
        raise ValueError(text.format(setting=change.setting, value=value))
    dialect.check_safe(line)
    if value is not True and dialect.setting_name(line) != leaf:
        text = _("{setting}: value {value!r} does not belong to this setting")
        raise ValueError(text.format(setting=change.setting, value=value))
    section = value is True and dialect.is_section(line)
    if section and dialect.is_implicit(line):
        text = _("{setting}: {line!r} is not created or deleted by its own line")
        raise ValueError(text.format(setting=change.setting, line=line))
    if change.after is None:
        undo = dialect.undo_section if section else dialect.undo_leaf
        return Step(order, path, [(undo if value is True else dialect.undo_single)(line)], line)
    first = dialect.vlans_to_drop(change.before, line) if isinstance(change.before, str) else []
    return Step(order, path, [*first, line], line, opens=section)


def _rewrite_ordered(
    dialect: Dialect,
    section: ConfigLine,
    added: list[Step],
    removed: set[str],
    rank: dict[str, int],
    path: tuple[str, ...],
) -> list[str]:
    """Entries of an ordered section (`Dialect.ordered`: ACLs whose entries print without
    sequence numbers) are appended when typed, so to get the template's order, rewrite the
    section from the first entry that is out of place. The tail is taken out from its end:
    every list in between is a prefix of the old one (plus the implicit deny), never more
    permissive than before or after."""
    kept = [c.text for c in section.children if c.text not in removed]
    entries = list(dict.fromkeys(kept + [s.subject for s in added]))
    place = {e: rank.get(encode_key((*path, e))) for e in entries}
    ranked = sorted((e for e in entries if place[e] is not None), key=lambda e: place[e] or 0)
    target = ranked + [e for e in entries if place[e] is None]  # others keep their turn, last
    start = next((i for i, (a, b) in enumerate(zip(kept, target, strict=False)) if a != b), None)
    start = min(len(kept), len(target)) if start is None else start
    return [dialect.undo_leaf(e) for e in reversed(kept[start:])] + target[start:]


def plan_lines(
    dialect: Dialect,
    changes: list[Change],
    desired_keys: list[str],
    current: list[ConfigLine] | None = None,
) -> list[str]:
    """The configuration-mode lines that make the switch hold every change's `after`.

    Removals go first, in reverse template order (an interface lets go of an ACL before the ACL
    is deleted; nothing is typed inside a section being deleted), so a numbered ACL rule being
    rewritten is taken out before its new text goes in; then additions and replacements in
    template order (an ACL exists before an interface applies it). Lines the template does not
    have are ordered beside their section. `current` (the parsed running config) is needed
    only when an existing ordered section (see `_rewrite_ordered`) gains entries.
    """
    by_key, by_path = _positions(desired_keys)
    removals: list[Step] = []
    additions: list[Step] = []
    deleted: set[tuple[str, ...]] = set()
    for i, change in enumerate(c for c in changes if c.before != c.after):
        segments = decode_key(change.setting)
        order = float(by_key.get(change.setting, len(by_key) + i))
        if change.setting not in by_key:
            near = [
                segments[:n] for n in range(len(segments) - 1, 0, -1) if segments[:n] in by_path
            ]
            order = by_path[near[0]] + 0.5 if near else order
        step = _step(dialect, change, segments, order)
        (additions if change.after is not None else removals).append(step)
        if change.after is None and change.before is True and dialect.is_section(segments[-1]):
            deleted.add(segments)
    removals = [
        s for s in removals if not any(s.path[:n] in deleted for n in range(1, len(s.path) + 1))
    ]
    removals.sort(key=lambda s: -s.order)
    additions.sort(key=lambda s: s.order)
    steps = list(removals)
    rewritten: dict[tuple[str, ...], Step] = {}
    for step in additions:
        section = find_section(current, step.path) if current and step.path else None
        if section is None or not dialect.is_ordered(step.path[-1]):
            steps.append(step)
            continue
        if step.path not in rewritten:
            added = [s for s in additions if s.path == step.path]
            removed = {s.subject for s in removals if s.path == step.path}
            lines = _rewrite_ordered(dialect, section, added, removed, by_key, step.path)
            rewritten[step.path] = Step(step.order, step.path, lines, step.subject)
            steps.append(rewritten[step.path])
    return _navigate(dialect, steps)


def _navigate(dialect: Dialect, steps: list[Step]) -> list[str]:
    """Enter each step's sections (leaving those it is not in), type its lines, go back up."""
    lines: list[str] = []
    here: tuple[str, ...] = ()
    for step in steps:
        common = 0
        while common < min(len(here), len(step.path)) and here[common] == step.path[common]:
            common += 1
        lines += [dialect.exit_word] * (len(here) - common)
        lines += step.path[common:]
        lines += step.lines
        here = (*step.path, step.subject) if step.opens else step.path
    return lines + [dialect.exit_word] * len(here)


# --- the driver -----------------------------------------------------------------------------------


class SwitchDriver(Driver):
    kind = "switch"

    def __init__(self, target: Target) -> None:
        super().__init__(target)
        if not isinstance(target.device, Switch):
            raise TypeError(f"the switch driver needs a Switch, got {target.device!r}")
        self.switch: Switch = target.device
        self.name = f"{target.school.id}/{self.switch.name}"
        try:
            self.platform = platform_named(self.switch.platform)
        except UnknownSwitchPlatform as exc:
            raise SwitchError(f"{self.name}: {exc}") from None
        self.dialect = self.platform.dialect
        self._conn: BaseConnection | None = None
        self._password = ""  # only to scrub it from error texts; never shown
        self._desired: Settings | None = None
        self._owned: set[str] | None = None
        # The running config the last read() parsed, until something is typed or the session
        # is dropped: the plan being applied was made from it.
        self._seen: list[ConfigLine] | None = None

    # --- contract -------------------------------------------------------------------------------

    def desired(self) -> Settings:
        if self._desired is None:
            text = render_switch(
                self.target.city, self.target.school, self.switch, self.platform.template
            )
            self._desired = flatten(parse_config(text, self.dialect), self.dialect)
        return dict(self._desired)

    def owns(self, setting: str) -> bool:
        try:
            top = decode_key(setting)[0]
        except ValueError:
            return False
        return self.dialect.identity(top) in self._owned_sections()

    def read(self) -> Settings:
        self._seen = self._running_config()
        current = flatten(self._seen, self.dialect)
        settings: Settings = {key: current.get(key) for key in self.desired()}
        settings.update({k: v for k, v in current.items() if k not in settings and self.owns(k)})
        return settings

    def apply(self, changes: list[Change]) -> None:
        changes = [c for c in changes if c.before != c.after]
        if not changes:
            return
        # Ordered sections gaining entries are rewritten from the running config (plan_lines).
        adds = any(c.after is not None for c in changes)
        # The read the plan was made from serves (no second display on a slow link).
        seen, self._seen = self._seen, None
        current = (seen or self._running_config()) if adds and self.dialect.ordered else None
        try:
            lines = plan_lines(self.dialect, changes, list(self.desired()), current)
        except ValueError as exc:
            raise SwitchError(
                _("{name}: apply refused: {error}").format(name=self.name, error=exc)
            ) from None
        with self._guard(_("apply")):
            self._paste(self._session(), [self.dialect.enter_config, *lines], seen or current)
        self._save()

    def identity(self) -> dict[str, Any]:
        """Model, serial and software as the platform's version display prints them."""
        with self._guard(_("read version")):
            text = self._display(self._session(), self.platform.version_command)
        return dict(self.platform.parse_version(text))

    def close(self) -> None:
        self._drop(logout=True)

    # --- helpers --------------------------------------------------------------------------------

    def _owned_sections(self) -> set[str]:
        if self._owned is None:
            tops = {decode_key(key)[0] for key in self.desired()}
            self._owned = {self.dialect.identity(t) for t in tops if self.dialect.is_owned(t)}
        return self._owned

    def _running_config(self) -> list[ConfigLine]:
        with self._guard(_("read running config")):
            text = self._display(self._session(), self.dialect.show_running)
        return parse_config(text, self.dialect)

    def _display(self, conn: BaseConnection, command: str) -> str:
        """A display command's answer: what the switch prints between its echo and the prompt.

        netmiko's Comware driver turns echo checks off for the whole session (Comware has no
        terminal width, so long config lines come back wrapped), and then a read ends at the
        first prompt it sees. On a slow link that is a stale one: netmiko's prompt probing
        (`find_prompt`, at login and before every command without an `expect_string`) types
        another RETURN each time the first has not been answered within a few tens of ms, and
        the extra prompts arrive after the probe has finished, ahead of the command's answer.
        A display command is short and never wraps, so its echo is checked here whatever the
        session's default: everything before the echo is stale, and the end is the exec prompt
        line (no probe). Saving is checked the same way (`_save`)."""
        with _echo_checked(conn):
            output = conn.send_command(
                command,
                expect_string=_exec_prompt_line(conn),
                cmd_verify=True,
                read_timeout=capped(self.target.connector.timeout),
            )
        return str(output)

    def _paste(
        self, conn: BaseConnection, lines: list[str], present: list[ConfigLine] | None
    ) -> None:
        """Type `lines` and leave configuration mode, a block at a time (`switch_paste`;
        `present`: the running config the plan was made from, if known): the run stops after
        the first block with a line the switch refused, naming that line, its error and the
        lines of the block that ran after it."""
        typed = [*lines, self.dialect.leave_config]
        chunks = blocks(typed, mode_changes(typed, self.dialect, present))
        prompt = ""
        for n, block in enumerate(chunks):
            last = n == len(chunks) - 1
            end = re.compile(self.dialect.exec_prompt if last else self.dialect.config_prompt)
            timeout = capped(self.target.connector.timeout)
            replies, prompt = type_block(conn, block, end, timeout)
            refused = refusal(block, replies)
            if refused is not None:
                raise self._refused(refused)
        # The exec prompt the block ended at names the switch as it is now: netmiko would find
        # its prompt by the old name after a hostname line (and asking again is a round trip).
        conn.base_prompt = base_prompt(prompt)

    def _refused(self, refused: Refusal) -> SwitchError:
        text = _("{name}: apply: the switch refused {line!r}: {error}").format(
            name=self.name, line=refused.line, error=refused.error
        )
        if refused.ran_after:
            # Typed ahead in the same block: the switch ran them (and they may have landed).
            text += _("; the lines typed after it ran too: {lines}").format(
                lines=" | ".join(refused.ran_after)
            )
        if refused.also_refused:
            text += _(" (refused as well: {lines})").format(lines=" | ".join(refused.also_refused))
        return SwitchError(text, refused)

    def _type(self, conn: BaseConnection, line: str, prompt: str) -> None:
        """One line, then wait for the prompt; the switch's own error text stops the run."""
        output = conn.send_command(
            line,
            expect_string=prompt,
            strip_prompt=False,
            strip_command=False,
            cmd_verify=conn.global_cmd_verify is not False,  # netmiko says where it can't
            read_timeout=capped(self.target.connector.timeout),
        )
        error = ERROR.search(str(output))
        if error:
            raise SwitchError(
                _("{name}: apply: the switch refused {line!r}: {error}").format(
                    name=self.name, line=line, error=error.group(0).strip()
                )
            )

    def _save(self) -> None:
        with self._guard(_("save config")):
            conn = self._session()
            timeout = max(self.target.connector.timeout, SAVE_TIMEOUT_S)
            if self.platform.save_command:
                # One line, one round trip: netmiko's save_config would first probe the
                # prompt (and on IOS the privilege level, on Comware enter system-view), a
                # round trip each, for a command that asks nothing.
                end = re.compile(self.dialect.exec_prompt)
                replies, _prompt = type_block(conn, [self.platform.save_command], end, timeout)
                output = replies[0]
            else:
                output = self._netmiko_save(conn, timeout)
        error = ERROR.search(output)
        if error or not self.dialect.save_ok.search(output):
            detail = error.group(0).strip() if error else _("no confirmation in its answer")
            raise SwitchError(
                _("{name}: save config failed: {detail}").format(name=self.name, detail=detail)
            )

    def _netmiko_save(self, conn: BaseConnection, timeout: float) -> str:
        """netmiko's own save, for a platform whose save asks a question (VRP's [Y/N])."""
        conn.read_timeout_override = timeout
        try:
            with _echo_checked(conn):  # the save command is short: see `_display`
                output = str(conn.save_config())
        finally:
            conn.read_timeout_override = self.target.connector.timeout
        if self.platform.save_stays_in_config:
            self._type(conn, self.dialect.leave_config, self.dialect.exec_prompt)
        return output

    def _session(self) -> BaseConnection:
        if self._conn is not None:
            return self._conn
        connector = self.target.connector
        host, port = connector.address(self.switch.host, SSH_PORT)
        creds = self.switch.credentials
        password = connector.secret(creds.password if creds else None)
        self._password = password
        known_hosts = connector.trust_host_key(host, port)
        t = connector.timeout
        conn = ConnectHandler(
            device_type=self.platform.device_type,
            host=host,
            port=port,
            username=creds.username if creds else "admin",
            password=password,
            secret=password,  # `enable`, where a login lands in user EXEC
            conn_timeout=t,
            auth_timeout=t,
            banner_timeout=t,
            timeout=t,
            read_timeout_override=t,  # netmiko's own fixed waits (10 s echo checks) too
            use_keys=False,
            allow_agent=False,
            fast_cli=True,
            # The key recorded on first use (or deliberately accepted) and no other: a switch
            # that offers another is refused before the password is sent.
            ssh_strict=True,
            system_host_keys=False,
            alt_host_keys=True,
            alt_key_file=str(known_hosts),
        )
        self._conn = conn
        self.platform.after_login(conn)
        return conn

    def _drop(self, *, logout: bool = False) -> None:
        conn, self._conn, self._seen = self._conn, None, None
        if conn is None:
            return
        with contextlib.suppress(*TRANSPORT_ERRORS):
            if logout:  # we are never left in config mode, so one word ends the login
                conn.write_channel(self.dialect.exit_word + conn.RETURN)
            # Closed first: netmiko's own cleanup probes for config mode by waiting for 2 s of
            # silence, and on a dead session for its timeout.
            conn.paramiko_cleanup()
        conn.disconnect()  # the rest of netmiko's teardown (it ignores the closed channel)

    @contextlib.contextmanager
    def _guard(self, operation: str) -> Iterator[None]:
        """Device and transport failures become SwitchError naming the device and operation;
        the session is dropped (a dead or half-configured one is not reused)."""
        # A session's exchanges are this device's waits: other devices run meanwhile, and
        # its overall deadline ends them (pacing).
        with exchange(self.target.connector.timeout):
            try:
                yield
            except SwitchError:
                self._drop()
                raise
            except TRANSPORT_ERRORS as exc:
                raise self._transport_failed(operation, exc) from None

    def _transport_failed(self, operation: str, exc: BaseException) -> SwitchError:
        """A transport failure as a SwitchError naming device and operation; session dropped."""
        host, port = self.target.connector.address(self.switch.host, SSH_PORT)
        if (changed := changed_host_key(exc)) is not None:
            self._drop()
            return SwitchError(
                host_key_changed_message(self.target.connector, self.name, host, port, changed)
            )
        transport = getattr(getattr(self._conn, "remote_conn", None), "transport", None)
        closed = transport is not None and not transport.is_active()
        self._drop()
        if closed:
            # netmiko only sees silence until its timeout, then advises on cmd_verify:
            # that is not what happened, so say what did.
            text = _("the switch closed the SSH session")
        else:
            text = f"{type(exc).__name__}: {' '.join(str(exc).split()) or 'no detail'}"
        if self._password:
            text = text.replace(self._password, "***")
        return SwitchError(
            _("{name} ({platform} at {host}:{port}): {operation} failed: {text}").format(
                name=self.name,
                platform=self.switch.platform,
                host=host,
                port=port,
                operation=operation,
                text=text,
            )
        )


@contextlib.contextmanager
def _echo_checked(conn: BaseConnection) -> Iterator[None]:
    """netmiko checks command echoes inside, whatever the session's default (see `_display`):
    a session default set by the platform's driver overrides any per-call `cmd_verify`."""
    saved = conn.global_cmd_verify
    conn.global_cmd_verify = None
    try:
        yield
    finally:
        conn.global_cmd_verify = saved


def _exec_prompt_line(conn: BaseConnection) -> str:
    """The exec prompt as a whole last line: the switch's name (netmiko's base prompt, which
    the driver renews after a hostname change) between at most one mark before it (`<`) and
    one after (`#`, `>`). A line of output that merely ends in `#` or `>` (a banner, a
    description) is not mistaken for it."""
    return rf"(?:^|\n)\W?{re.escape(conn.base_prompt)}\W[ \t]*$"
