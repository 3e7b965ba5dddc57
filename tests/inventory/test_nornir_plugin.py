"""The Nornir inventory plugin, loaded the way users load it: through its entry point."""

from __future__ import annotations

from pathlib import Path

from nornir import InitNornir
from nornir.core.filter import F


def test_city_becomes_hosts_and_groups(example_city: Path) -> None:
    nr = InitNornir(
        runner={"plugin": "serial"},
        inventory={"plugin": "provision.CityInventory", "options": {"root": str(example_city)}},
        logging={"enabled": False},
    )
    hosts = nr.inventory.hosts
    switch = hosts["dl-xg-m016/core"]
    assert switch.platform == "cisco_ios" and switch.hostname.startswith("10.")
    assert {g.name for g in switch.groups} >= {
        "school:dl-xg-m016",
        "district:xigang",
        "tier:middle",
        "precinct:renminguangchang",
        "kind:switch",
    }
    assert hosts["dl-zs-h024/core"].platform == "huawei"
    assert hosts["dl-zs-p007/core"].platform == "hp_comware"
    cams = nr.filter(F(groups__contains="kind:camera") & F(groups__contains="tier:kindergarten"))
    assert len(cams.inventory.hosts) == 21
    assert {h.platform for h in cams.inventory.hosts.values()} == {"isapi", "onvif"}
    # passwords stay unresolved references until a task contacts the device
    assert switch.password is None
    assert str(switch.data["credentials"].password) == "${PROVISION_NETWORK_PASSWORD}"


def test_selector_options_limit_the_hosts(example_city: Path) -> None:
    nr = InitNornir(
        runner={"plugin": "serial"},
        inventory={
            "plugin": "provision.CityInventory",
            "options": {"root": str(example_city), "tiers": ["primary"]},
        },
        logging={"enabled": False},
    )
    assert {h.data["school"] for h in nr.inventory.hosts.values()} == {"dl-zs-p007"}


def test_hosts_carry_the_protocol_that_picks_their_driver(example_city: Path) -> None:
    nr = InitNornir(
        runner={"plugin": "serial"},
        inventory={"plugin": "provision.CityInventory", "options": {"root": str(example_city)}},
        logging={"enabled": False},
    )
    hosts = nr.inventory.hosts
    assert hosts["dl-xg-m016/core"].data["protocol"] == "ssh"
    assert hosts["dl-xg-k003/gate-face"].data["protocol"] == "onvif"
    # Streams go to the precinct's platform, whose kind is their protocol.
    assert hosts["dl-xg-k003/streams"].data["protocol"] == "mediamtx"
    assert {h.data["protocol"] for n, h in hosts.items() if n.endswith("/streams")} == {
        "mediamtx",
        "zlmediakit",
    }
