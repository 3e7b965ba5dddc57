"""H3C/HPE Comware 7 (S5130-class switches), netmiko's `hp_comware` driver.

Comware binds ACLs with `packet-filter` and QoS with `qos apply policy`; netmiko saves from
system-view and leaves the session there, so the driver returns to user view after saving.
"""

from __future__ import annotations

import re

from provision.drivers.switch_config import singles
from provision.drivers.switch_platforms import vrp_family
from provision.drivers.switch_platforms.base import SwitchPlatform, VersionFields


class HpComware(SwitchPlatform):
    name = "hp_comware"
    device_type = "hp_comware"
    uplink_port = "GigabitEthernet1/0/1"
    save_stays_in_config = True
    # `save [safely] [backup | main] [force]`: with `force` it asks nothing, and it is taken in
    # any view (H3C Comware 7 Fundamentals Configuration Guide, "Saving the running
    # configuration"); netmiko types the same from system-view.
    save_command = "save force"
    version_command = vrp_family.VERSION_COMMAND
    version_fields = VersionFields(
        model=re.compile(r"H3C (\S+) uptime"),
        serial=vrp_family.SERIAL,
        firmware=vrp_family.FIRMWARE,
    )
    dialect = vrp_family.bracket_dialect(
        "hp_comware",
        singles=singles(*vrp_family.SINGLES, whole_line=[
            (r"packet-filter .+ (inbound|outbound)", r"packet-filter \1"),
            (r"qos apply policy \S+ (inbound|outbound)", r"qos apply policy \1")]),
        sections=re.compile(r"interface \S+|vlan \d+|acl .+|traffic (?:classifier|behavior) .+"
                            r"|qos policy .+|line .+|user-interface .+|local-user .+"
                            r"|radius scheme .+|domain .+|ospf.*|bgp .+"),
        owned=re.compile(r"acl .+|traffic (?:classifier|behavior) .+|qos policy .+"),
        noise=re.compile(r"return"),
        identities=(vrp_family.CLASSIFIER_ID,
                    (re.compile(r"(acl (?:basic|advanced|number|name) \S+) .+"), r"\1")),
        vlan_lists=("port trunk permit vlan",),
    )  # fmt: skip


PLATFORM = HpComware()
