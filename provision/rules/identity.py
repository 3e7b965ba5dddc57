"""Device names are unique within a school, and each device sits in its VLAN's subnet."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from provision.diagnostics import Problem
from provision.inventory.loader import Inventory
from provision.inventory.model import Device

SUBNET_OF_KIND = {"camera": "video", "recorder": "video", "alarm": "alarm", "led_board": "alarm"}


def check(inv: Inventory) -> Iterator[Problem]:
    if inv.city is None:
        return
    for school in inv.city.schools:
        doc = inv.docs[school.id]
        names: dict[str, Device] = {}
        subnets = {
            k: ipaddress.ip_network(v, strict=False) for k, v in school.network.subnets.items()
        }
        for device in school.devices():
            if device.name in names:
                first = doc.where(names[device.name].path)
                msg = f"device name {device.name!r} is used twice (first at line {first.line})"
                yield doc.problem((*device.path, "name"), msg, "duplicate-name")
            else:
                names[device.name] = device
            subnet_name = SUBNET_OF_KIND.get(device.kind)
            if subnet_name and ipaddress.ip_address(device.host) not in subnets[subnet_name]:
                msg = (
                    f"{device.kind} address {device.host} is outside the {subnet_name} subnet "
                    f"{subnets[subnet_name]}"
                )
                yield doc.problem((*device.path, "host"), msg, "wrong-subnet", warning=True)
