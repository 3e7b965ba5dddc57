"""The words messages and reports use for a school's tier and a device's kind.

The inventory, JSON and the schema keep the codes (high, led_board...); a message for people
shows the word in the chosen language. A code without a word here is shown as it is.
"""

from __future__ import annotations

from provision.i18n import N_, word

TIERS = {
    "high": N_("high"),
    "middle": N_("middle"),
    "primary": N_("primary"),
    "kindergarten": N_("kindergarten"),
}
KINDS = {
    "camera": N_("camera"),
    "switch": N_("switch"),
    "recorder": N_("recorder"),
    "alarm": N_("alarm panel"),
    "led_board": N_("LED board"),
    "streams": N_("stream platform"),
}


def tier(code: str) -> str:
    return word(TIERS, code)


def kind(code: str) -> str:
    return word(KINDS, code)
