"""The everyday show/display commands without SSH: they follow the configuration as it changes.

Each test types lines into a `CliSession` as an SSH user would, changes something (a VLAN, an
address, a port shut down), and checks that the displays a monitoring client reads report it.
"""

from __future__ import annotations

import re

import pytest

from provision.lab.cli import CliSession, new_config

SETUP = {
    "cisco_ios": ["configure terminal", "vlan 20", "name doors", "interface GigabitEthernet0/5",
                  "switchport access vlan 20", "shutdown", "interface Vlan20",
                  "ip address 10.1.20.1 255.255.255.0", "end"],
    "ruijie_os": ["configure terminal", "vlan 20", "name doors", "interface GigabitEthernet0/5",
                  "switchport access vlan 20", "shutdown", "interface VLAN 20",
                  "ip address 10.1.20.1 255.255.255.0", "end"],
    "huawei": ["system-view", "vlan batch 20", "vlan 20", "description doors",
               "interface GigabitEthernet0/0/5", "port link-type access", "port default vlan 20",
               "shutdown", "interface Vlanif20", "ip address 10.1.20.1 24", "return"],
    "hp_comware": ["system-view", "vlan 20", "name doors", "interface GigabitEthernet1/0/5",
                   "port access vlan 20", "shutdown", "interface Vlan-interface20",
                   "ip address 10.1.20.1 24", "return"],
}  # fmt: skip
# (display of addresses, a line it must hold; VLAN display, a line it must hold; port state)
EXPECT = {
    "cisco_ios": ("show ip interface brief", r"^Vlan20 +10\.1\.20\.1 +YES NVRAM +up +up$",
                  "show vlan brief", r"^20 +doors +active +Gi0/5$",
                  r"^GigabitEthernet0/5 +unassigned +YES unset +administratively down +down$"),
    "ruijie_os": ("show ip interface brief", r"^VLAN 20 +10\.1\.20\.1/24 +no address +up +up$",
                  "show vlan", r"^  20 doors +STATIC +Gi0/5$",
                  r"^GigabitEthernet 0/5 +no address +no address +administratively down +down$"),
    "huawei": ("display interface brief", r"^Vlanif20 +up +up ",
               "display vlan", r"^20 +enable +default +enable +disable +doors$",
               r"^GigabitEthernet0/0/5 +\*down +down "),
    "hp_comware": ("display interface brief", r"^Vlan20 +UP +UP +10\.1\.20\.1",
                   "display vlan brief", r"^20 +doors +GE1/0/5$",
                   r"^GE1/0/5 +ADM +auto "),
}  # fmt: skip
UNDO = {
    "cisco_ios": ["configure terminal", "no vlan 20", "interface GigabitEthernet0/5",
                  "no shutdown", "end"],
    "ruijie_os": ["configure terminal", "no vlan 20", "interface GigabitEthernet0/5",
                  "no shutdown", "end"],
    "huawei": ["system-view", "undo vlan batch 20", "interface GigabitEthernet0/0/5",
               "undo shutdown", "return"],
    "hp_comware": ["system-view", "undo vlan 20", "interface GigabitEthernet1/0/5",
                   "undo shutdown", "return"],
}  # fmt: skip


def session(platform: str) -> CliSession:
    s = CliSession(new_config(platform, serial="TEST1"))
    for line in SETUP[platform]:
        out = s.execute(line).text
        assert not out.strip().startswith(("%", "Error", "^")), (line, out)
    return s


@pytest.mark.parametrize("platform", list(SETUP))
def test_displays_report_vlans_addresses_and_shut_ports(platform: str) -> None:
    s = session(platform)
    addresses, address_line, vlans, vlan_line, port_line = EXPECT[platform]
    shown = s.execute(addresses).text
    assert re.search(address_line, shown, re.M), shown
    assert re.search(port_line, shown, re.M), shown
    assert re.search(vlan_line, s.execute(vlans).text, re.M)


@pytest.mark.parametrize("platform", list(SETUP))
def test_displays_follow_a_deleted_vlan_and_a_port_brought_back(platform: str) -> None:
    s = session(platform)
    addresses, _, vlans, vlan_line, port_line = EXPECT[platform]
    for line in UNDO[platform]:
        s.execute(line)
    assert not re.search(vlan_line, s.execute(vlans).text, re.M)
    assert not re.search(port_line, s.execute(addresses).text, re.M)


@pytest.mark.parametrize(
    ("platform", "command", "needle"),
    [("cisco_ios", "show vlan brief | include doors", "20   doors"),
     ("huawei", "display vlan | include doors", "20   enable"),
     ("hp_comware", "display interface brief | include Vlan20", "Vlan20"),
     ("ruijie_os", "show ip interface brief | include VLAN 20", "10.1.20.1/24")],
)  # fmt: skip
def test_displays_can_be_filtered(platform: str, command: str, needle: str) -> None:
    shown = session(platform).execute(command).text
    assert len(shown.splitlines()) == 1 and needle in shown


def test_ios_privileged_displays_are_refused_in_user_exec() -> None:
    s = CliSession(new_config("cisco_ios", serial="TEST1"), enable_secret="s3cret")
    assert "% Invalid input detected at '^' marker." in s.execute("dir").text
    assert "VLAN Name" in s.execute("show vlan brief").text  # user EXEC may show VLANs
    assert "VLAN id 30 not found" in s.execute("show vlan id 30").text


def test_ios_show_clock_uses_the_configured_zone() -> None:
    s = CliSession(new_config("cisco_ios", serial="TEST1"))
    for line in ("configure terminal", "clock timezone CST 8 0", "end"):
        s.execute(line)
    assert re.fullmatch(r"\*\d\d:\d\d:\d\d\.\d{3} CST \w{3} \w{3} \d\d \d{4}\n",
                        s.execute("show clock").text)  # fmt: skip
