"""provision hostkey forget: SSH host keys of the switches, recorded on first contact and
enforced from then on; forgetting one lets a replaced switch be trusted again."""

from __future__ import annotations

import click

from provision.cli.errors import OK
from provision.cli.group import ProvisionGroup
from provision.drivers.connect import (
    DEFAULT_KNOWN_HOSTS,
    KNOWN_HOSTS_ENV,
    Connector,
    forget_host_key,
    known_hosts_name,
    parse_address,
)
from provision.errors import ProvisionError
from provision.i18n import _
from provision.lab.connector import LabConnector


@click.group("hostkey", cls=ProvisionGroup)
def command() -> None:
    """SSH host keys of the switches: recorded on first contact, enforced from then on.

    The field's keys are in .provision/known_hosts (or $PROVISION_KNOWN_HOSTS), the running
    lab's in its state directory. A switch that offers another key is refused; after checking
    that the change is expected (a replaced switch, a regenerated key), forget the old key and
    the next connection records the new one.

    \b
    Examples:
      provision hostkey forget 10.34.17.2
      provision hostkey forget '[127.34.17.2]:5222' --lab
    """


@command.command("forget")
@click.argument("address")
@click.option("--lab", is_flag=True, help="The running lab's known_hosts instead of the field's.")
@click.option(
    "--known-hosts",
    "known_hosts",
    type=click.Path(dir_okay=False),
    help=f"The file [default: ${KNOWN_HOSTS_ENV} or {DEFAULT_KNOWN_HOSTS}].",
)
def forget(address: str, lab: bool, known_hosts: str | None) -> int:
    """Forget the recorded host key of ADDRESS, as the error named it.

    ADDRESS is host (port 22), host:port or [host]:port.

    \b
    Example:
      provision hostkey forget 10.34.17.2
    """
    conn = LabConnector(known_hosts=known_hosts) if lab else Connector(known_hosts=known_hosts)
    path = conn.known_hosts_file()
    host, port = parse_address(address)
    removed = forget_host_key(path, host, port)
    name = known_hosts_name(host, port)
    if not removed:
        raise ProvisionError(_("{path} has no key for {name}").format(path=path, name=name))
    click.echo(
        _(
            "forgot {removed} key(s) of {name} in {path}; the next connection records the key "
            "the switch offers then"
        ).format(removed=removed, name=name, path=path)
    )
    return OK
