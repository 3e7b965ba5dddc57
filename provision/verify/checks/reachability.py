"""Every device answers; its model, serial and firmware are recorded, and the model is the one
the inventory says (validate trusts the inventory's model for what a camera can carry, and an
auditor for what is installed: a swapped unit must not pass unnoticed)."""

from __future__ import annotations

from provision.i18n import _
from provision.inventory import words
from provision.verify.contract import Check, CheckContext
from provision.verify.model import FAIL, PASS, CheckResult, Finding


def _same_model(declared: str, reported: str) -> bool:
    """Vendors append lens or region suffixes ("DS-2CD2T47G2-L(4mm)"): the declared model
    must begin what the device reports, ignoring case and spaces."""

    def norm(text: str) -> str:
        return "".join(text.split()).upper()

    return norm(reported).startswith(norm(declared))


def _answers(kind: str, what: str) -> str:
    if what:
        return _("{kind} answers: {what}").format(kind=words.kind(kind), what=what)
    return _("{kind} answers").format(kind=words.kind(kind))


def check(ctx: CheckContext) -> CheckResult:
    states = ctx.states
    declared = {d.name: str(getattr(d, "model", "") or "") for d in ctx.school.devices()}
    findings = []
    for name, state in sorted(states.items()):
        if state.reachable:
            ident = state.identity
            what = " ".join(str(ident[k]) for k in ("model", "serial", "firmware") if ident.get(k))
            model, reported = declared.get(name, ""), str(ident.get("model") or "")
            if model and reported and not _same_model(model, reported):
                msg = _(
                    "{kind} answers but reports model {reported}, not {model} as the inventory "
                    "says: correct the inventory's model or install the planned unit"
                ).format(kind=words.kind(state.kind), reported=reported, model=model)
                findings.append(Finding(name, FAIL, msg, ident))
                continue
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
