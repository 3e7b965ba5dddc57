"""Every device answers; its model, serial and firmware are recorded."""

from __future__ import annotations

from provision.verify.contract import Check, CheckContext
from provision.verify.model import FAIL, PASS, CheckResult, Finding


def check(ctx: CheckContext) -> CheckResult:
    states = ctx.states
    findings = []
    for name, state in sorted(states.items()):
        if state.reachable:
            ident = state.identity
            what = " ".join(str(ident[k]) for k in ("model", "serial", "firmware") if ident.get(k))
            findings.append(
                Finding(name, PASS, f"{state.kind} answers" + (f": {what}" if what else ""), ident)
            )
        else:
            findings.append(Finding(name, FAIL, f"{state.kind} does not answer: {state.error}"))
    down = sum(not s.reachable for s in states.values())
    summary = f"{len(states) - down}/{len(states)} devices answer"
    evidence = {
        "devices": {
            n: {"kind": s.kind, "reachable": s.reachable, "error": s.error, "identity": s.identity}
            for n, s in sorted(states.items())
        }
    }
    return CheckResult.of("reachability", findings, summary, evidence)


CHECK = Check("reachability", check, needs_state=True)
