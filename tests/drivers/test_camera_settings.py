"""The camera settings vocabulary: computed once from the inventory, named the same for every
camera protocol, and what `provision render` prints."""

from __future__ import annotations

from pathlib import Path

import yaml

from provision.inventory.model import VIDEO_FIELDS, City
from provision.templates import render_camera
from provision.templates.camera_settings import (
    ENCODER_FIELDS,
    camera_settings,
    is_camera_setting,
    is_valid_value,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"


def test_a_camera_wants_exactly_the_vocabulary(city: City) -> None:
    school = city.school("dl-xg-k003")
    camera = school.cameras[0]
    settings = camera_settings(school, camera)
    assert list(settings) == [
        "hostname",
        "ntp",
        "clock.timezone",
        *(f"encoder.main.{name}" for name in ENCODER_FIELDS),
        "osd",
        "clock.source",
        "users.operator",
        "users.auditor",
    ]
    assert ENCODER_FIELDS is VIDEO_FIELDS  # one list of encoder fields
    assert settings["encoder.main.codec"] == camera.video.codec
    assert settings["hostname"] == school.hostname(camera.name)
    assert all(is_camera_setting(n) and is_valid_value(n, v) for n, v in settings.items())


def test_values_a_camera_cannot_take_are_refused() -> None:
    for setting, value in (
        ("encoder.main.fps", "fast"),
        ("encoder.main.fps", 0),
        ("encoder.main.resolution", "1920*1080"),
        ("encoder.main.resolution", None),
        ("users.operator", {"level": "Root"}),
        ("clock.source", "GPS"),
        ("hostname", ""),
    ):
        assert not is_valid_value(setting, value), (setting, value)
    assert not is_camera_setting("firmware") and not is_camera_setting("encoder.main.quality")
    assert not is_camera_setting("users.")


def test_render_prints_the_settings_and_where_the_feed_goes(city: City) -> None:
    school = city.school("dl-xg-k003")
    forwarded = next(c for c in school.cameras if c.forward)
    local = next(c for c in school.cameras if not c.forward)
    doc = yaml.safe_load(render_camera(city, school, forwarded))
    assert doc["settings"] == camera_settings(school, forwarded)
    assert doc["forward"] == {
        "enabled": True,
        "platform": "mediamtx",
        "stream": school.hostname(forwarded.name),
    }
    assert yaml.safe_load(render_camera(city, school, local))["forward"] == {"enabled": False}
