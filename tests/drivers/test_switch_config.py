"""The switch config tree, its settings and the CLI planned from changes, on literal texts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provision.drivers.base import Change
from provision.drivers.switch import plan_lines
from provision.drivers.switch_config import (
    ERROR,
    decode_key,
    encode_key,
    flatten,
    parse_config,
)
from provision.drivers.switch_platforms import platform_named

HUAWEI = platform_named("huawei").dialect
CISCO = platform_named("cisco_ios").dialect
COMWARE = platform_named("hp_comware").dialect

HUAWEI_RUNNING = """\
!Software Version V200R019C10SPC500
#
sysname core-a
#
vlan batch 10 20 to 22
#
vlan 10
 description management
#
acl number 3000
 rule 5 permit tcp source 10.200.1.0 0.0.0.255 destination 10.34.17.0 0.0.0.255 destination-port eq 554
 rule 100 deny ip destination 10.34.17.0 0.0.0.255
#
traffic classifier video operator or
 if-match acl 3001
#
interface GigabitEthernet0/0/1
 description uplink-to-precinct-nanshajie
 port link-type trunk
 port trunk allow-pass vlan 10 20 to 22
 traffic-filter inbound acl 3000
 traffic-policy video-out outbound
#
interface Vlanif10
 ip address 10.34.16.1 255.255.255.0
#
ntp-service unicast-server 10.0.0.2
ntp-service unicast-server 10.0.0.1
#
return
"""  # noqa: E501

COMWARE_RUNNING = """\
#
 version 7.1.070, Release 6728P22
#
 sysname core-c
#
 clock timezone CST add 08:00:00
#
 ntp-service unicast-server 10.0.0.2
 ntp-service unicast-server 10.0.0.1
#
vlan 10
 name management
#
interface GigabitEthernet1/0/1
 port link-type trunk
 port trunk permit vlan 10 20 30
 packet-filter 3000 inbound
 qos apply policy video-out outbound
#
acl advanced 3000
 rule 5 permit ip source 10.34.25.0 0.0.0.255
#
 ssh server enable
#
return
"""

CISCO_RUNNING = """\
Building configuration...

Current configuration : 612 bytes
!
version 15.0
no service password-encryption
!
hostname core-b
!
policy-map VIDEO-OUT
 class VIDEO
  set dscp af41
!
interface GigabitEthernet0/1
 switchport mode trunk
 switchport trunk allowed vlan 10,20-22
 ip access-group PRECINCT-IN in
 service-policy output VIDEO-OUT
!
interface Vlan1
 no ip address
 shutdown
!
ip access-list extended PRECINCT-IN
 permit tcp 10.200.3.0 0.0.0.255 10.34.21.0 0.0.0.255 eq 554
 permit ip any any
!
ntp server 10.0.0.1
end
"""


def test_huawei_display_flattens_to_one_setting_per_line() -> None:
    settings = flatten(parse_config(HUAWEI_RUNNING, HUAWEI), HUAWEI)
    port = "config/interface GigabitEthernet0/0/1"
    assert settings == {
        "config/sysname": "sysname core-a",
        **{f"config/vlan batch {v}": True for v in (10, 20, 21, 22)},
        "config/vlan 10/description": "description management",  # `vlan 10`: no key of its own
        "config/acl number 3000": True,
        "config/acl number 3000/rule 5 permit tcp source 10.200.1.0 0.0.0.255 destination "
        "10.34.17.0 0.0.0.255 destination-port eq 554": True,
        "config/acl number 3000/rule 100 deny ip destination 10.34.17.0 0.0.0.255": True,
        "config/traffic classifier video operator or": True,
        "config/traffic classifier video operator or/if-match acl 3001": True,
        f"{port}/description": "description uplink-to-precinct-nanshajie",
        f"{port}/port link-type": "port link-type trunk",
        f"{port}/port trunk allow-pass vlan": "port trunk allow-pass vlan 10 20 to 22",
        f"{port}/traffic-filter inbound": "traffic-filter inbound acl 3000",
        f"{port}/traffic-policy outbound": "traffic-policy video-out outbound",
        "config/interface Vlanif10": True,
        "config/interface Vlanif10/ip address": "ip address 10.34.16.1 255.255.255.0",
        "config/ntp-service unicast-server 10.0.0.2": True,
        "config/ntp-service unicast-server 10.0.0.1": True,
    }


def test_comware_top_level_lines_indented_by_one_space_stay_top_level() -> None:
    tree = parse_config(COMWARE_RUNNING, COMWARE)
    assert [n.text for n in tree] == [
        "version 7.1.070, Release 6728P22",
        "sysname core-c",
        "clock timezone CST add 08:00:00",
        "ntp-service unicast-server 10.0.0.2",
        "ntp-service unicast-server 10.0.0.1",
        "vlan 10",
        "interface GigabitEthernet1/0/1",
        "acl advanced 3000",
        "ssh server enable",
    ]
    settings = flatten(tree, COMWARE)
    port = "config/interface GigabitEthernet1/0/1"
    assert settings[f"{port}/packet-filter inbound"] == "packet-filter 3000 inbound"
    assert settings[f"{port}/qos apply policy outbound"] == "qos apply policy video-out outbound"
    assert settings["config/acl advanced 3000/rule 5 permit ip source 10.34.25.0 0.0.0.255"]
    assert settings["config/vlan 10"] is True  # Comware shows (and deletes) VLANs by themselves
    assert settings["config/vlan 10/name"] == "name management"


def test_cisco_nested_sections_negations_and_display_noise() -> None:
    tree = parse_config(CISCO_RUNNING, CISCO)
    assert [n.text for n in tree][:3] == [
        "version 15.0",
        "no service password-encryption",
        "hostname core-b",
    ]
    settings = flatten(tree, CISCO)
    assert not any(
        "Building" in k or "Current configuration" in k or k == "config/end" for k in settings
    )
    assert settings["config/policy-map VIDEO-OUT/class VIDEO"] is True
    assert settings["config/policy-map VIDEO-OUT/class VIDEO/set dscp"] == "set dscp af41"
    port = "config/interface GigabitEthernet0/1"
    assert settings[f"{port}/ip access-group in"] == "ip access-group PRECINCT-IN in"
    assert settings[f"{port}/service-policy output"] == "service-policy output VIDEO-OUT"
    assert (
        settings[f"{port}/switchport trunk allowed vlan"]
        == "switchport trunk allowed vlan 10,20-22"
    )
    # IOS prints the absence of some settings: `no ip address` is the setting `ip address`.
    assert settings["config/interface Vlan1/ip address"] == "no ip address"
    assert f"{port}" not in settings  # a port is hardware: never created or deleted
    acl = next(n for n in tree if n.text == "ip access-list extended PRECINCT-IN")
    assert [c.text for c in acl.children] == [  # in the order shown: IOS ACLs are ordered
        "permit tcp 10.200.3.0 0.0.0.255 10.34.21.0 0.0.0.255 eq 554",
        "permit ip any any",
    ]


def test_vlan_lists_are_spelt_as_the_device_prints_them() -> None:
    assert HUAWEI.canonical("port trunk allow-pass vlan 10 11 12  20") == (
        "port trunk allow-pass vlan 10 to 12 20"
    )
    assert CISCO.canonical("switchport trunk allowed vlan 10,11,12,20,21") == (
        "switchport trunk allowed vlan 10-12,20,21"
    )
    assert COMWARE.canonical("port trunk permit vlan all") == "port trunk permit vlan all"


def test_keys_read_as_config_paths() -> None:
    key = encode_key(("interface GigabitEthernet0/0/1", "description"))
    assert key == "config/interface GigabitEthernet0/0/1/description"
    assert decode_key(key) == ("interface GigabitEthernet0/0/1", "description")
    with pytest.raises(ValueError):
        decode_key("encoder.main.fps")


@given(st.lists(st.text(min_size=1).map(str.strip).filter(bool), min_size=1, max_size=4))
def test_keys_round_trip_for_any_lines(segments: list[str]) -> None:
    assert decode_key(encode_key(segments)) == tuple(segments)


def test_error_markers_of_each_platform() -> None:
    assert ERROR.search(
        "rule 5 permit\r\n      ^\r\nError: Unrecognized command found at '^' position."
    )
    assert ERROR.search("Error:Incomplete command found at '^' position.")
    assert ERROR.search("   ^\n% Invalid input detected at '^' marker.\n")
    assert ERROR.search(" % Unrecognized command found at '^' position.")
    assert not ERROR.search("Info: The configuration takes effect on the current user terminal")
    assert not ERROR.search("description Error: not at the start of a line")


# --- planning -----------------------------------------------------------------------------------

ACL = "acl number 3000"
RULE5 = "rule 5 permit ip source 10.34.17.0 0.0.0.255"
PORT = "interface GigabitEthernet0/0/1"
BINDING = "traffic-filter inbound acl 3000"
DESIRED = [
    encode_key((ACL,)),
    encode_key((ACL, RULE5)),
    encode_key((PORT, "port trunk allow-pass vlan")),
    encode_key((PORT, "traffic-filter inbound")),
]
CREATE = [
    Change(DESIRED[3], None, BINDING),
    Change(DESIRED[1], None, True),
    Change(DESIRED[0], None, True),
]


def test_an_acl_exists_before_a_port_applies_it_whatever_the_change_order() -> None:
    assert plan_lines(HUAWEI, CREATE, DESIRED) == [ACL, RULE5, "quit", PORT, BINDING, "quit"]


def test_reversed_changes_let_go_of_the_acl_before_deleting_it() -> None:
    undo = [c.reversed() for c in CREATE]
    # The rule is not typed: deleting its ACL takes it.
    assert plan_lines(HUAWEI, undo, DESIRED) == [PORT, f"undo {BINDING}", "quit", f"undo {ACL}"]
    assert plan_lines(CISCO, [Change("config/ip access-list extended X", True, None)], []) == [
        "no ip access-list extended X"
    ]


def test_a_numbered_rule_is_taken_out_before_its_new_text_goes_in() -> None:
    old = "rule 5 permit ip source 10.0.0.0 0.255.255.255"
    changes = [Change(DESIRED[1], None, True), Change(encode_key((ACL, old)), True, None)]
    assert plan_lines(HUAWEI, changes, DESIRED) == [ACL, "undo rule 5", RULE5, "quit"]


def test_vlan_lists_that_add_up_drop_the_vlans_that_go() -> None:
    key = DESIRED[2]
    change = Change(
        key, "port trunk allow-pass vlan 10 20 30 40", "port trunk allow-pass vlan 10 20"
    )
    assert plan_lines(HUAWEI, [change], DESIRED) == [
        PORT,
        "undo port trunk allow-pass vlan 30 40",
        "port trunk allow-pass vlan 10 20",
        "quit",
    ]
    removal = Change(key, "port trunk allow-pass vlan 10 20", None)
    assert plan_lines(HUAWEI, [removal], DESIRED)[1] == "undo port trunk allow-pass vlan 10 20"
    ios = Change(
        "config/interface GigabitEthernet0/1/switchport trunk allowed vlan",
        "switchport trunk allowed vlan 10,20,30,40",
        "switchport trunk allowed vlan 10,20",
    )
    assert plan_lines(CISCO, [ios], [])[1:] == ["switchport trunk allowed vlan 10,20", "exit"]


def test_ios_acl_gaining_a_middle_entry_is_rewritten_from_there_in_template_order() -> None:
    acl = "ip access-list extended PRECINCT-IN"
    entries = [f"permit tcp any any eq {p}" for p in (22, 80, 554)] + ["deny ip any any"]
    desired = [encode_key((acl,))] + [encode_key((acl, e)) for e in entries]
    shown = "\n".join([acl, *(f" {e}" for e in entries if "eq 80" not in e)])
    current = parse_config(shown, CISCO)
    change = Change(encode_key((acl, entries[1])), None, True)
    # The tail goes from its end, so the ACL only ever shrinks to a prefix of itself.
    assert plan_lines(CISCO, [change], desired, current) == [
        acl,
        f"no {entries[3]}",
        f"no {entries[2]}",
        *entries[1:],
        "exit",
    ]
    # A hand-made extra entry that a rollback puts back goes to the end, where IOS appends.
    extra = Change(encode_key((acl, "permit ip host 1.2.3.4 any")), None, True)
    full = parse_config("\n".join([acl, *(f" {e}" for e in entries)]), CISCO)
    assert plan_lines(CISCO, [extra], desired, full) == [acl, "permit ip host 1.2.3.4 any", "exit"]


def test_unsafe_or_mismatched_values_are_refused() -> None:
    key = encode_key((PORT, "description"))
    with pytest.raises(ValueError, match="not one clean line"):
        plan_lines(HUAWEI, [Change(key, None, "description x\nreload")], [])
    with pytest.raises(ValueError, match="does not belong"):
        plan_lines(HUAWEI, [Change(key, None, "shutdown")], [])
    with pytest.raises(ValueError, match="not created or deleted"):
        plan_lines(HUAWEI, [Change(encode_key((PORT,)), True, None)], [])
