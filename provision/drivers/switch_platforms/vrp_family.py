"""What Huawei VRP and H3C Comware (which grew out of it) share: prompts in brackets, the
`undo` verb, `quit`/`return`, numbered ACL rules taken back by number, and most single-valued
commands. Not a platform itself: `huawei.py` and `hp_comware.py` build on it.
"""

from __future__ import annotations

import re
from typing import Any

from provision.drivers.switch_config import Dialect

# Single-valued commands: the first group names the setting (see `switch_config.Single`).
SINGLES = (
    r"(sysname) \S+", r"(clock timezone) .+", r"(description) .+", r"(ip address) \S+ \S+",
    r"(shutdown)", r"(port link-type) \S+", r"(port link-mode) \S+",
    r"(port (?:default|access) vlan) \d+", r"(port trunk pvid vlan) \d+",
    r"(port trunk (?:allow-pass|permit) vlan) .+", r"(name) \S+",
    r"(remark (?:dscp|8021p|local-precedence)) \S+", r"(classifier \S+) behavior .+",
    r"(car cir) .+", r"(stp mode) \S+", r"(snmp-agent sys-info (?:location|contact)) .+",
    r"(authentication-mode) \S+", r"(protocol inbound) \S+", r"(user privilege level) \d+",
    r"(idle-timeout) .+", r"(dhcp select) \S+",
)  # fmt: skip
CLASSIFIER_ID = (re.compile(r"(traffic classifier \S+) operator \S+"), r"\1")
# What `display version` prints on both.
VERSION_COMMAND = "display version"
SERIAL = re.compile(r"(?i)serial number\s*:?\s*(\S+)")
FIRMWARE = re.compile(r"Version ([^,\s]+(?:, Release \S+)?)")


def bracket_dialect(platform: str, **specific: Any) -> Dialect:
    """The shared prompts, verbs and `undo rule N`, plus what `specific` sets."""
    return Dialect(
        platform=platform, undo_word="undo", exit_word="quit", enter_config="system-view",
        show_running="display current-configuration", leave_config="return",
        config_prompt=r"\][ \t]*$", exec_prompt=r">[ \t]*$", save_ok=re.compile("successfully"),
        rule_numbers=True, **specific,
    )  # fmt: skip
