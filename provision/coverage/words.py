"""The words messages and reports use for a zone's importance and DORI level.

The inventory, JSON and the schema keep the codes (critical, identify...); a message for
people shows the word in the chosen language. DORI names follow IEC 62676-4 (detect,
observe, recognise, identify; in Chinese 探测, 观察, 识别, 辨认).
"""

from __future__ import annotations

from provision.i18n import N_, word

IMPORTANCE = {"critical": N_("critical"), "required": N_("required"), "optional": N_("optional")}
DORI = {
    "monitor": N_("monitor"),
    "detect": N_("detect"),
    "observe": N_("observe"),
    "recognise": N_("recognise"),
    "identify": N_("identify"),
}


def importance(level: str) -> str:
    return word(IMPORTANCE, level)


def dori(level: str) -> str:
    return word(DORI, level)
