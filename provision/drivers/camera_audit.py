"""What verify asks a camera beyond its settings: who it is, and whether it can see.

A camera can answer ONVIF, hold every planned setting and still watch nothing: the lens
covered, sprayed or turned to a wall. Its snapshot tells: a blinded camera returns a uniform
or near-uniform picture, so the spread of grey levels is a cheap, robust test.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlsplit

from PIL import Image, ImageStat

from provision.drivers.connect import Connector
from provision.drivers.device_http import DeviceHttp
from provision.drivers.http import HttpError, endpoint
from provision.drivers.onvif_client import OnvifSession
from provision.drivers.onvif_wsdl import child, text
from provision.errors import DeviceError
from provision.i18n import _

# Grey-level standard deviation below which a picture counts as uniform. A real scene, even
# a dark corridor at night, spreads well above 5; a covered lens or a blank wall stays near 0.
UNIFORM_STDDEV = 4.0


def identity(session: OnvifSession) -> dict[str, Any]:
    info = session.device("GetDeviceInformation")
    return {
        "manufacturer": text(info, "Manufacturer"),
        "model": text(info, "Model"),
        "firmware": text(info, "FirmwareVersion"),
        "serial": text(info, "SerialNumber"),
    }


def snapshot(
    session: OnvifSession, profile_token: str, connector: Connector, username: str, password: str
) -> dict[str, Any]:
    """Fetch the profile's snapshot and judge it: {"uniform", "stddev", "width", "height"}."""
    answer = session.media("GetSnapshotUri", ProfileToken=profile_token)
    media_uri = child(answer, "MediaUri")
    uri = text(media_uri, "Uri") if media_uri is not None else None
    if not uri:
        raise DeviceError(_("{label}: GetSnapshotUri gave no URI").format(label=session.label))
    url = urlsplit(uri)
    scheme = url.scheme or "http"
    port = url.port or (443 if scheme == "https" else 80)
    base = endpoint(connector, url.hostname or "", port, scheme)
    # ONVIF leaves the snapshot URI's auth to the camera: Digest when it offers it, else Basic.
    http = DeviceHttp(
        session.label,
        base,
        timeout=connector.timeout,
        username=username,
        password=password,
        basic=True,
    )
    try:
        path = url.path + (f"?{url.query}" if url.query else "")
        reply = http.request("GET", path or "/", "snapshot")
    except HttpError as exc:
        raise DeviceError(str(exc)) from None
    finally:
        http.close()
    if reply.status != 200:
        raise DeviceError(
            _("{label}: snapshot HTTP {status_code}").format(
                label=session.label, status_code=reply.status
            )
        )
    return judge_snapshot(session.label, reply.body)


def judge_snapshot(label: str, content: bytes) -> dict[str, Any]:
    """A snapshot's verdict, whichever protocol fetched it: {"uniform", "stddev", "width",
    "height"}."""
    try:
        image = Image.open(io.BytesIO(content)).convert("L")
    except OSError as exc:
        raise DeviceError(
            _("{label}: snapshot is not an image: {error}").format(label=label, error=exc)
        ) from exc
    stddev = float(ImageStat.Stat(image).stddev[0])
    return {
        "uniform": stddev < UNIFORM_STDDEV,
        "stddev": round(stddev, 2),
        "width": image.width,
        "height": image.height,
    }
