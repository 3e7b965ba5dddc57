"""What differs between the inventory and the devices: plan's comparison, read-only."""

from __future__ import annotations

from provision.i18n import _
from provision.verify.contract import Check, CheckContext
from provision.verify.model import FAIL, PASS, CheckResult, Finding


def check(ctx: CheckContext) -> CheckResult:
    states = ctx.states
    findings = []
    for name, state in sorted(states.items()):
        if not state.reachable:
            findings.append(Finding(name, FAIL, _("not read: {error}").format(error=state.error)))
        elif state.changes:
            detail = "; ".join(c.describe() for c in state.changes[:5])
            more = (
                _(" (+{n} more)").format(n=len(state.changes) - 5) if len(state.changes) > 5 else ""
            )
            findings.append(
                Finding(
                    name,
                    FAIL,
                    _("{n_changes} setting(s) drifted: {detail}{more}").format(
                        n_changes=len(state.changes), detail=detail, more=more
                    ),
                    {"changes": [c.to_dict() for c in state.changes]},
                )
            )
        else:
            findings.append(Finding(name, PASS, _("as the inventory says")))
    drifted = sum(bool(s.changes) for s in states.values())
    evidence = {
        "devices": {
            n: [c.to_dict() for c in s.changes] for n, s in sorted(states.items()) if s.changes
        }
    }
    return CheckResult.of(
        "drift", findings, _("{drifted} device(s) drifted").format(drifted=drifted), evidence
    )


CHECK = Check("drift", check, needs_state=True)
