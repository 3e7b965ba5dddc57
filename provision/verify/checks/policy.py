"""The tier's model-site standard and GB/T 29315 staffing, against the school's facts."""

from __future__ import annotations

from provision.i18n import _
from provision.rules.tier_standard import requirements
from provision.standards import required_guards
from provision.verify import labels
from provision.verify.contract import Check, CheckContext
from provision.verify.model import FAIL, PASS, WARN, CheckResult, Finding


def check(ctx: CheckContext) -> CheckResult:
    school, city = ctx.school, ctx.city
    coverage, budgets = ctx.earlier("coverage"), ctx.earlier("budgets")
    recording = ctx.earlier("recording")
    std = city.tiers[school.tier]
    sec = school.security
    rules: list[tuple[str, bool, str]] = [
        (req.name, req.met, req.message) for req in requirements(school, std)
    ] + [
        (
            "guards",
            sec.guard_count >= required_guards(school.non_boarding_students),
            _(
                "{guards} guard(s) for {students} non-boarding students; GB/T 29315-2022 asks "
                "for {required}"
            ).format(
                guards=sec.guard_count,
                students=school.non_boarding_students,
                required=required_guards(school.non_boarding_students),
            ),
        ),
        (
            "gate_staffed_24h",
            sec.gate_staffed_24h,
            _("gate room staffed around the clock")
            if sec.gate_staffed_24h
            else _("gate room not staffed around the clock"),
        ),
    ]
    findings = [Finding(name, PASS if ok else FAIL, msg) for name, ok, msg in rules]
    earlier = (
        ("coverage_targets", coverage),
        ("retention_days", budgets),
        ("recorded_days", recording),  # what the recorders' own indexes show
    )
    for name, result in earlier:
        if result is None:
            findings.append(Finding(name, WARN, _("not checked in this run")))
        else:
            findings.append(
                Finding(
                    name,
                    PASS if result.verdict in (PASS, WARN) else FAIL,  # a warning is no shortfall
                    _("{check} check: {summary}").format(
                        check=labels.check(result.check), summary=result.summary
                    ),
                )
            )
    failed = [f.subject for f in findings if f.verdict == FAIL]
    summary = (
        _("meets the standard")
        if not failed
        else _("short of: {listed}").format(listed=", ".join(failed))
    )
    return CheckResult.of(
        "policy", findings, summary, {"rules": {f.subject: f.verdict for f in findings}}
    )


# A predecessor not chosen in this run is "not checked in this run", never run for it.
CHECK = Check("policy", check, after=("coverage", "budgets", "recording"))
