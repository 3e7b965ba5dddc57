"""What the lab subcommands share: where the lab keeps its state, and its processes (one, or
the shards of a city too big for one) as the state file lists them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from provision.i18n import _
from provision.lab.state import shard_dir

state_dir_option = click.option(
    "--state-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where the lab keeps its state [default: $PROVISION_LAB_DIR or .provision/lab].",
)


def lab_processes(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Every process of the lab: the shards of a sharded lab, else the one process."""
    return state.get("shards") or [{**state, "shard": None, "alive": True}]


def down_reason(shard: dict[str, Any], directory: Path) -> str:
    """Which schools and precincts a dead shard takes with it, and where its log is."""
    schools = shard["schools"]
    named = ", ".join(schools[:5]) + (", ..." if len(schools) > 5 else "")
    log = shard_dir(directory, shard["shard"]) / "lab.log"
    return _(
        "shard {shard} (pid {pid}) is down: its {n} school(s) ({named}) and precincts "
        "{precincts} do not answer; see {log}"
    ).format(
        shard=shard["shard"],
        pid=shard["pid"],
        n=len(schools),
        named=named,
        precincts=", ".join(shard["precincts"]),
        log=log,
    )
