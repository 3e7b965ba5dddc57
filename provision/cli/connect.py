"""How commands reach devices: the field or the lab, with secrets from the environment or a
file. One place, so every command that contacts devices behaves the same."""

from __future__ import annotations

import os
import stat
from collections import ChainMap
from pathlib import Path

import click

from provision.drivers.connect import Connector, LabConnector
from provision.errors import ProvisionError
from provision.lab.state import lab_dir, require_state


def _read_secrets(path: str) -> dict[str, str]:
    """NAME=VALUE lines (`export` and quotes allowed). A file others can read holds passwords
    anyone on the machine can take: say so loudly, every time."""
    mode = os.stat(path).st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        click.secho(
            f"warning: {path} is readable by others (mode {stat.filemode(mode)}); "
            f"run chmod 600 {path}",
            fg="red",
            err=True,
        )
    values = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.removeprefix("export ").partition("=")
        if not sep:
            raise ProvisionError(f"{path}:{number}: expected NAME=VALUE")
        values[name.strip()] = value.strip().strip("'\"")
    return values


def connector(lab: bool, secrets: str | None, timeout: float) -> Connector:
    env = ChainMap(_read_secrets(secrets), os.environ) if secrets else os.environ
    if lab:
        require_state(lab_dir())  # a clear error when no lab runs
        return LabConnector(timeout=timeout, env=env)
    return Connector(timeout=timeout, env=env)
