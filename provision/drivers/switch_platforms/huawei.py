"""Huawei VRP (S5700/S5735-class switches), netmiko's `huawei` driver.

VRP makes VLANs with one `vlan batch` line (a `vlan N` section is shown only once it holds
something), binds ACLs with `traffic-filter` and QoS with `traffic-policy`.
"""

from __future__ import annotations

import re

from provision.drivers.switch_config import PORT_SECTIONS, singles
from provision.drivers.switch_platforms import vrp_family
from provision.drivers.switch_platforms.base import SwitchPlatform, VersionFields


class Huawei(SwitchPlatform):
    name = "huawei"
    device_type = "huawei"
    uplink_port = "GigabitEthernet0/0/1"
    version_command = vrp_family.VERSION_COMMAND
    version_fields = VersionFields(
        model=re.compile(r"HUAWEI (\S+) Routing Switch"),
        serial=vrp_family.SERIAL,
        firmware=vrp_family.FIRMWARE,
    )
    dialect = vrp_family.bracket_dialect(
        "huawei",
        singles=singles(*vrp_family.SINGLES, whole_line=[
            (r"(traffic-filter (?:inbound|outbound)) acl .+", r"\1"),
            (r"traffic-policy \S+ (inbound|outbound)", r"traffic-policy \1")]),
        sections=re.compile(r"interface \S+|vlan \d+|acl .+|traffic (?:classifier|behavior|policy)"
                            r" .+|user-interface .+|aaa|ospf.*|bgp .+|stp region-configuration"),
        owned=re.compile(r"acl .+|traffic (?:classifier|behavior|policy) .+"),
        noise=re.compile(r"!.*|return"),
        identities=(vrp_family.CLASSIFIER_ID,
                    (re.compile(r"(acl (?:number|name) \S+) .+"), r"\1")),
        implicit=re.compile(rf"vlan \d+|{PORT_SECTIONS}"),  # `vlan batch` makes a VLAN
        vlan_lists=("port trunk allow-pass vlan",), vlan_batch=True,
    )  # fmt: skip


PLATFORM = Huawei()
