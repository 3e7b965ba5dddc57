"""The running lab's state files: where the lab processes are and where each device listens.

Commands run with `--lab` read them to reach each inventory device at its lab address; they hold
no secret. A lab of one process writes `state.json` in the state directory, as it always has.
A sharded lab (several processes, `lab up --shards N`) keeps one directory per shard
(`shard-0/`, ...) with that process's own `state.json`, and an index, `shards.json`, naming the
shards and the schools and precincts each holds. `read_state` gives callers one view of either:
the same keys (`pid`, `control`, `devices`, ...) plus, for a sharded lab, `shards`.

Files are written atomically and removed when the lab stops; a file whose process is gone is
stale and treated as no lab. A sharded lab with some shards gone is still a lab: its state
lists those shards with `alive: false`, so `lab status` can say which part of the city is down.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from provision.errors import ProvisionError
from provision.i18n import _

DEFAULT_DIR = ".provision/lab"
INDEX_FORMAT = "provision-lab-shards"


def lab_dir(path: str | Path | None = None) -> Path:
    return Path(path or os.environ.get("PROVISION_LAB_DIR") or DEFAULT_DIR)


def state_path(directory: Path) -> Path:
    return directory / "state.json"


def index_path(directory: Path) -> Path:
    return directory / "shards.json"


def shard_dir(directory: Path, number: int) -> Path:
    return directory / f"shard-{number}"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
    os.replace(tmp, path)


def write_state(directory: Path, state: dict[str, Any]) -> None:
    _write_json(state_path(directory), state)


def write_index(directory: Path, inventory: str, shards: list[dict[str, Any]]) -> None:
    """The sharded lab's index: per shard its number, pid, control URL, schools and precincts."""
    index = {"format": INDEX_FORMAT, "inventory": inventory, "started_at": time.time()}
    _write_json(index_path(directory), {**index, "shards": shards})


def pid_exists(pid: int) -> bool:
    """Whether the pid is taken, even by a zombie (an exited process nobody collected yet)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pid_alive(pid: int) -> bool:
    """Whether the process runs. A killed lab whose parent has not collected it yet is a zombie:
    it still has a pid but serves nothing, so it counts as gone."""
    if not pid_exists(pid):
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:  # no /proc (not Linux) or it just exited: kill() said it was there
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


def _load(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except json.JSONDecodeError as exc:
        text = _("{path} is not a lab state file: {error}")
        raise ProvisionError(text.format(path=path, error=exc)) from exc
    return data


def _read_single(directory: Path) -> dict[str, Any] | None:
    path = state_path(directory)
    state = _load(path)
    if state is None:
        return None
    if not pid_alive(int(state.get("pid", 0))):
        path.unlink(missing_ok=True)
        return None
    return state


def _read_sharded(directory: Path) -> dict[str, Any] | None:
    index = _load(index_path(directory))
    if index is None:
        return None
    shards, started = [], []
    for entry in index["shards"]:
        alive = pid_alive(int(entry["pid"]))
        own = _read_single(shard_dir(directory, int(entry["shard"]))) if alive else None
        shards.append({**entry, "alive": alive, "devices": own["devices"] if own else {}})
        started += [own] if own else []
    live = [s for s in shards if s["alive"]]
    if not live:
        index_path(directory).unlink(missing_ok=True)
        return None
    return {
        # For a caller that knows one lab process: the lab is known by its first shard's pid
        # (stable while the lab runs) and reached through a live shard; `shards` has them all.
        "pid": shards[0]["pid"],
        "control": live[0]["control"],
        "inventory": index["inventory"],
        "started_at": index["started_at"],
        "start_seconds": max((s["start_seconds"] for s in started), default=0.0),
        "devices": {k: v for s in shards for k, v in s["devices"].items()},
        "shards": shards,
    }


def read_state(directory: Path) -> dict[str, Any] | None:
    """The running lab's state, one process or sharded, or None (stale files are removed)."""
    return _read_single(directory) or _read_sharded(directory)


def require_state(directory: Path) -> dict[str, Any]:
    state = read_state(directory)
    if state is None:
        text = _(
            "no lab is running (no live {state} or {index}); start one with "
            "`provision lab up -i DIR`"
        )
        raise ProvisionError(text.format(state=state_path(directory), index=index_path(directory)))
    return state


def live_pids(directory: Path) -> list[int]:
    """Every live lab process this directory knows: the one-process lab, the indexed shards
    and any shard that wrote its state but never made it into an index (its `lab up` died)."""
    pids: list[int] = []
    single = _read_single(directory)
    if single:
        pids.append(int(single["pid"]))
    index = _load(index_path(directory)) or {"shards": []}
    pids += [int(s["pid"]) for s in index["shards"] if pid_alive(int(s["pid"]))]
    for path in sorted(directory.glob("shard-*/state.json")):
        orphan = _read_single(path.parent)
        if orphan:
            pids.append(int(orphan["pid"]))
    return list(dict.fromkeys(pids))


def remove_state(directory: Path) -> None:
    """Forget a stopped lab: its state files (logs and alarm-centre data stay)."""
    state_path(directory).unlink(missing_ok=True)
    index_path(directory).unlink(missing_ok=True)
    for path in directory.glob("shard-*/state.json"):
        path.unlink(missing_ok=True)
