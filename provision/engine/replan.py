"""Whether a saved plan is exactly the plan made now: what `apply PLAN_FILE` checks before it
touches anything, so that a plan file edited by hand, or made before the devices or the
inventory changed, applies nothing.
"""

from __future__ import annotations

from provision.drivers.base import Change
from provision.engine.outcome import DeviceOutcome
from provision.i18n import _


def plan_differences(saved: list[DeviceOutcome], fresh: list[DeviceOutcome]) -> list[str]:
    """How a saved plan differs from the plan made now, one line per device (empty: the
    same plan). Compared exactly: every device, every change's setting, before and after,
    and what each device held when it was read."""
    now = {o.device: o for o in fresh}
    lines: list[str] = []
    for old in saved:
        new = now.get(old.device)
        if new is None:
            lines.append(
                _("{device}: not a device of the plan's schools in this inventory").format(
                    device=old.device
                )
            )
        elif new.status.failed:
            if old.changes:
                lines.append(f"{old.device}: {new.status}: {new.error}")
        elif old.changes != new.changes:
            lines.append(f"{old.device}: {_changes_differ(old.changes, new.changes)}")
        elif old.changes and old.state_digest != new.state_digest:
            lines.append(
                _("{device}: the device changed since the plan was made").format(device=old.device)
            )
    named = {o.device for o in saved}
    for new in fresh:
        if new.device not in named and new.changes:
            lines.append(
                _("{device}: left out of the plan, with {n_changes} change(s)").format(
                    device=new.device, n_changes=len(new.changes)
                )
            )
    return lines


def _changes_differ(old: list[Change], new: list[Change]) -> str:
    planned = {c.setting: c for c in old}
    wanted = {c.setting: c for c in new}
    parts: list[str] = []
    for setting in [*planned, *(s for s in wanted if s not in planned)]:
        a, b = planned.get(setting), wanted.get(setting)
        if a == b:
            continue
        saved_text = (
            a.describe() if a else _("{setting}: (not in the plan)").format(setting=setting)
        )
        now_text = b.describe() if b else _("(no change now)")
        parts.append(
            _("plan says {saved_text}; now {now_text}").format(
                saved_text=saved_text, now_text=now_text
            )
        )
    if not parts:  # the same changes in another order
        parts.append(_("the changes are in another order than planned now"))
    return "; ".join(parts[:5]) + (f" (+{len(parts) - 5} more)" if len(parts) > 5 else "")
