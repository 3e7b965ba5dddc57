"""The lab's connector: every inventory address routed to its simulator on loopback.

It implements the drivers' `Connector` contract (`provision.drivers.connect`), as an httpx
test transport implements the transport interface: the production side never imports it;
the CLI picks it for `--lab`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from shlex import quote

import requests

from provision.drivers.connect import Connector, keep_only_for, known_hosts_name
from provision.inventory.secrets import SecretRef
from provision.lab import netmap
from provision.lab.credentials import lab_secret
from provision.lab.state import lab_dir, read_state


@dataclass(frozen=True)
class LabConnector(Connector):
    """`--lab`: every inventory address is routed to its simulator on loopback.

    Host keys go to the lab's own known_hosts (in its state directory), kept per lab process:
    a restarted lab has new keys, and that must not look like an attack on the field's file.
    """

    # The control API that presses lab buttons: None reads it from the running lab's state
    # (the shard holding the device's school, for a sharded lab).
    control: str | None = None

    @property
    def lab(self) -> bool:
        return True

    def press_alarm_button(self, device: str) -> bool:
        """Press a lab alarm column's button through the lab's control API (`POST
        /api/devices/<id>/alarm_button`): a person at the column, in the lab."""
        base = self.control or _control_of(device.partition("/")[0])
        if not base:
            return False
        with requests.Session() as session:
            session.trust_env = False  # the control API is on loopback: never via a proxy
            try:
                reply = session.post(
                    f"{base}/api/devices/{device}/alarm_button", timeout=self.timeout
                )
            except requests.RequestException:
                return False
        return reply.ok

    def address(self, host: str, port: int) -> tuple[str, int]:
        return netmap.lab_route(host, port)

    def secret(self, ref: SecretRef | None) -> str:
        # The lab's rule (the variable when set, else the lab default), with the variable
        # looked up where this run's secrets are: the environment or a --secrets file.
        if ref is not None and (value := self.env.get(ref.name)):
            return value
        return lab_secret(ref) if ref is not None else "admin"

    def known_hosts_file(self) -> Path:
        return Path(self.known_hosts) if self.known_hosts else lab_dir() / "known_hosts"

    def trust_host_key(self, host: str, port: int) -> Path:
        if not self.known_hosts:
            keep_only_for(self.known_hosts_file(), f"# host keys of the lab {_lab_identity()}")
        return super().trust_host_key(host, port)

    def forget_command(self, host: str, port: int) -> str:
        if self.known_hosts:
            return super().forget_command(host, port)
        return f"provision hostkey forget {quote(known_hosts_name(host, port))} --lab"


def _control_of(school: str) -> str | None:
    """The control API URL of the lab process that runs `school`."""
    state = read_state(lab_dir())
    if state is None:
        return None
    for shard in state.get("shards", []):
        if school in shard.get("schools", ()) and shard.get("alive", True):
            return str(shard["control"])
    control = state.get("control")
    return str(control) if control else None


def _lab_identity() -> str:
    """Which lab processes (hence which host keys) the running lab is."""
    state = read_state(lab_dir())
    if state is None:  # no state file: the lab runs inside this process (tests)
        return f"in process {os.getpid()}"
    shards = ",".join(str(shard["pid"]) for shard in state.get("shards", []))
    return f"pid {state['pid']} started {state.get('started_at')}" + (
        f" shards {shards}" if shards else ""
    )
