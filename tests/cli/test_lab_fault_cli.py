"""provision lab fault: the NAME=VALUE words reach the lab's control API as typed values."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

import provision.cli.lab.fault
from provision.cli.main import cli

DEVICE = "dl-zs-h024/gate-face"


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, Any]]:
    """What the command sent to a one-process lab's control API."""
    calls: list[tuple[str, str, Any]] = []

    def call_control(control: str, method: str, path: str, body: Any = None) -> dict[str, Any]:
        calls.append((method, path, body))
        return {"id": DEVICE, "faults": body or {}}

    monkeypatch.setattr(provision.cli.lab.fault, "require_state", lambda _: {"control": "c"})
    monkeypatch.setattr(provision.cli.lab.fault, "call_control", call_control)
    return calls


def test_settings_are_sent_typed(runner: CliRunner, sent: list[tuple[str, str, Any]]) -> None:
    words = ["obstructed=true", "dead=off", "latency_ms=250", "soap_fault=GetProfiles,SetVideo"]
    result = runner.invoke(cli, ["lab", "fault", DEVICE, *words])
    assert result.exit_code == 0, result.output
    assert sent == [
        (
            "PUT",
            f"/api/devices/{DEVICE}/faults",
            {
                "obstructed": True,
                "dead": False,
                "latency_ms": 250,
                "soap_fault": ["GetProfiles", "SetVideo"],
            },
        )
    ]


def test_clear_deletes_every_fault(runner: CliRunner, sent: list[tuple[str, str, Any]]) -> None:
    result = runner.invoke(cli, ["lab", "fault", DEVICE, "--clear"])
    assert result.exit_code == 0 and result.stdout == f"{DEVICE}: faults none\n"
    assert sent == [("DELETE", f"/api/devices/{DEVICE}/faults", None)]


def test_a_word_without_a_value_is_a_usage_error(
    runner: CliRunner, sent: list[tuple[str, str, Any]]
) -> None:
    result = runner.invoke(cli, ["lab", "fault", DEVICE, "obstructed"])
    assert result.exit_code == 2 and "expected NAME=VALUE" in result.stderr
    assert sent == []
