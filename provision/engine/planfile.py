"""Saved plans: what `plan --out` writes and `apply PLAN_FILE` applies exactly.

A plan holds no secret: settings never carry one (drivers/base.py), and the file records the
inventory's and each device's fingerprint so that apply can refuse a stale plan.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provision.drivers.base import Change
from provision.engine.outcome import DeviceOutcome, Status
from provision.engine.runs import RunReport
from provision.errors import ProvisionError
from provision.i18n import _
from provision.inventory.selectors import Selection

FORMAT = "provision-plan"
VERSION = 1


def report_to_dict(report: RunReport) -> dict[str, Any]:
    sel = report.selection
    stopped = {}
    if report.stopped_at is not None:  # an interrupted run: when the stop was taken
        stopped["stopped_at"] = datetime.fromtimestamp(report.stopped_at, UTC).isoformat()
    return {
        "format": FORMAT,
        "version": VERSION,
        "command": report.command,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "inventory": report.inventory,
        "inventory_digest": report.inventory_digest,
        "selection": {
            "schools": list(sel.schools),
            "districts": list(sel.districts),
            "tiers": list(sel.tiers),
            "precincts": list(sel.precincts),
        },
        "lab": report.lab,
        "run_id": report.run_id,
        "summary": report.counts(),
        **stopped,
        "devices": [o.to_dict() for o in report.outcomes],
    }


def save_plan(report: RunReport, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(report_to_dict(report), fh, ensure_ascii=False, indent=1)
    os.replace(tmp, path)


def load_plan(path: Path) -> RunReport:
    """A saved plan, read back; a file that is not one (unreadable, not JSON, another format,
    keys missing or of the wrong shape) is the user's mistake, said as such."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProvisionError(
            _("{path}: not a readable plan file: {exc}").format(path=path, exc=exc)
        ) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT or raw.get("version") != VERSION:
        raise ProvisionError(
            _("{path}: not a {format} v{version} file").format(
                path=path, format=FORMAT, version=VERSION
            )
        )
    try:
        return _report(raw)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProvisionError(
            _(
                "{path}: not a valid plan file ({type}: {exc}); make it again with "
                "`provision plan --out`"
            ).format(path=path, type=type(exc).__name__, exc=exc)
        ) from None


def _report(raw: dict[str, Any]) -> RunReport:
    sel = _mapping(raw["selection"], "selection")
    report = RunReport(
        "plan",
        _text(raw["inventory"], "inventory"),
        _text(raw["inventory_digest"], "inventory_digest"),
        Selection(*(_texts(sel[key], f"selection.{key}") for key in SELECTORS)),
        lab=bool(raw.get("lab")),
    )
    devices = raw["devices"]
    if not isinstance(devices, list):
        raise TypeError("devices must be a list")
    report.outcomes = [_outcome(_mapping(d, f"devices[{i}]")) for i, d in enumerate(devices)]
    seen: set[str] = set()
    for outcome in report.outcomes:
        if outcome.device in seen:
            raise ValueError(_("device {device} is listed twice").format(device=outcome.device))
        seen.add(outcome.device)
    return report


SELECTORS = ("schools", "districts", "tiers", "precincts")


def _outcome(d: dict[str, Any]) -> DeviceOutcome:
    error = d.get("error")
    return DeviceOutcome(
        _text(d["device"], "device"),
        _text(d["kind"], "kind"),
        Status(d["status"]),
        _changes(d["changes"], "changes"),
        None if error is None else _text(error, "error"),
        _changes(d.get("rolled_back", []), "rolled_back"),
        _text(d.get("state_digest", ""), "state_digest"),
    )


def _changes(value: Any, what: str) -> list[Change]:
    if not isinstance(value, list):
        raise TypeError(_("{what} must be a list").format(what=what))
    changes = []
    for i, item in enumerate(value):
        item = _mapping(item, f"{what}[{i}]")
        changes.append(Change(_text(item["setting"], "setting"), item["before"], item["after"]))
    return changes


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(_("{what} must be a mapping").format(what=what))
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(
            _("{what} must be text, not {type}").format(what=what, type=type(value).__name__)
        )
    return value


def _texts(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(_("{what} must be a list of text").format(what=what))
    return tuple(value)
