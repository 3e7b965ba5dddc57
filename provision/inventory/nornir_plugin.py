"""A Nornir inventory plugin: one host per device of a city, grouped for filtering.

Registered under the `nornir.plugins.inventory` entry point as `provision.CityInventory`:

    InitNornir(inventory={"plugin": "provision.CityInventory",
                          "options": {"root": "examples/dalian", "schools": ["dl-zs-h001"]}})

Host names are `<school>/<device>`, plus `<school>/streams` for a school whose cameras
forward feeds (the proxies on its precinct's video platform). Groups: `school:<id>`,
`district:<id>`, `tier:<tier>`, `precinct:<id>`, `kind:<kind>`. `platform` is the netmiko
device type for network gear, the platform kind (zlmediakit, mediamtx) for streams, and the
device's protocol for the rest.
`data["protocol"]` is what, with `data["kind"]`, picks the driver: the device's protocol, and
for streams the platform kind again (each platform has its own API).
Passwords stay unresolved references in `data["credentials"]`: they are read from the
environment only by the task that contacts the device.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from nornir.core.inventory import Defaults, Group, Groups, Host, Hosts, Inventory, ParentGroups

from provision.inventory.loader import load_inventory, require_valid
from provision.inventory.model import City, Device, School, Switch
from provision.inventory.selectors import Selection


def host_name(school: School, device: Device) -> str:
    return f"{school.id}/{device.name}"


def _group(groups: Groups, name: str, **data: Any) -> Group:
    if name not in groups:
        groups[name] = Group(name=name, data=data)
    return groups[name]


def city_to_nornir(city: City, schools: list[School]) -> Inventory:
    hosts, groups = Hosts(), Groups()
    for school in schools:
        parents = [
            _group(groups, f"school:{school.id}", title=school.name),
            _group(groups, f"district:{school.district}"),
            _group(groups, f"tier:{school.tier}"),
            _group(groups, f"precinct:{school.precinct}"),
        ]
        for device in school.devices():
            platform = device.platform if isinstance(device, Switch) else device.protocol
            name = host_name(school, device)
            kind_group = _group(groups, f"kind:{device.kind}")
            hosts[name] = Host(
                name=name,
                hostname=device.host,
                username=device.credentials.username if device.credentials else None,
                platform=platform,
                groups=ParentGroups([*parents, kind_group]),
                data={
                    "school": school.id,
                    "kind": device.kind,
                    "protocol": device.protocol,
                    "device": device,
                    "credentials": device.credentials,
                },
            )
        video = city.precincts[school.precinct].video_platform
        # Over GB/T 28181 the cameras register themselves: no platform-side streams to push.
        if any(c.forward for c in school.cameras) and video.kind != "gb28181":
            name = f"{school.id}/streams"
            hosts[name] = Host(
                name=name,
                hostname=urlsplit(video.api).hostname,
                platform=video.kind,
                groups=ParentGroups([*parents, _group(groups, "kind:streams")]),
                data={
                    "school": school.id,
                    "kind": "streams",
                    "protocol": video.kind,
                    "device": None,
                    "credentials": None,
                },
            )
    return Inventory(hosts=hosts, groups=groups, defaults=Defaults(data={"city": city}))


class CityInventory:
    """Nornir inventory plugin over a provision city directory."""

    def __init__(
        self,
        root: str = ".",
        schools: list[str] | None = None,
        districts: list[str] | None = None,
        tiers: list[str] | None = None,
        precincts: list[str] | None = None,
    ) -> None:
        self.root = root
        self.selection = Selection(
            tuple(schools or ()), tuple(districts or ()), tuple(tiers or ()), tuple(precincts or ())
        )

    def load(self) -> Inventory:
        only = set(self.selection.schools) or None
        inv = require_valid(load_inventory(self.root, only=only))
        assert inv.city is not None  # require_valid guarantees it
        return city_to_nornir(inv.city, self.selection.apply(inv.city))
