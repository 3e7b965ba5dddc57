"""How the alarm self-test reaches each kind of panel: press its test, read its own link
status and its own report log (delivery proved from the panel's side).

One `PanelLink` per panel protocol, as a driver per (kind, protocol):

- `http`, the generic panel (drivers/alarm.py): POST /api/test sends a Contact ID 601
  (manual test) and answers its event id; GET /api/status and /api/log, HTTP Basic.
- `isapi`, a Hikvision AX PRO (drivers/alarm_axpro.py): the panel's test of its path to the
  centre is the app's one-key panic, `PUT /ISAPI/SecurityCP/control/oneKeyAlarm/1`, which
  reports a Contact ID 120 (panic) over the same DC-09 path; the self-test only ever sends
  it inside the centre's test window (so no dispatcher is sent) and clears the latched alarm
  afterwards (`control/clearAlarm/1`). Its report log comes from the device log search
  (`POST /ISAPI/ContentMgmt/logSearch`, see lab/axpro_panel.py for what is the lab's there).

A link raises RuntimeError saying why the panel could not be reached or refused; its status
and log readers return {} when the panel cannot tell (a hint, never a finding of its own).
"""

from __future__ import annotations

import contextlib
from typing import Any, Protocol

import requests

from provision.drivers.axpro_client import AxProSession
from provision.drivers.connect import Connector
from provision.drivers.http import endpoint
from provision.errors import ProvisionError
from provision.i18n import _
from provision.inventory.model import AlarmPanel

AREA = 1
LOG_SEARCH = "/ISAPI/ContentMgmt/logSearch"


class PanelLink(Protocol):
    test_code: str  # the Contact ID event code the test makes the panel send

    def press_test(self) -> Any: ...
    def status(self) -> dict[str, Any]: ...
    def log_entry(self, event_id: Any) -> dict[str, Any]: ...
    def finish(self) -> None: ...
    def close(self) -> None: ...


def reason(exc: Exception) -> str:
    text = str(exc)
    for known in ("Connection refused", "No route to host", "timed out", "Name or service"):
        if known in text:
            return known.lower()
    return text


class GenericLink:
    """The generic panel's JSON API, over the school's shared keep-alive session."""

    test_code = "601"

    def __init__(self, panel: AlarmPanel, connector: Connector, session: requests.Session) -> None:
        self.panel, self.connector, self.session = panel, connector, session
        host, port = connector.address(panel.host, 80)
        self.base = f"http://{host}:{port}"

    def _auth(self) -> tuple[str, str] | None:
        creds = self.panel.credentials
        return (creds.username, self.connector.secret(creds.password)) if creds else None

    def press_test(self) -> Any:
        try:
            reply = self.session.post(
                f"{self.base}/api/test", auth=self._auth(), timeout=self.connector.timeout
            )
        except requests.ConnectionError as exc:
            raise RuntimeError(
                _("the panel does not answer at {host}: {reason}").format(
                    host=self.panel.host, reason=reason(exc)
                )
            ) from exc
        except requests.Timeout as exc:
            raise RuntimeError(
                _("the panel did not answer within {seconds:g} s").format(
                    seconds=self.connector.timeout
                )
            ) from exc
        if reply.status_code >= 400:
            raise RuntimeError(
                _("the panel refused the test: HTTP {status}").format(status=reply.status_code)
            )
        try:
            return reply.json().get("event_id")
        except (ValueError, AttributeError):
            return None

    def _get(self, path: str) -> Any:
        try:
            reply = self.session.get(
                f"{self.base}{path}", auth=self._auth(), timeout=self.connector.timeout
            )
            return reply.json() if reply.ok else None
        except (requests.RequestException, ValueError, ProvisionError):
            return None

    def status(self) -> dict[str, Any]:
        found = self._get("/api/status")
        return found if isinstance(found, dict) else {}

    def log_entry(self, event_id: Any) -> dict[str, Any]:
        entries = self._get("/api/log")
        found = [e for e in entries or [] if isinstance(e, dict) and e.get("event_id") == event_id]
        return found[-1] if found and event_id is not None else {}

    def finish(self) -> None:
        """A 601 leaves nothing to reset."""

    def close(self) -> None:
        """The shared session belongs to the school's check."""


class AxProLink:
    """A Hikvision AX PRO over its ISAPI session (drivers/axpro_client.py)."""

    test_code = "120"

    def __init__(self, panel: AlarmPanel, connector: Connector, label: str) -> None:
        creds, self.host = panel.credentials, panel.host
        self.api = AxProSession(
            label,
            endpoint(connector, panel.host, 80),
            creds.username if creds else "admin",
            connector.secret(creds.password if creds else None),
            timeout=connector.timeout,
        )

    def _log(self) -> dict[str, Any]:
        body = {"LogSearchCond": {"searchID": "provision", "searchResultPosition": 0}}
        found = self.api.json("POST", LOG_SEARCH, _("search the panel's log"), body)
        search = found.get("LogSearch") if isinstance(found, dict) else None
        return search if isinstance(search, dict) else {}

    def _entries(self) -> list[dict[str, Any]]:
        matches = self._log().get("MatchList") or []
        return [m["LogInfo"] for m in matches if isinstance(m, dict) and "LogInfo" in m]

    def press_test(self) -> Any:
        try:
            before = {e.get("event_id") for e in self._entries()}
            path = f"/ISAPI/SecurityCP/control/oneKeyAlarm/{AREA}"
            self.api.json("PUT", path, _("send the panic test"))
            new = [
                e
                for e in self._entries()
                if e.get("event_id") not in before and e.get("code") == self.test_code
            ]
        except ProvisionError as exc:
            said = reason(exc)
            if said != str(exc):  # the network's reason: say it as for the generic panel
                said = _("the panel does not answer at {host}: {reason}").format(
                    host=self.host, reason=said
                )
            raise RuntimeError(said) from exc
        return new[-1].get("event_id") if new else None

    def status(self) -> dict[str, Any]:
        try:
            search = self._log()
        except ProvisionError:
            return {}
        queued = search.get("queuedEventIDs")
        if queued is None:
            return {}
        return {
            "queued_event_ids": queued,
            "queue_length": len(queued),
            "last_error": search.get("lastError"),
        }

    def log_entry(self, event_id: Any) -> dict[str, Any]:
        if event_id is None:
            return {}
        try:
            found = [e for e in self._entries() if e.get("event_id") == event_id]
        except ProvisionError:
            return {}
        return found[-1] if found else {}

    def finish(self) -> None:
        """The panic latches on the panel: clear it, or the next real press finds it in alarm."""
        # A panel that cannot be reached now was already reported by the test.
        with contextlib.suppress(ProvisionError):
            self.api.json("PUT", f"/ISAPI/SecurityCP/control/clearAlarm/{AREA}", _("clear alarm"))

    def close(self) -> None:
        self.api.close()


def link_for(
    panel: AlarmPanel, connector: Connector, session: requests.Session, label: str
) -> PanelLink:
    if panel.protocol == "isapi":
        return AxProLink(panel, connector, label)
    return GenericLink(panel, connector, session)
