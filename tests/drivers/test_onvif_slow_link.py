"""A camera on a slow link: the login token must not go stale in transit, and a refusal on a
slow link names the link, never the clock (field: cameras on a precinct WAN answer in seconds)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from labsupport import LabLoop

from provision.drivers.onvif_client import OnvifError, OnvifSession
from provision.lab.camera import Camera
from provision.lab.faults import Faults

PASSWORD = "slow-link-admin"
# Each exchange takes 5 s: 2.5 s each way. The camera allows ±1.5 s on the token's Created:
# stamped "now" a token always arrives stale (2.5 s old, ±0.5 s as the camera's clock reads
# whole seconds); stamped for its arrival it has a second to spare for a loaded machine.
LATENCY_MS = 5000
WINDOW_S = 1.5


def _camera(latency_ms: int, window_s: float) -> Iterator[Camera]:
    loop = LabLoop()
    sim = Camera(
        "slow",
        "127.0.0.1",
        faults=Faults(latency_ms=latency_ms),
        http_port=0,
        rtsp_port=0,
        users={"admin": (PASSWORD, "Administrator")},
        auth_window_s=window_s,
    )
    loop.run(sim.start())
    try:
        yield sim
    finally:
        loop.run(sim.stop())
        loop.close()


@pytest.fixture
def slow_camera() -> Iterator[Camera]:
    yield from _camera(LATENCY_MS, WINDOW_S)


@pytest.fixture
def refusing_camera() -> Iterator[Camera]:
    # Accepts no token however fresh, on a link of 1.2 s per exchange.
    yield from _camera(1200, 0.0)


def test_a_token_is_stamped_for_when_it_arrives_so_a_slow_link_still_logs_in(
    slow_camera: Camera,
) -> None:
    address = ("127.0.0.1", slow_camera.endpoints()["http"])
    session = OnvifSession("slow", address, "admin", PASSWORD, timeout=30)
    try:
        info = session.device("GetDeviceInformation")
    finally:
        session.close()
    assert info is not None


def test_a_stale_refusal_on_a_slow_link_says_slow_not_clock(refusing_camera: Camera) -> None:
    address = ("127.0.0.1", refusing_camera.endpoints()["http"])
    session = OnvifSession("slow", address, "admin", PASSWORD, timeout=30)
    try:
        with pytest.raises(OnvifError) as caught:
            session.device("GetDeviceInformation")
    finally:
        session.close()
    said = str(caught.value)
    assert "slow: 1." in said and "s per exchange" in said
    assert "not because its clock is off" in said
