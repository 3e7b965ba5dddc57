"""Every verify check, one line each, in the order reports show them.

A new check is a module declaring a `Check` (see `provision.verify.contract`) and one line
here. The order they run in is derived from what each runs after, not from this list.
"""

from __future__ import annotations

from provision.verify.checks import (
    budgets,
    coverage,
    drift,
    gb28181,
    policy,
    reachability,
    recording,
)
from provision.verify.contract import CheckRegistry
from provision.verify.selftests import alarm, streams

REGISTRY = CheckRegistry(
    (
        reachability.CHECK,
        drift.CHECK,
        streams.CHECK,
        coverage.CHECK,
        alarm.CHECK,
        budgets.CHECK,
        recording.CHECK,
        policy.CHECK,
        gb28181.CHECK,
    )
)

CHECKS: tuple[str, ...] = REGISTRY.names
NEEDS_STATE: frozenset[str] = REGISTRY.needs_state
parse_checks = REGISTRY.parse
