"""A school's network must be one a switch can carry and every device can be reached on.

- Each role (management, video, alarm) has its own VLAN id and a subnet of its own: one VLAN
  for two roles renders `vlan batch 10 10 10` with three interfaces, and a lab apply
  re-addressed the switch's own management interface.
- Every device sits in one of its school's subnets, on an address a host can have there: not the
  subnet's network or broadcast address, not the gateway (the switch's own VLAN interface gets
  the first address, see templates.switch_context), never an unspecified, loopback, multicast
  or otherwise reserved address. A device in another of the school's subnets than its kind's is
  reachable through the switch, so that stays a warning.
- The switch is reached at its management gateway: the address its own configuration gives
  its management VLAN interface.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from itertools import combinations

from provision.diagnostics import Problem
from provision.i18n import _
from provision.inventory import words
from provision.inventory.loader import Inventory
from provision.inventory.model import Device, School
from provision.rules.origin import origin
from provision.yamlsource import SourceDoc

ROLES = ("management", "video", "alarm")
SUBNET_OF_KIND = {
    "camera": "video",
    "recorder": "video",
    "alarm": "alarm",
    "led_board": "alarm",
    "switch": "management",
}
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def check(inv: Inventory) -> Iterator[Problem]:
    if inv.city is None:
        return
    for school in inv.city.schools:
        yield from _vlans(inv, school)
        subnets = {
            role: ipaddress.ip_network(cidr, strict=False)
            for role, cidr in school.network.subnets.items()
        }
        yield from _overlapping_subnets(inv.docs[school.id], subnets)
        for device in school.devices():
            yield from _address(inv.docs[school.id], device, subnets)


def _vlans(inv: Inventory, school: School) -> Iterator[Problem]:
    seen: dict[int, str] = {}
    for role in ROLES:
        vlan = getattr(school.network.vlans, role)
        if vlan not in seen:
            seen[vlan] = role
            continue
        doc, path = origin(inv, school, ("network", "vlans", role), ("network", "vlans", role))
        msg = _(
            "the {role} VLAN {vlan} is also the {seen} VLAN of school {id}; each "
            "role needs a VLAN id of its own ({listed})"
        ).format(role=role, vlan=vlan, seen=seen[vlan], id=school.id, listed=", ".join(ROLES))
        yield doc.problem(path, msg, "vlan-collision")


def _overlapping_subnets(doc: SourceDoc, subnets: dict[str, Network]) -> Iterator[Problem]:
    for (a, net_a), (b, net_b) in combinations(subnets.items(), 2):
        if net_a.version == net_b.version and net_a.overlaps(net_b):
            msg = _("the {b} subnet {net_b} overlaps the {a} subnet {net_a}").format(
                b=b, net_b=net_b, a=a, net_a=net_a
            )
            yield doc.problem(("network", "subnets", b), msg, "subnet-overlap")


def _address(doc: SourceDoc, device: Device, subnets: dict[str, Network]) -> Iterator[Problem]:
    where = (*device.path, "host")
    address = ipaddress.ip_address(device.host)
    if reason := _unusable(address):
        msg = _("{kind} address {address} is {reason}; no device can be reached there").format(
            kind=words.kind(device.kind), address=address, reason=reason
        )
        yield doc.problem(where, msg, "unusable-address")
        return
    home = [(role, net) for role, net in subnets.items() if address in net]
    if not home:
        listed = ", ".join(f"{role} {net}" for role, net in subnets.items())
        msg = _("{kind} address {address} is in none of the school's subnets ({listed})").format(
            kind=words.kind(device.kind), address=address, listed=listed
        )
        yield doc.problem(where, msg, "outside-subnets")
        return
    role, net = home[0]
    gateway = next(net.hosts(), None)
    if net.num_addresses > 2 and address in (net.network_address, net.broadcast_address):
        which = "network" if address == net.network_address else "broadcast"
        msg = _(
            "{kind} address {address} is the {which} address of the {role} subnet {net}"
        ).format(kind=words.kind(device.kind), address=address, which=which, role=role, net=net)
        yield doc.problem(where, msg, "unusable-address")
    elif device.kind == "switch":
        if role != "management" or address != gateway:
            msg = _(
                "switch address {address} is not the management gateway {gateway}, the "
                "address the switch's own configuration gives its management VLAN "
                "interface: after apply it would answer there, not here"
            ).format(address=address, gateway=_gateway(subnets))
            yield doc.problem(where, msg, "switch-address")
    elif address == gateway:
        msg = _(
            "{kind} address {address} is the {role} gateway, which the school's "
            "switch takes for its {role} VLAN interface; give the {kind} another "
            "address"
        ).format(kind=words.kind(device.kind), address=address, role=role)
        yield doc.problem(where, msg, "address-is-gateway")
    elif (wanted := SUBNET_OF_KIND.get(device.kind)) and wanted != role:
        msg = _("{kind} address {address} is outside the {wanted} subnet {subnets}").format(
            kind=words.kind(device.kind), address=address, wanted=wanted, subnets=subnets[wanted]
        )
        yield doc.problem(where, msg, "wrong-subnet", warning=True)


def _gateway(subnets: dict[str, Network]) -> str:
    management = subnets.get("management")
    return str(next(management.hosts())) if management else "(no management subnet)"


def _unusable(address: Address) -> str:
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "a loopback address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_link_local:
        return "a link-local address"
    if address.version == 4 and address == ipaddress.IPv4Address("255.255.255.255"):
        return "the limited broadcast address"
    if address.is_reserved:
        return "a reserved address"
    return ""
