"""A camera's settings must be ones the protocol that configures it can carry.

ONVIF Media1's `tt:VideoEncoding` is JPEG | MPEG4 | H264: H.265 is set only through Media2
(ver20), so an ONVIF camera whose model the city lists without Media2 cannot be given H.265,
whatever its encoder could do. A model's encoder offers only the codecs its data sheet lists,
whichever protocol asks. A vendor API speaks only to its vendor's cameras: ISAPI is
Hikvision's, the `dahua` protocol Dahua's HTTP API. The ONVIF driver sets neither rate control
nor the sub stream, so an ONVIF camera cannot be given them. What the city does not declare (a model
missing from `camera_models`, a camera without a vendor) is not guessed at: a model's
abilities are also learnt at plan time, when the driver reads the camera.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from provision.diagnostics import Problem
from provision.i18n import _
from provision.inventory.loader import Inventory
from provision.inventory.model import Camera, City, YamlPath

CODE = "protocol-cannot-carry"
# The vendor whose cameras a vendor API configures; ONVIF is every vendor's.
VENDOR_OF_PROTOCOL = {"isapi": "hikvision", "dahua": "dahua"}
MEDIA1_CODECS = ("H.264",)  # H.265 travels only in Media2 (ONVIF Media2 Service, ver20)


def _value_path(data: Any, path: YamlPath, *keys: str) -> YamlPath:
    """Where the camera itself sets a value (e.g. video.codec), else the camera."""
    for part in path:
        data = data[part]
    for depth, key in enumerate(keys):
        if not isinstance(data, dict) or key not in data:
            return path if depth == 0 else (*path, *keys[:depth])
        data = data[key]
    return (*path, *keys)


def problems_of(city: City, camera: Camera) -> Iterator[tuple[tuple[str, ...], str]]:
    """(where on the camera, message) for each setting its protocol or model cannot take."""
    codec, listed = camera.video.codec, city.camera_models.get(camera.model)
    if listed is not None and codec not in listed.codecs:
        yield (
            ("video", "codec"),
            (
                _(
                    "camera {name!r} is a {model}, whose encoder offers {listed}, not {codec}"
                ).format(
                    name=camera.name,
                    model=camera.model,
                    listed=", ".join(listed.codecs),
                    codec=codec,
                )
            ),
        )
    elif (
        camera.protocol == "onvif"
        and codec not in MEDIA1_CODECS
        and listed is not None
        and not listed.onvif_media2
    ):
        yield (
            ("video", "codec"),
            (
                _(
                    "camera {name!r} is configured over ONVIF and its model {model} is "
                    "listed without Media2: ONVIF Media1 cannot set {codec} (only "
                    "{listed}); use the vendor's protocol or a Media2 model"
                ).format(
                    name=camera.name,
                    model=camera.model,
                    codec=codec,
                    listed=", ".join(MEDIA1_CODECS),
                )
            ),
        )
    if camera.protocol == "onvif":
        if camera.video.rate_control:
            yield (
                ("video", "rate_control"),
                (
                    _(
                        "camera {name!r} is configured over ONVIF, whose driver does not set "
                        "rate control (CBR/VBR); use the vendor's protocol or leave it unset"
                    ).format(name=camera.name)
                ),
            )
        if camera.sub_video is not None:
            yield (
                ("sub_video",),
                (
                    _(
                        "camera {name!r} is configured over ONVIF, whose driver does not set "
                        "the sub stream; use the vendor's protocol or leave sub_video unset"
                    ).format(name=camera.name)
                ),
            )
    vendor, wanted = city.camera_vendor(camera), VENDOR_OF_PROTOCOL.get(camera.protocol)
    if wanted and vendor and vendor != wanted:
        yield (
            ("protocol",),
            (
                _(
                    "camera {name!r} is a {vendor} camera; protocol {protocol!r} is "
                    "{wanted}'s API (use onvif or the {vendor} protocol)"
                ).format(name=camera.name, vendor=vendor, protocol=camera.protocol, wanted=wanted)
            ),
        )


def check(inv: Inventory) -> Iterator[Problem]:
    if inv.city is None:
        return
    for school in inv.city.schools:
        doc = inv.docs[school.id]
        for camera in school.cameras:
            for keys, message in problems_of(inv.city, camera):
                yield doc.problem(_value_path(doc.data, camera.path, *keys), message, CODE)
