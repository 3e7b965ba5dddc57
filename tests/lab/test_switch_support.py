"""Shared data and helpers for the switch tests (no tests here): the sample configs the
project's templates send, and a lab event loop in a background thread."""

from __future__ import annotations

from labsupport import LabLoop

__all__ = ["SAMPLES", "LabLoop"]

SAMPLES = {
    "huawei": """\
sysname dl-zs-m012-core
vlan batch 10 20 30
vlan 10
 description management
interface Vlanif10
 ip address 10.12.10.1 255.255.255.0
interface GigabitEthernet0/0/1
 description uplink-to-precinct-nanshajie
 port link-type trunk
 port trunk allow-pass vlan 10 20 30
 traffic-policy video-out outbound
acl number 3000
 rule 5 permit tcp source 10.200.1.0 0.0.0.255 destination 10.12.20.0 0.0.0.255 destination-port eq 554
 rule 100 deny ip destination 10.12.20.0 0.0.0.255
acl number 3001
 rule 5 permit ip source 10.12.20.0 0.0.0.255
traffic classifier video operator or
 if-match acl 3001
traffic behavior video
 remark dscp af41
traffic policy video-out
 classifier video behavior video
ntp-service unicast-server 10.0.0.1
clock timezone Asia/Shanghai add 08:00:00
""",  # noqa: E501
    "cisco_ios": """\
hostname dl-zs-m012-core
vlan 10
 name management
interface Vlan10
 ip address 10.12.10.1 255.255.255.0
interface GigabitEthernet0/1
 description uplink-to-precinct-nanshajie
 switchport mode trunk
 switchport trunk allowed vlan 10,20,30
 service-policy output VIDEO-OUT
 ip access-group PRECINCT-IN in
ip access-list extended PRECINCT-IN
 permit tcp 10.200.1.0 0.0.0.255 10.12.20.0 0.0.0.255 eq 554
 deny ip any 10.12.20.0 0.0.0.255
 permit ip any any
class-map match-any VIDEO
 match access-group name VIDEO-SRC
policy-map VIDEO-OUT
 class VIDEO
  set dscp af41
ntp server 10.0.0.1
clock timezone CST 8 0
""",
    "hp_comware": """\
sysname dl-zs-m012-core
vlan 10
 name management
interface Vlan-interface10
 ip address 10.12.10.1 255.255.255.0
interface GigabitEthernet1/0/1
 description uplink-to-precinct-nanshajie
 port link-type trunk
 port trunk permit vlan 10 20 30
 qos apply policy video-out outbound
 packet-filter 3000 inbound
acl advanced 3000
 rule 5 permit tcp source 10.200.1.0 0.0.0.255 destination 10.12.20.0 0.0.0.255 destination-port eq 554
 rule 100 deny ip destination 10.12.20.0 0.0.0.255
traffic classifier video operator or
 if-match acl 3001
traffic behavior video
 remark dscp af41
qos policy video-out
 classifier video behavior video
ntp-service unicast-server 10.0.0.1
clock timezone CST add 08:00:00
""",  # noqa: E501
    "ruijie_os": """\
hostname dl-zs-m012-core
vlan 10
 name management
interface VLAN 10
 ip address 10.12.10.1 255.255.255.0
interface GigabitEthernet 0/1
 description uplink-to-precinct-nanshajie
 switchport mode trunk
 switchport trunk allowed vlan only 10,20,30
 service-policy output VIDEO-OUT
 ip access-group PRECINCT-IN in
ip access-list extended PRECINCT-IN
 permit tcp 10.200.1.0 0.0.0.255 10.12.20.0 0.0.0.255 eq 554
 deny ip any 10.12.20.0 0.0.0.255
 permit ip any any
class-map VIDEO
 match access-group VIDEO-SRC
policy-map VIDEO-OUT
 class VIDEO
  set ip dscp 34
ntp server 10.0.0.1
clock timezone CST +8 0
""",
}

CONFIG_ENTER = {
    "huawei": "system-view",
    "cisco_ios": "configure terminal",
    "hp_comware": "system-view",
    "ruijie_os": "configure terminal",
}
CONFIG_LEAVE = {"huawei": "return", "cisco_ios": "end", "hp_comware": "return", "ruijie_os": "end"}
SHOW_RUN = {
    "huawei": "display current-configuration",
    "cisco_ios": "show running-config",
    "hp_comware": "display current-configuration",
    "ruijie_os": "show running-config",
}
ERROR_TEXT = {
    "huawei": "Error: Unrecognized command found at '^' position.",
    "cisco_ios": "% Invalid input detected at '^' marker.",
    "hp_comware": "% Unrecognized command found at '^' position.",
    "ruijie_os": "% Invalid input detected at '^' marker.",
}


def config_lines(output: str) -> list[str]:
    """Lines of a config display, right-stripped (Comware indents top-level lines by one)."""
    return [line.rstrip() for line in output.replace("\r", "").split("\n")]


def missing_sample_lines(platform: str, output: str) -> list[str]:
    shown = set(config_lines(output))
    return [
        line
        for line in SAMPLES[platform].splitlines()
        if line not in shown and " " + line not in shown
    ]
