"""Drivers are found by (kind, protocol): built-ins, and a driver another package ships through
the `provision.drivers` entry point group, installed as pip would install it (a dist-info on
sys.path)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent

import pytest
import yaml

from provision.citygen import dump
from provision.drivers import registry
from provision.drivers.camera import CameraDriver
from provision.drivers.led_board import LedBoardDriver
from provision.errors import ProvisionError
from provision.inventory.model import DEFAULT_PROTOCOLS
from provision.validate import validate

ROOT = Path(__file__).resolve().parents[2]
KG = "dl-xg-k003"


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    """Installed drivers are read once per process: read them again around each test."""
    registry.installed.cache_clear()
    yield
    registry.installed.cache_clear()


def _install(site: Path, dist: str, entry_points: dict[str, str], module: str) -> None:
    """A package as pip leaves it: its module and a dist-info naming its entry points."""
    package = dist.replace("-", "_")
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text(dedent(module), encoding="utf-8")
    info = site / f"{package}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n", encoding="utf-8"
    )
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(
        f"[{registry.ENTRY_POINT_GROUP}]\n{lines}", encoding="utf-8"
    )


UNIVIEW_DRIVER = """
    from provision.drivers.base import Driver

    class UniviewCameraDriver(Driver):
        kind = "camera"

        def desired(self):
            return {}

        def read(self):
            return {}

        def apply(self, changes):
            pass
"""


@pytest.fixture
def uniview_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site-packages"
    entry = {"camera.uniview": "acme_uniview:UniviewCameraDriver"}
    _install(site, "acme-uniview", entry, UNIVIEW_DRIVER)
    monkeypatch.syspath_prepend(str(site))


def test_builtin_drivers_by_kind_and_protocol() -> None:
    assert registry.driver_class("camera", "onvif") is CameraDriver
    assert registry.driver_class("led_board", "http") is LedBoardDriver
    streams = {registry.driver_class("streams", p) for p in ("zlmediakit", "mediamtx")}
    assert {cls.__name__ for cls in streams} == {"StreamsDriver"}


def test_a_driver_another_package_ships_is_found_by_kind_and_protocol(
    uniview_installed: None,
) -> None:
    cls = registry.driver_class("camera", "uniview")
    assert cls.__name__ == "UniviewCameraDriver" and cls.__module__ == "acme_uniview"
    assert registry.driver_class("camera", "onvif") is CameraDriver  # the built-in still serves
    assert "camera/uniview" in registry.describe_installed()


def test_an_unknown_pair_is_an_error_listing_the_installed_ones() -> None:
    with pytest.raises(ProvisionError) as info:
        registry.driver_class("camera", "uniview")
    message = str(info.value)
    assert "no driver for camera over 'uniview'" in message
    assert "camera/onvif" in message and "switch/ssh" in message and "led_board/http" in message


def test_two_packages_claiming_one_pair_is_an_error_naming_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site-packages"
    _install(site, "rogue-onvif", {"camera.onvif": "rogue_onvif:Other"}, "Other = None\n")
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(ProvisionError, match=r"two drivers for camera over onvif: .*CameraDriver"):
        registry.driver_class("camera", "onvif")


def test_an_entry_point_not_named_kind_dot_protocol_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site-packages"
    _install(site, "odd-driver", {"camera": "odd_driver:Cam"}, "Cam = None\n")
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(ProvisionError, match=r"'camera' .* is not named <kind>\.<protocol>"):
        registry.installed()


def test_every_managed_kind_has_a_builtin_driver_for_its_default_protocol() -> None:
    managed = {k: p for k, p in DEFAULT_PROTOCOLS.items() if k not in registry.UNMANAGED}
    assert managed and all((kind, p) in registry.BUILTIN for kind, p in managed.items())


def test_pyproject_declares_exactly_the_builtin_drivers() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = project["entry-points"][registry.ENTRY_POINT_GROUP]
    assert declared == {registry.entry_point_name(k): v for k, v in registry.BUILTIN.items()}


def test_drivers_are_imported_only_when_their_kind_is_driven(example_city: Path) -> None:
    """Validating a city and driving an LED board import neither zeep nor netmiko."""
    script = dedent(
        f"""
        import sys
        from provision.drivers.registry import driver_class
        from provision.validate import validate
        validate({str(example_city)!r})
        driver_class("led_board", "http")
        heavy = sorted({{"zeep", "onvif", "netmiko"}} & set(sys.modules))
        assert not heavy, heavy
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _set_protocol(city: Path, protocol: str, camera: int = 0) -> Path:
    path = city / "schools" / f"{KG}.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["cameras"][camera]["protocol"] = protocol
    path.write_text(dump(doc, "x.json"), encoding="utf-8")
    return path


def test_validate_names_the_line_of_an_unknown_protocol_and_the_installed_pairs(
    city_copy: Path,
) -> None:
    path = _set_protocol(city_copy, "uniview", camera=2)
    [problem] = [p for p in validate(city_copy).errors if p.code == "unknown-driver"]
    assert problem.location.file.endswith(f"{KG}.yaml")
    line = path.read_text(encoding="utf-8").splitlines()[problem.location.line - 1]
    assert line.strip() == "protocol: uniview"
    assert "'uniview'" in problem.message and "camera/onvif" in problem.message


def test_validate_accepts_a_protocol_an_installed_package_serves(
    city_copy: Path, uniview_installed: None
) -> None:
    _set_protocol(city_copy, "uniview")
    assert [p for p in validate(city_copy).errors if p.code == "unknown-driver"] == []


def test_a_protocol_inherited_from_defaults_is_one_error_per_school(city_copy: Path) -> None:
    city_file = city_copy / "city.yaml"
    doc = yaml.safe_load(city_file.read_text(encoding="utf-8"))
    doc["defaults"]["camera"]["protocol"] = "uniview"
    city_file.write_text(dump(doc, "x.json"), encoding="utf-8")
    problems = [p for p in validate(city_copy).errors if p.code == "unknown-driver"]
    assert len(problems) == len(list((city_copy / "schools").glob("*.yaml")))
    for problem in problems:
        assert "inherited from defaults by" in problem.message
        assert "camera/onvif" in problem.message and problem.location.line > 1
