"""The LED message board at the school gate: the messages it cycles through.

The board's API (GET/PUT /api/messages, HTTP Basic) replaces the whole list at once, so the
list is one setting: a plan shows the old and new lists side by side, and rollback puts the
old list back in one write. The board itself refuses a message wider than its matrix; that
refusal comes back as a DeviceError naming the message.
"""

from __future__ import annotations

from provision.drivers.base import Change, Settings, Target
from provision.drivers.device_api import DeviceApiDriver
from provision.errors import DeviceError
from provision.i18n import _
from provision.inventory.model import LedBoard
from provision.templates import led_messages

MESSAGES = "messages"


class LedBoardDriver(DeviceApiDriver):
    kind = "led_board"

    def __init__(self, target: Target) -> None:
        super().__init__(target)
        if not isinstance(target.device, LedBoard):
            raise TypeError(f"{type(self).__name__} needs a LedBoard, got {target.device!r}")
        self.board: LedBoard = target.device

    def desired(self) -> Settings:
        return {MESSAGES: led_messages(self.target.city, self.target.school, self.board)}

    def read(self) -> Settings:
        body = self._api().json("GET", "/api/messages", _("read messages"))
        messages = body.get(MESSAGES) if isinstance(body, dict) else None
        if not isinstance(messages, list):
            raise DeviceError(
                _("{label}: read messages failed: no message list in the answer").format(
                    label=self.label
                )
            )
        return {MESSAGES: messages}

    def apply(self, changes: list[Change]) -> None:
        for change in changes:
            if change.setting != MESSAGES:
                raise DeviceError(
                    _(
                        "{label}: write messages failed: a LED board has no setting {setting!r}"
                    ).format(label=self.label, setting=change.setting)
                )
            # Removing the setting leaves the board blank rather than on its factory text.
            wanted = list(change.after) if change.after is not None else []
            self._api().json("PUT", "/api/messages", _("write messages"), json={MESSAGES: wanted})
