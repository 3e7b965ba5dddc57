"""provision lab: the simulated devices of a city on this machine, one module per subcommand
(up, status, fault, down), as the top-level commands are."""

from __future__ import annotations

import click

from provision.cli.group import ProvisionGroup
from provision.cli.lab import down, fault, status, up


@click.group("lab", cls=ProvisionGroup)
def command() -> None:
    """Simulated school devices and precinct services over their real protocols.

    Cameras speak ONVIF (SOAP), Hikvision ISAPI or Dahua's HTTP API and RTSP, switches SSH,
    alarm panels DC-09, LED boards and precinct platforms HTTP, GB/T 28181 platforms SIP.
    Each device listens on the loopback address derived from its inventory address
    (10.b.c.d becomes 127.b.c.d), so the same inventory drives the lab.

    Two labs on one machine: PROVISION_LAB_PORT_OFFSET=N moves every device's port by N
    (`lab status` shows the ports) and PROVISION_LAB_DIR keeps each lab's state apart.

    \b
    Examples:
      provision lab up -i examples/dalian
      provision lab status
      provision lab fault dl-zs-h024/gate-face obstructed=true
      provision lab down
      PROVISION_LAB_PORT_OFFSET=1000 PROVISION_LAB_DIR=/tmp/lab2 provision lab up -i other
    """


command.add_command(up.command)
command.add_command(status.command)
command.add_command(fault.command)
command.add_command(down.command)
