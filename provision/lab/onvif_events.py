"""ONVIF event service (tev, ver10) of the simulated camera: PullPoint subscriptions.

Follows ver10/events/wsdl/event.wsdl (github.com/onvif/specs, commit ae44f9e) and
WS-BaseNotification 1.3: CreatePullPointSubscription answers a SubscriptionReference
(wsa:Address of the pull point), CurrentTime and TerminationTime; PullMessages at that address
answers CurrentTime, TerminationTime and NotificationMessages; Renew and Unsubscribe (wsnt) act
on it. As ONVIF Core 9.6 asks of properties, a new subscription first gets every property's
state with PropertyOperation="Initialized", then "Changed" messages as states change.

Properties come from the lab's faults: tamper is tns1:VideoSource/GlobalSceneChange/
ImagingService (Profile S's scene change, true while the lens is `obstructed`), motion is
tns1:VideoSource/MotionAlarm (false: the lab scene does not move). Not modelled: Filter
(every topic is delivered), long polling (PullMessages answers at once with what has changed,
never waiting out its Timeout), and the Basic Notification (push) interface.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lxml import etree

from provision.lab.onvif_soap import receiver_fault, text, x
from provision.lab.onvif_state import VIDEO_SOURCE_TOKEN, CameraState, Operations

PULLPOINT_PREFIX = "/onvif/pullpoint/"
MAX_PULLPOINTS = 10  # cameras allow a handful; more answers a fault
DEFAULT_TERMINATION = timedelta(seconds=60)
TAMPER = "tns1:VideoSource/GlobalSceneChange/ImagingService"
MOTION = "tns1:VideoSource/MotionAlarm"
_NS_WSNT = "http://docs.oasis-open.org/wsn/b-2"
_NS_WSA = "http://www.w3.org/2005/08/addressing"
_NS_TNS1 = "http://www.onvif.org/ver10/topics"
_DIALECT = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet"
_ids = itertools.count(1)


@dataclass(slots=True)
class PullPoint:
    terminates: datetime
    seen: dict[str, bool] = field(default_factory=dict)  # topic → state last delivered


@dataclass(slots=True)
class EventSource:
    """What a camera's event service reads: its property states, and its pull points."""

    states: Callable[[], dict[str, bool]]
    pullpoints: dict[str, PullPoint] = field(default_factory=dict)


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _termination(req: etree._Element, now: datetime) -> datetime:
    """InitialTerminationTime / TerminationTime: a duration (PT60S) or a dateTime."""
    value = text(req, "InitialTerminationTime") or text(req, "TerminationTime")
    if value and value.startswith("PT") and value.endswith("S"):
        try:
            return now + timedelta(seconds=float(value[2:-1]))
        except ValueError:
            pass
    elif value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    return now + DEFAULT_TERMINATION


def create_pull_point(events: EventSource, cam: CameraState, req: etree._Element) -> str:
    now = cam.now()
    for key, point in list(events.pullpoints.items()):
        if point.terminates <= now:
            del events.pullpoints[key]
    if len(events.pullpoints) >= MAX_PULLPOINTS:
        raise receiver_fault(
            "Action", "MaxPullPointsReached", reason="too many pull point subscriptions"
        )
    key = str(next(_ids))
    point = events.pullpoints[key] = PullPoint(_termination(req, now))
    address = f"http://{cam.host}:{cam.http_port}{PULLPOINT_PREFIX}{key}"
    return (
        f'<tev:CreatePullPointSubscriptionResponse xmlns:wsnt="{_NS_WSNT}" xmlns:wsa5="{_NS_WSA}">'
        f"<tev:SubscriptionReference><wsa5:Address>{x(address)}</wsa5:Address>"
        f"</tev:SubscriptionReference><wsnt:CurrentTime>{_stamp(now)}</wsnt:CurrentTime>"
        f"<wsnt:TerminationTime>{_stamp(point.terminates)}</wsnt:TerminationTime>"
        "</tev:CreatePullPointSubscriptionResponse>"
    )


def _point(events: EventSource, key: str, cam: CameraState) -> PullPoint:
    point = events.pullpoints.get(key)
    if point is None or point.terminates <= cam.now():
        events.pullpoints.pop(key, None)
        raise receiver_fault(
            "InvalidArgVal", "ResourceUnknown", reason=f"no pull point subscription {key}"
        )
    return point


def _message(topic: str, state: bool, operation: str, now: datetime) -> str:
    return (
        f'<wsnt:NotificationMessage><wsnt:Topic Dialect="{_DIALECT}">{topic}</wsnt:Topic>'
        f'<wsnt:Message><tt:Message UtcTime="{_stamp(now)}" PropertyOperation="{operation}">'
        f'<tt:Source><tt:SimpleItem Name="Source" Value="{VIDEO_SOURCE_TOKEN}"/></tt:Source>'
        f'<tt:Data><tt:SimpleItem Name="State" Value="{"true" if state else "false"}"/>'
        "</tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>"
    )


def pull_messages(events: EventSource, key: str, cam: CameraState, req: etree._Element) -> str:
    point = _point(events, key, cam)
    now = cam.now()
    limit = int(text(req, "MessageLimit") or "100")
    messages: list[str] = []
    for topic, state in events.states().items():
        if point.seen.get(topic) != state and len(messages) < limit:
            operation = "Initialized" if topic not in point.seen else "Changed"
            messages.append(_message(topic, state, operation, now))
            point.seen[topic] = state
    return (
        f'<tev:PullMessagesResponse xmlns:wsnt="{_NS_WSNT}" xmlns:tns1="{_NS_TNS1}">'
        f"<tev:CurrentTime>{_stamp(now)}</tev:CurrentTime><tev:TerminationTime>"
        f"{_stamp(point.terminates)}</tev:TerminationTime>{''.join(messages)}"
        "</tev:PullMessagesResponse>"
    )


def renew(events: EventSource, key: str, cam: CameraState, req: etree._Element) -> str:
    point = _point(events, key, cam)
    now = cam.now()
    point.terminates = _termination(req, now)
    return (
        f'<wsnt:RenewResponse xmlns:wsnt="{_NS_WSNT}"><wsnt:TerminationTime>'
        f"{_stamp(point.terminates)}</wsnt:TerminationTime><wsnt:CurrentTime>{_stamp(now)}"
        "</wsnt:CurrentTime></wsnt:RenewResponse>"
    )


def unsubscribe(events: EventSource, key: str, cam: CameraState, _req: etree._Element) -> str:
    _point(events, key, cam)
    del events.pullpoints[key]
    return f'<wsnt:UnsubscribeResponse xmlns:wsnt="{_NS_WSNT}"/>'


def event_operations(events: EventSource) -> Operations:
    """The event service's own operations (at /onvif/event_service)."""

    def create(cam: CameraState, req: etree._Element) -> str:
        return create_pull_point(events, cam, req)

    def capabilities(_cam: CameraState, _req: etree._Element) -> str:
        return (
            "<tev:GetServiceCapabilitiesResponse><tev:Capabilities WSSubscriptionPolicySupport="
            '"false" WSPausableSubscriptionManagerInterfaceSupport="false"'
            f' MaxPullPoints="{MAX_PULLPOINTS}"/></tev:GetServiceCapabilitiesResponse>'
        )

    return {
        "GetServiceCapabilities": ("User", capabilities),
        "CreatePullPointSubscription": ("User", create),
    }


def pullpoint_operations(events: EventSource, key: str) -> Operations:
    """The operations at one pull point's address."""
    return {
        "PullMessages": ("User", lambda cam, req: pull_messages(events, key, cam, req)),
        "Renew": ("User", lambda cam, req: renew(events, key, cam, req)),
        "Unsubscribe": ("User", lambda cam, req: unsubscribe(events, key, cam, req)),
    }
