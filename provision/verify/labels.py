"""The words reports show for codes: check names, tiers, verdicts and run statuses.

The codes themselves stay English in JSON, JUnit test names and anything a pipeline filters
on; a report for people shows these labels in the chosen language. A code without a label
(a check added since) is shown as it is.
"""

from __future__ import annotations

from provision.i18n import N_, word
from provision.inventory import words

CHECKS = {
    "reachability": N_("reachability"),
    "drift": N_("drift"),
    "streams": N_("streams"),
    "coverage": N_("coverage"),
    "alarm": N_("alarm"),
    "budgets": N_("budgets"),
    "recording": N_("recording"),
    "policy": N_("policy"),
    "gb28181": N_("gb28181"),
}
VERDICTS = {"pass": N_("pass"), "warn": N_("warn"), "fail": N_("fail"), "error": N_("error")}
STATUSES = {
    "would change": N_("would change"),
    "changed": N_("changed"),
    "unchanged": N_("unchanged"),
    "failed": N_("failed"),
    "unreachable": N_("unreachable"),
    "stale": N_("stale"),
    "not started": N_("not started"),
}


def check(name: str) -> str:
    return word(CHECKS, name)


def tier(name: str) -> str:
    return words.tier(name)


def verdict(name: str) -> str:
    return word(VERDICTS, name)


def status(name: str) -> str:
    return word(STATUSES, str(name))
