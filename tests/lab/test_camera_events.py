"""The camera's ONVIF event service: a pull point's life (create, pull, renew, unsubscribe) and
the faults of a gone subscription, over raw SOAP."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from test_camera_support import LabLoop, SoapClient, body_element, fault_codes

from provision.lab.camera import Camera

WSNT = "http://docs.oasis-open.org/wsn/b-2"


@pytest.fixture(scope="module")
def lab() -> Iterator[LabLoop]:
    loop = LabLoop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def cam(lab: LabLoop) -> Iterator[Camera]:
    camera = lab.camera("eventcam")
    yield camera
    lab.run(camera.stop())


def test_pull_point_lifecycle(cam: Camera) -> None:
    soap = SoapClient(cam)
    created = body_element(
        soap.post(
            "/onvif/event_service",
            '<tev:CreatePullPointSubscription xmlns:tev="http://www.onvif.org/ver10/events/wsdl">'
            "<tev:InitialTerminationTime>PT30S</tev:InitialTerminationTime>"
            "</tev:CreatePullPointSubscription>",
        )
    )
    address = created.findtext("{*}SubscriptionReference/{*}Address")
    assert address is not None and created.findtext(f"{{{WSNT}}}TerminationTime")
    path = urlsplit(address).path
    pull = (
        '<tev:PullMessages xmlns:tev="http://www.onvif.org/ver10/events/wsdl"><tev:Timeout>PT1S'
        "</tev:Timeout><tev:MessageLimit>10</tev:MessageLimit></tev:PullMessages>"
    )
    first = body_element(soap.post(path, pull))
    assert len(first.findall(f"{{{WSNT}}}NotificationMessage")) == 2  # tamper and motion
    renewed = body_element(
        soap.post(
            path,
            f'<wsnt:Renew xmlns:wsnt="{WSNT}"><wsnt:TerminationTime>PT60S'
            "</wsnt:TerminationTime></wsnt:Renew>",
        )
    )
    assert renewed.tag == f"{{{WSNT}}}RenewResponse"
    gone = body_element(soap.post(path, f'<wsnt:Unsubscribe xmlns:wsnt="{WSNT}"/>'))
    assert gone.tag == f"{{{WSNT}}}UnsubscribeResponse"
    assert fault_codes(body_element(soap.post(path, pull)))[-1] == "ter:ResourceUnknown"
    unauthenticated = SoapClient(cam, user=None)
    assert fault_codes(body_element(unauthenticated.post(path, pull)))[1] == "ter:NotAuthorized"
