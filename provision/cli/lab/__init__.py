"""provision lab: the simulated devices of a city on this machine, one module per subcommand
(up, status, fault, down), as the top-level commands are."""

from __future__ import annotations

import click

from provision.cli.group import ProvisionGroup
from provision.cli.lab import down, fault, status, up


@click.group("lab", cls=ProvisionGroup)
def command() -> None:
    """Simulated school devices and precinct services over their real protocols.

    Cameras speak ONVIF (SOAP) and RTSP, switches SSH, alarm panels DC-09, LED boards and
    precinct platforms HTTP. Each device listens on the loopback address derived from its
    inventory address (10.b.c.d becomes 127.b.c.d), so the same inventory drives the lab.

    \b
    Examples:
      provision lab up -i examples/dalian
      provision lab status
      provision lab fault dl-zs-h024/gate-face obstructed=true
      provision lab down
    """


command.add_command(up.command)
command.add_command(status.command)
command.add_command(fault.command)
command.add_command(down.command)
