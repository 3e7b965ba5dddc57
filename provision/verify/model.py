"""What verify finds: a verdict per school and check, with the evidence behind it.

The JSON form of these objects is the documented, stable output of `verify --format json`
(see `to_dict`); every other report format is rendered from them.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

PASS, WARN, FAIL, ERROR = "pass", "warn", "fail", "error"
ORDER = {PASS: 0, WARN: 1, FAIL: 2, ERROR: 3}


def worst(verdicts: list[str]) -> str:
    return max(verdicts, key=ORDER.__getitem__, default=PASS)


@dataclass(slots=True)
class Finding:
    """One thing a check looked at: a device, a zone, a stream, a rule."""

    subject: str
    verdict: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "verdict": self.verdict,
            "message": self.message,
            "data": self.data,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Finding:
        return cls(raw["subject"], raw["verdict"], raw["message"], dict(raw.get("data") or {}))


@dataclass(slots=True)
class CheckResult:
    check: str
    verdict: str
    summary: str
    findings: list[Finding] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @classmethod
    def of(
        cls,
        check: str,
        findings: list[Finding],
        summary: str,
        evidence: dict[str, Any] | None = None,
    ) -> CheckResult:
        return cls(check, worst([f.verdict for f in findings]), summary, findings, evidence or {})

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.verdict in (FAIL, ERROR)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "verdict": self.verdict,
            "summary": self.summary,
            "seconds": round(self.seconds, 3),
            "evidence": self.evidence,
            "findings": [f.to_dict() for f in self.findings],
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> CheckResult:
        return cls(
            raw["check"],
            raw["verdict"],
            raw["summary"],
            [Finding.from_dict(f) for f in raw.get("findings", ())],
            dict(raw.get("evidence") or {}),
            float(raw.get("seconds", 0.0)),
        )


@dataclass(slots=True)
class SchoolReport:
    school: str
    name: str
    tier: str
    district: str
    precinct: str
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return worst([c.verdict for c in self.checks])

    def check(self, name: str) -> CheckResult | None:
        return next((c for c in self.checks if c.check == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "school": self.school,
            "name": self.name,
            "tier": self.tier,
            "district": self.district,
            "precinct": self.precinct,
            "verdict": self.verdict,
            "checks": [c.to_dict() for c in self.checks],
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SchoolReport:
        """The inverse of `to_dict` (its "verdict" is derived, so it is not read back)."""
        return cls(
            raw["school"],
            raw["name"],
            raw["tier"],
            raw["district"],
            raw["precinct"],
            [CheckResult.from_dict(c) for c in raw.get("checks", ())],
        )


@dataclass(frozen=True, slots=True)
class CheckOutline:
    """A check's result without its findings and evidence: what a report's city-wide tables
    and counts need of it."""

    check: str
    verdict: str
    summary: str
    failures: int  # findings that failed or erred


@dataclass(frozen=True, slots=True)
class SchoolOutline:
    """A school's report without its findings and evidence: a few hundred bytes, so a report
    can hold every school's outline while it reads one whole school at a time."""

    school: str
    name: str
    tier: str
    district: str
    precinct: str
    checks: tuple[CheckOutline, ...]

    @property
    def verdict(self) -> str:
        return worst([c.verdict for c in self.checks])

    def check(self, name: str) -> CheckOutline | None:
        return next((c for c in self.checks if c.check == name), None)

    @classmethod
    def of(cls, report: SchoolReport) -> SchoolOutline:
        checks = tuple(
            CheckOutline(c.check, c.verdict, c.summary, len(c.failures)) for c in report.checks
        )
        return cls(
            report.school, report.name, report.tier, report.district, report.precinct, checks
        )

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SchoolOutline:
        """The outline of a `SchoolReport.to_dict` (as schools.jsonl holds it), not building
        the report."""
        checks = tuple(
            CheckOutline(
                c["check"],
                c["verdict"],
                c["summary"],
                sum(f["verdict"] in (FAIL, ERROR) for f in c.get("findings", ())),
            )
            for c in raw.get("checks", ())
        )
        return cls(
            raw["school"], raw["name"], raw["tier"], raw["district"], raw["precinct"], checks
        )


@dataclass(slots=True)
class CityReport:
    city: str
    inventory: str
    checks: tuple[str, ...]
    lab: bool = False
    started: float = field(default_factory=time.time)
    seconds: float = 0.0
    # In report order. A list, or a run's schools.jsonl read back one school at a time
    # (verify.stream.StoredSchools): go through it, index it, never hold it all.
    schools: Sequence[SchoolReport] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return worst([s.verdict for s in self.schools])

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary_dict(), "schools": [s.to_dict() for s in self.schools]}

    def summary_dict(self, verdicts: Iterable[str] | None = None) -> dict[str, Any]:
        """`to_dict` but for "schools" (the same keys, in the same order, "schools" being the
        last): the city's verdict and counts from the schools' verdicts (`verdicts`, in report
        order, when the caller has them; else one pass over the schools)."""
        counts: dict[str, int] = {}
        for verdict in verdicts if verdicts is not None else (s.verdict for s in self.schools):
            counts[verdict] = counts.get(verdict, 0) + 1
        return {
            "format": "provision-verify",
            "version": 1,
            "city": self.city,
            "inventory": self.inventory,
            "lab": self.lab,
            "started": format_started(self.started),
            "seconds": round(self.seconds, 3),
            "checks": list(self.checks),
            "verdict": worst(list(counts)),
            "schools_by_verdict": counts,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> CityReport:
        """The inverse of `to_dict`: a saved `verify --format json` report, read back."""
        if raw.get("format") != "provision-verify":
            raise ValueError("not a provision-verify report (its 'format' field differs)")
        return cls(
            raw["city"],
            raw["inventory"],
            tuple(raw["checks"]),
            bool(raw.get("lab", False)),
            parse_started(raw["started"]),
            float(raw.get("seconds", 0.0)),
            [SchoolReport.from_dict(s) for s in raw.get("schools", ())],
        )


STARTED_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def format_started(epoch: float) -> str:
    return time.strftime(STARTED_FORMAT, time.gmtime(epoch))


def parse_started(text: str) -> float:
    """Epoch seconds of a "started" timestamp as `to_dict` writes it (UTC, whole seconds)."""
    return float(calendar.timegm(time.strptime(text, STARTED_FORMAT)))
