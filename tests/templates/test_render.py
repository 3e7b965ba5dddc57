"""Rendered configs: golden files, determinism, and refusal of values that would inject."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from provision.cli.main import cli
from provision.drivers.switch_platforms import platform_names
from provision.errors import TemplateError
from provision.inventory.loader import load_inventory
from provision.templates import cli_value, render_school, render_switch

GOLDEN = Path(__file__).parent / "golden"
SCHOOLS = ("dl-zs-h024", "dl-xg-m016", "dl-zs-p007", "dl-xg-k003")


def _golden_subset(files: dict[str, str]) -> dict[str, str]:
    """Every switch and LED file, and the first two cameras (all cameras share a template)."""
    cams = sorted(n for n in files if n.startswith("camera/"))[:2]
    return {n: t for n, t in files.items() if not n.startswith("camera/") or n in cams}


@pytest.mark.parametrize("school_id", SCHOOLS)
def test_rendered_files_match_golden(
    example_city: Path, school_id: str, regen_golden: bool
) -> None:
    city = load_inventory(example_city).city
    assert city is not None
    files = _golden_subset(render_school(city, city.school(school_id)))
    for name, text in files.items():
        golden = GOLDEN / school_id / name
        if regen_golden:
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(text, encoding="utf-8")
        assert golden.read_text(encoding="utf-8") == text, f"{golden} differs; --regen-golden?"
    assert {
        p.relative_to(GOLDEN / school_id).as_posix()
        for p in (GOLDEN / school_id).rglob("*")
        if p.is_file()
    } == set(files)


def test_every_platform_and_kind_has_a_golden_file() -> None:
    names = {p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*") if p.is_file()}
    configs = " ".join(
        (GOLDEN / n).read_text(encoding="utf-8") for n in names if n.endswith(".cfg")
    )
    assert "sysname" in configs and "hostname" in configs  # VRP/Comware and IOS
    assert "qos apply policy" in configs and "traffic-policy" in configs
    assert any(n.endswith(".txt") for n in names) and any(n.endswith(".yaml") for n in names)


def test_every_switch_platform_has_a_golden_config(example_city: Path) -> None:
    city = load_inventory(example_city).city
    assert city is not None
    golden = {
        switch.platform
        for school_id in SCHOOLS
        for switch in city.school(school_id).network.switches
        if (GOLDEN / school_id / "switch" / f"{switch.name}.cfg").is_file()
    }
    assert golden == set(platform_names())


def test_rendering_twice_gives_identical_bytes(example_city: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    for out in ("a", "b"):
        result = runner.invoke(
            cli, ["render", "-i", str(example_city), "--out", str(tmp_path / out)]
        )
        assert result.exit_code == 0, result.output
    first = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*.*")}
    second = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*.*")}
    assert first == second and len(first) > 100


def test_switch_config_is_what_an_engineer_types(example_city: Path) -> None:
    city = load_inventory(example_city).city
    assert city is not None
    school = city.school("dl-xg-m016")
    text = render_switch(city, school, school.network.switches[0])
    lines = text.splitlines()
    assert lines[0] == "hostname dl-xg-m016-core"
    assert "interface GigabitEthernet0/1" in lines
    assert " switchport trunk allowed vlan 10,20,30" in lines
    assert any(
        line.startswith(" permit tcp 10.200.3.0 0.0.0.255 ") and line.endswith("eq 554")
        for line in lines
    )
    assert "ntp server 10.0.0.2" in lines and "clock timezone CST 8 0" in lines


@pytest.mark.parametrize(
    "bad", ["Gi0/1\nreload", "x;reload", "a|b", "a b", "desc?", "\x07", "ok\r"]
)
def test_values_that_could_inject_a_command_are_refused(bad: str) -> None:
    with pytest.raises(TemplateError, match="refusing"):
        cli_value(bad)


def test_render_refuses_an_injected_interface(example_city: Path) -> None:
    city = load_inventory(example_city).city
    assert city is not None
    school = city.school("dl-zs-h024")
    evil = replace(
        school,
        network=replace(
            school.network,
            uplink=replace(school.network.uplink, interface="GigabitEthernet0/0/1\nundo acl all"),
        ),
    )
    with pytest.raises(TemplateError, match="refusing to render"):
        render_switch(city, evil, evil.network.switches[0])


def test_render_refuses_an_invalid_inventory_and_writes_nothing(
    city_copy: Path, tmp_path: Path
) -> None:
    school = city_copy / "schools" / "dl-zs-h024.yaml"
    school.write_text(
        school.read_text(encoding="utf-8").replace(
            "interface: GigabitEthernet0/0/1", "interface: 'Gi0/0/1; reload'"
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["render", "-i", str(city_copy), "--out", str(out)])
    assert result.exit_code == 1
    assert "interface" in result.output and not out.exists()


def test_a_gb28181_precincts_sip_is_let_through_the_uplink_acl_and_no_one_elses(
    example_city: Path,
) -> None:
    """The platform's Catalog and INVITE come from its SIP port to the cameras: a real switch
    whose inbound ACL lets only RTSP, HTTP and SSH in would drop them (the lab does not filter)."""
    city = load_inventory(example_city).city
    assert city is not None
    gb = render_school(city, city.school("dl-zs-p007"))["switch/core.cfg"]
    assert "permit udp source 10.200.2.0 0.0.0.255 source-port eq 5060 destination 10.34.25.0" in gb
    assert gb.index("source-port eq 5060") < gb.index("deny ip destination 10.34.25.0")
    for other in ("dl-zs-h024", "dl-xg-m016", "dl-xg-k003"):  # RTSP-pull precincts
        assert "5060" not in render_school(city, city.school(other))["switch/core.cfg"]
