"""The LED board driver against the lab board over its real HTTP API (port 0 on loopback),
through the field connector with a sentinel password in the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import requests
from driversupport import LabLoop, RoutedConnector

from provision.drivers.base import Change, Target
from provision.drivers.led_board import LedBoardDriver
from provision.errors import DeviceError
from provision.inventory.model import City, LedBoard
from provision.lab.faults import Faults
from provision.lab.led_board import LedBoard as BoardSim

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
SCHOOL = "dl-zs-h024"
PASSWORD = "SENTINEL-led-password-91c2"
T = TypeVar("T")


@pytest.fixture
def board_sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[BoardSim]:
    monkeypatch.setenv("PROVISION_LED_PASSWORD", PASSWORD)
    loop = LabLoop()

    async def start() -> BoardSim:
        sim = BoardSim("gate-led", "127.0.0.1", faults=Faults(), api_port=0, password=PASSWORD)
        await sim.start()
        return sim

    sim = loop.run(start())
    yield sim
    loop.run(sim.stop())
    loop.close()


def target(city: City, sim: BoardSim, board: LedBoard | None = None) -> Target:
    school = city.school(SCHOOL)
    board = board or school.led_boards[0]
    routes = {(board.host, 80): ("127.0.0.1", sim.api.port)}
    return Target(city, school, board, RoutedConnector(timeout=5, routes=routes))


def board_messages(sim: BoardSim) -> list[str]:
    """What the board shows, asked by a client independent of the driver."""
    url = f"http://127.0.0.1:{sim.api.port}/api/messages"
    resp = requests.get(url, auth=("admin", PASSWORD), timeout=5)
    resp.raise_for_status()
    messages: list[str] = resp.json()["messages"]
    return messages


def test_factory_board_gets_the_rendered_messages_and_rollback_restores_it(
    city: City, board_sim: BoardSim
) -> None:
    driver = LedBoardDriver(target(city, board_sim))
    current, desired = driver.read(), driver.desired()
    assert current == {"messages": ["WELCOME"]}
    # Templates rendered with the school's facts: the police room's phone number is in it.
    assert desired["messages"][2] == "校园警务室 0411-81366966"
    changes = driver.diff(current, desired)
    assert changes == [Change("messages", ["WELCOME"], desired["messages"])]

    driver.apply(changes)
    assert board_messages(board_sim) == desired["messages"]
    assert driver.diff(driver.read(), desired) == []
    driver.apply(changes)  # idempotent
    assert board_messages(board_sim) == desired["messages"]

    driver.apply([c.reversed() for c in reversed(changes)])
    assert board_messages(board_sim) == ["WELCOME"]
    for thing in (current, desired, changes):
        assert PASSWORD not in repr(thing)
    driver.close()


def test_drift_by_hand_is_exactly_one_change(city: City, board_sim: BoardSim) -> None:
    driver = LedBoardDriver(target(city, board_sim))
    desired = driver.desired()
    driver.apply(driver.diff(driver.read(), desired))
    edited = [*desired["messages"][:2], "今日停课"]
    url = f"http://127.0.0.1:{board_sim.api.port}/api/messages"
    assert requests.put(url, json={"messages": edited}, auth=("admin", PASSWORD), timeout=5).ok
    assert driver.diff(driver.read(), desired) == [Change("messages", edited, desired["messages"])]


def test_removing_the_setting_blanks_the_board(city: City, board_sim: BoardSim) -> None:
    driver = LedBoardDriver(target(city, board_sim))
    driver.apply([Change("messages", ["WELCOME"], None)])
    assert board_messages(board_sim) == []


def test_a_message_too_wide_for_the_board_is_refused_naming_it(
    city: City, board_sim: BoardSim
) -> None:
    driver = LedBoardDriver(target(city, board_sim))
    too_wide = ["欢迎", "这条消息太长了" * 5]
    with pytest.raises(DeviceError) as failure:
        driver.apply([Change("messages", ["WELCOME"], too_wide)])
    message = str(failure.value)
    assert message.startswith("dl-zs-h024/gate-led: write messages failed: HTTP 400")
    assert "exceeds the board's 32 cells (item 1)" in message
    assert board_messages(board_sim) == ["WELCOME"]


def test_auth_failures_are_device_errors_without_the_password(
    city: City, board_sim: BoardSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROVISION_LED_PASSWORD", "SENTINEL-wrong-led-password")
    with pytest.raises(DeviceError) as failure:
        LedBoardDriver(target(city, board_sim)).read()
    assert str(failure.value) == (
        "dl-zs-h024/gate-led: read messages failed: authentication failed (HTTP 401): "
        "check the device's credentials"
    )
    monkeypatch.setenv("PROVISION_LED_PASSWORD", PASSWORD)
    board_sim.faults.update({"auth_failure": True})
    with pytest.raises(DeviceError, match="write messages failed: authentication failed"):
        LedBoardDriver(target(city, board_sim)).apply([Change("messages", None, ["x"])])
    assert "SENTINEL" not in str(failure.value)
