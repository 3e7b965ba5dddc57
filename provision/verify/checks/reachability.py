"""Every device answers; its model, serial and firmware are recorded."""

from __future__ import annotations

from provision.i18n import _
from provision.inventory import words
from provision.verify.contract import Check, CheckContext
from provision.verify.model import FAIL, PASS, CheckResult, Finding


def _answers(kind: str, what: str) -> str:
    if what:
        return _("{kind} answers: {what}").format(kind=words.kind(kind), what=what)
    return _("{kind} answers").format(kind=words.kind(kind))


def check(ctx: CheckContext) -> CheckResult:
    states = ctx.states
    findings = []
    for name, state in sorted(states.items()):
        if state.reachable:
            ident = state.identity
            what = " ".join(str(ident[k]) for k in ("model", "serial", "firmware") if ident.get(k))
            findings.append(Finding(name, PASS, _answers(state.kind, what), ident))
        else:
            findings.append(
                Finding(
                    name,
                    FAIL,
                    _("{kind} does not answer: {error}").format(
                        kind=words.kind(state.kind), error=state.error
                    ),
                )
            )
    down = sum(not s.reachable for s in states.values())
    summary = _("{answering}/{total} devices answer").format(
        answering=len(states) - down, total=len(states)
    )
    evidence = {
        "devices": {
            n: {"kind": s.kind, "reachable": s.reachable, "error": s.error, "identity": s.identity}
            for n, s in sorted(states.items())
        }
    }
    return CheckResult.of("reachability", findings, summary, evidence)


CHECK = Check("reachability", check, needs_state=True)
