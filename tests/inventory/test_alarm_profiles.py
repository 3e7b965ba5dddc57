"""The alarm latency profiles the schema offers are the ones standards.py documents."""

from __future__ import annotations

import json
from pathlib import Path

import provision
from provision.standards import ALARM_LATENCY_PROFILES

SCHEMA = Path(provision.__file__).parent / "schemas" / "common.schema.json"


def test_the_schema_offers_exactly_the_documented_profiles() -> None:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    alarm = schema["$defs"]["defaults"]["properties"]["alarm"]["properties"]
    assert alarm["latency_profile"]["enum"] == list(ALARM_LATENCY_PROFILES)
    for name, profile in ALARM_LATENCY_PROFILES.items():
        assert profile.name == name and profile.limit_s > 0 and "GA/T 368-2001" in profile.source
