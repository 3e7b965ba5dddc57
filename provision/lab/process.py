"""Start and stop the lab as background processes: what `lab up`, `lab down` and the demo use.

Each lab process runs in its own session (so a terminal's Ctrl-C or a closed shell does not kill
it) with its output in lab.log; `start_lab` returns once every process has written its state
file, which a lab process does only when every device of it listens.

A process holds one listening socket per device endpoint, and the connections made to them need
descriptors too, so a city too big for one process is sharded (`plan_shards`): the schools are
split over several processes, by district when whole districts fit, else by precinct. A lab
process serves the precincts of the schools it is given, so a precinct's video platform and
alarm centre live in exactly one shard, the one holding all its selected schools. Devices reach
peers in other shards the way they reach any peer: by address (`netmap.lab_route`).
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import resource
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from provision.errors import ProvisionError
from provision.i18n import _
from provision.inventory.loader import load_inventory, require_valid
from provision.inventory.model import City, School
from provision.inventory.selectors import Selection
from provision.lab.state import (
    live_pids,
    pid_alive,
    pid_exists,
    read_state,
    remove_state,
    shard_dir,
    write_index,
)

START_TIMEOUT_S = 300.0
STOP_TIMEOUT_S = 30.0
# Listening sockets one lab process may hold: a quarter of the descriptor limit stays free for
# the connections clients and devices open (15,000 of this machine's 20,000).
MAX_LISTENERS = 15_000
# Listening sockets per lab device (`Simulator.endpoints()`); tests pin this to a running lab.
LISTENERS = {
    "camera": 2,  # ONVIF/HTTP, RTSP
    "switch": 1,  # SSH
    "alarm": 1,  # HTTP config API (its DC-09 link is an outgoing connection)
    "alarm_column": 2,  # GB/T 28181 alarm column: ISAPI over HTTP, RTSP (SIP is outgoing)
    "led_board": 1,  # HTTP
    "recorder": 1,  # HTTP: ISAPI (a Hikvision NVR) or ONVIF Profile G; other protocols: none
    "video_platform": 3,  # ZLMediaKit API, MediaMTX API, RTSP; GB/T 28181: SIP UDP+TCP, API
    "alarm_center": 2,  # DC-09 receiver, event API
}
PRECINCT_LISTENERS = LISTENERS["video_platform"] + LISTENERS["alarm_center"]


def max_listeners() -> int:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return MAX_LISTENERS if hard == resource.RLIM_INFINITY else min(MAX_LISTENERS, hard * 3 // 4)


def school_listeners(school: School) -> int:
    return (
        LISTENERS["camera"] * len(school.cameras)
        + LISTENERS["switch"] * len(school.network.switches)
        + LISTENERS["alarm"] * sum(not a.reports_over_gb28181 for a in school.alarms)
        + LISTENERS["alarm_column"] * sum(a.reports_over_gb28181 for a in school.alarms)
        + LISTENERS["led_board"] * len(school.led_boards)
        + LISTENERS["recorder"] * sum(r.protocol in ("isapi", "onvif") for r in school.recorders)
    )


@dataclass(frozen=True, slots=True)
class Shard:
    """What one lab process holds: schools, the precincts they report to, listening sockets."""

    schools: tuple[str, ...]
    precincts: tuple[str, ...]
    districts: tuple[str, ...]  # the districts of those precincts
    listeners: int


def _merge(parts: list[Shard]) -> Shard:
    return Shard(
        tuple(sorted(s for p in parts for s in p.schools)),
        tuple(sorted({x for p in parts for x in p.precincts})),
        tuple(sorted({x for p in parts for x in p.districts})),
        sum(p.listeners for p in parts),
    )


def _precinct_units(city: City, schools: list[School]) -> list[Shard]:
    """The smallest pieces a lab splits into: a precinct with every selected school of it."""
    members: dict[str, list[School]] = defaultdict(list)
    for school in schools:
        members[school.precinct].append(school)
    return [
        Shard(
            tuple(s.id for s in group),
            (pid,),
            (city.precincts[pid].district,),
            PRECINCT_LISTENERS + sum(school_listeners(s) for s in group),
        )
        for pid, group in sorted(members.items())
    ]


def _pack(units: list[Shard], count: int, limit: int) -> list[Shard] | None:
    """`count` shards, largest unit first into the emptiest; None if one would exceed `limit`."""
    if len(units) < count:
        return None
    bins: list[list[Shard]] = [[] for _ in range(count)]
    loads = [0] * count
    for unit in sorted(units, key=lambda u: (-u.listeners, u.precincts)):
        emptiest = loads.index(min(loads))
        bins[emptiest].append(unit)
        loads[emptiest] += unit.listeners
    return None if max(loads) > limit else [_merge(b) for b in bins]


def plan_shards(
    city: City, schools: list[School], count: int | None, limit: int | None = None
) -> list[Shard]:
    """Split the selected schools into `count` lab processes (None: as few as keep each within
    `limit` listening sockets): whole districts when they fit, else whole precincts."""
    limit = limit or max_listeners()
    precincts = _precinct_units(city, schools)
    by_district: dict[str, list[Shard]] = defaultdict(list)
    for unit in precincts:
        by_district[unit.districts[0]].append(unit)
    districts = [_merge(units) for _, units in sorted(by_district.items())]

    def fit(n: int) -> list[Shard] | None:
        return _pack(districts, n, limit) or _pack(precincts, n, limit)

    if not precincts:
        return [Shard((), (), (), 0)]
    if count is None:
        total = sum(u.listeners for u in precincts)
        for n in range(max(1, -(-total // limit)), len(precincts) + 1):
            if plan := fit(n):
                return plan
        big = max(precincts, key=lambda u: u.listeners)
        text = _(
            "precinct {precinct} with its {n} school(s) needs {listeners:,} listening sockets, "
            "more than one lab process holds ({limit:,}); the lab keeps a precinct's schools in "
            "one process: select fewer schools"
        )
        raise ProvisionError(
            text.format(
                precinct=big.precincts[0], n=len(big.schools), listeners=big.listeners, limit=limit
            )
        )
    if count > len(precincts):
        text = _(
            "cannot split the lab into {count} shards: the selected schools report to {n} "
            "precinct(s), and a precinct stays in one shard with its schools"
        )
        raise ProvisionError(text.format(count=count, n=len(precincts)))
    plan = fit(count)
    if plan is None:
        needed = len(plan_shards(city, schools, None, limit))
        text = _(
            "{count} shard(s) would put more than {limit:,} listening sockets in one process; "
            "use --shards {needed} or more"
        )
        raise ProvisionError(text.format(count=count, limit=limit, needed=needed))
    return plan


def daemon_args(
    inventory: str, directory: Path, selection: Selection, faults: str | None = None
) -> list[str]:
    args = [sys.executable, "-m", "provision.lab.daemon", "--inventory", inventory]
    args += ["--state-dir", str(directory)] + (["--faults", faults] if faults else [])
    for flag, values in (
        ("--school", selection.schools),
        ("--district", selection.districts),
        ("--tier", selection.tiers),
        ("--precinct", selection.precincts),
    ):
        args += [part for value in values for part in (flag, value)]
    return args


def call_control(control: str, method: str, path: str, body: Any = None) -> Any:
    """One request to a lab process's control API; its error message becomes the exception."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        control + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        raise ProvisionError(json.loads(exc.read() or b"{}").get("error", str(exc))) from exc
    except OSError as exc:  # refused or timed out: the process is hung or going away
        text = _("the lab process at {control} does not answer: {error}")
        raise ProvisionError(text.format(control=control, error=exc)) from exc


def start_lab(
    inventory: str,
    directory: Path,
    selection: Selection,
    faults: str | None = None,
    shards: int | None = 1,
) -> dict[str, Any]:
    """Start the lab in `shards` processes (None: as many as the city needs); its state."""
    running = live_pids(directory)
    if running:
        text = _("a lab is already running (pid {pids}); `provision lab down` first")
        raise ProvisionError(text.format(pids=", ".join(map(str, running))))
    plan: list[Shard] = []
    if shards != 1:
        inv = require_valid(load_inventory(inventory, only=set(selection.schools) or None))
        assert inv.city is not None
        plan = plan_shards(inv.city, selection.apply(inv.city), shards)
    directory.mkdir(parents=True, exist_ok=True)
    if len(plan) <= 1:
        proc = _spawn(daemon_args(inventory, directory, selection, faults), directory)
        try:
            return _wait_ready([(proc, directory)])[0]
        except ProvisionError:
            if proc.poll() is None:
                proc.kill()
            raise
    return _start_shards(inventory, directory, plan, faults)


def _spawn(args: list[str], directory: Path) -> subprocess.Popen[bytes]:
    with (directory / "lab.log").open("w", encoding="utf-8") as out:
        return subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def _wait_ready(started: list[tuple[subprocess.Popen[bytes], Path]]) -> list[dict[str, Any]]:
    """Each process's state once it has written it; an error with the log of one that died."""
    deadline = time.monotonic() + START_TIMEOUT_S
    ready: dict[int, dict[str, Any]] = {}
    while len(ready) < len(started):
        for number, (proc, directory) in enumerate(started):
            state = None if number in ready else read_state(directory)
            if state and state["pid"] == proc.pid:
                ready[number] = state
            elif number not in ready and (proc.poll() is not None or time.monotonic() > deadline):
                log = (directory / "lab.log").read_text(encoding="utf-8")
                tail = log.strip().splitlines()[-10:]
                which = (
                    _("the lab shard {n} did not start").format(n=number)
                    if len(started) > 1
                    else _("the lab did not start")
                )
                if tail and tail[-1].startswith("error: "):  # the lab said why in one line
                    raise ProvisionError(f"{which}: {tail[-1][7:]}")
                raise ProvisionError(f"{which}:\n  " + "\n  ".join(tail))
        if len(ready) < len(started):
            time.sleep(0.1)  # polling the lab's own signal (its state file), with a deadline
    return [ready[n] for n in range(len(started))]


def _start_shards(
    inventory: str, directory: Path, plan: list[Shard], faults: str | None
) -> dict[str, Any]:
    started: list[tuple[subprocess.Popen[bytes], Path]] = []
    try:
        for number, shard in enumerate(plan):
            own = shard_dir(directory, number)
            own.mkdir(parents=True, exist_ok=True)
            args = daemon_args(inventory, own, Selection(schools=shard.schools))
            started.append((_spawn(args, own), own))
        states = _wait_ready(started)
        index = [
            {
                "shard": number,
                "pid": state["pid"],
                "control": state["control"],
                "schools": list(shard.schools),
                "precincts": list(shard.precincts),
                "districts": list(shard.districts),
                "listeners": shard.listeners,
            }
            for number, (shard, state) in enumerate(zip(plan, states, strict=True))
        ]
        if faults:
            _apply_faults(Path(faults), index, states)
        # Written last: until every shard is up (and faulted), no command sees a lab here.
        write_index(directory, states[0]["inventory"], index)
    except BaseException:
        _stop_pids([proc.pid for proc, _ in started])
        raise
    state = read_state(directory)
    assert state is not None
    return state


def _apply_faults(path: Path, index: list[dict[str, Any]], states: list[dict[str, Any]]) -> None:
    """A faults file over shards: each device's faults sent to the shard holding it."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        text = _("{path}: expected a mapping of device id to faults")
        raise ProvisionError(text.format(path=path))
    owner = {
        dev: entry["control"]
        for entry, state in zip(index, states, strict=True)
        for dev in state["devices"]
    }
    for dev_id, changes in data.items():
        if dev_id not in owner:
            close = difflib.get_close_matches(str(dev_id), list(owner), n=3)
            text = _("{path}: no lab device {device!r}").format(path=path, device=dev_id)
            if close:
                text += _("; did you mean {close}?").format(close=", ".join(close))
            raise ProvisionError(text)
        if not isinstance(changes, dict):
            text = _("{path}: faults of {device} must be a mapping")
            raise ProvisionError(text.format(path=path, device=dev_id))
        call_control(owner[dev_id], "PUT", f"/api/devices/{dev_id}/faults", changes)


def stop_lab(directory: Path) -> int | None:
    """Stop the running lab; its (first) pid, or None when none was running."""
    pids = stop_lab_processes(directory)
    return pids[0] if pids else None


def stop_lab_processes(directory: Path) -> list[int]:
    """Stop every process of the running lab (the one, or every shard); their pids."""
    pids = live_pids(directory)
    _stop_pids(pids)
    remove_state(directory)
    return pids


def _stop_pids(pids: list[int]) -> None:
    """SIGTERM (a lab removes its state file on the way out), SIGKILL what hangs."""
    _signal(pids, signal.SIGTERM)
    if not _wait_gone(pids, STOP_TIMEOUT_S):
        _signal(pids, signal.SIGKILL)
        _wait_gone(pids, STOP_TIMEOUT_S)


def _signal(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _wait_gone(pids: list[int], timeout: float) -> bool:
    """Wait until the processes have exited and been collected (by us, or by init once their
    `lab up` is gone); at the deadline, whether none of them still runs."""
    deadline = time.monotonic() + timeout
    while True:
        for pid in pids:
            _reap(pid)
        if not any(map(pid_exists, pids)):
            return True
        if time.monotonic() > deadline:
            return not any(map(pid_alive, pids))
        time.sleep(0.05)  # polling the processes' exit, with a deadline


def _reap(pid: int) -> None:
    """Collect a lab process if it is our own child (the demo started it), so it is no zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
