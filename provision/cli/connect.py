"""How commands reach devices: the field or the lab, with secrets from the environment or a
file, HTTPS trust from --ca-bundle/--insecure and SSH host keys from known_hosts. One place, so
every command that contacts devices behaves the same."""

from __future__ import annotations

import os
import stat
import warnings
from collections import ChainMap
from pathlib import Path
from typing import Any

import click

from provision.cli.options import TRANSPORT
from provision.drivers.connect import Connector
from provision.drivers.pacing import DEFAULT_DEADLINE_S
from provision.errors import ProvisionError
from provision.i18n import _
from provision.lab.connector import LabConnector
from provision.lab.state import lab_dir, require_state

INSECURE_WARNING = (
    "warning: --insecure: HTTPS certificates of device and platform APIs are NOT verified; "
    "anyone on the network path can read and change this run's traffic, passwords included"
)


def _read_secrets(path: str) -> dict[str, str]:
    """NAME=VALUE lines (`export` and quotes allowed). A file others can read holds passwords
    anyone on the machine can take: say so loudly, every time."""
    mode = os.stat(path).st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        click.secho(
            _(
                "warning: {path} is readable by others (mode {filemode}); run chmod 600 {path}"
            ).format(path=path, filemode=stat.filemode(mode)),
            fg="red",
            err=True,
        )
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The byte's position only: the bytes around it may be part of a password.
        at_line = raw.count(b"\n", 0, exc.start) + 1
        raise ProvisionError(
            _(
                "{path}:{at_line}: not UTF-8 text (byte {start}); save the secrets file as UTF-8"
            ).format(path=path, at_line=at_line, start=exc.start)
        ) from exc
    values = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.removeprefix("export ").partition("=")
        if not sep:
            raise ProvisionError(
                _("{path}:{number}: expected NAME=VALUE").format(path=path, number=number)
            )
        values[name.strip()] = value.strip().strip("'\"")
    return values


def tls_verify() -> bool | str:
    """What the current command's --ca-bundle/--insecure ask for (requests' `verify`)."""
    ctx = click.get_current_context(silent=True)
    chosen: dict[str, Any] = ctx.meta.get(TRANSPORT, {}) if ctx is not None else {}
    ca_bundle, insecure = chosen.get("ca_bundle"), chosen.get("insecure")
    if ca_bundle and insecure:
        raise click.UsageError(_("--ca-bundle and --insecure contradict each other: pick one"))
    if insecure:
        click.secho(INSECURE_WARNING, fg="red", err=True)
        # One loud warning per run, above; not urllib3's again for every request.
        from urllib3.exceptions import InsecureRequestWarning

        warnings.simplefilter("ignore", InsecureRequestWarning)
        return False
    return str(ca_bundle) if ca_bundle else True


def connector(lab: bool, secrets: str | None, timeout: float) -> Connector:
    """The connector a command's --lab, --secrets, --timeout, --ca-bundle, --insecure and
    --deadline ask for."""
    env = ChainMap(_read_secrets(secrets), os.environ) if secrets else os.environ
    verify, deadline = tls_verify(), device_deadline()
    if lab:
        require_state(lab_dir())  # a clear error when no lab runs
        return LabConnector(timeout=timeout, env=env, verify=verify, deadline=deadline)
    return Connector(timeout=timeout, env=env, verify=verify, deadline=deadline)


def device_deadline() -> float:
    """The current command's --deadline: each device's overall time in the run."""
    ctx = click.get_current_context(silent=True)
    chosen: dict[str, Any] = ctx.meta.get(TRANSPORT, {}) if ctx is not None else {}
    return float(chosen.get("deadline") or DEFAULT_DEADLINE_S)
