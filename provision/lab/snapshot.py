"""JPEG snapshots for simulated cameras: one shared test pattern and one shared grey frame.

Every camera serves the same two images, made once per process on first use: a per-camera
picture would cost thousands of encodes and megabytes for no test value. The test pattern is
deliberately busy (colour bars over a gradient) so "is the picture uniform?" checks — how an
audit spots a covered or obstructed lens — tell it apart from the grey frame.
"""

from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageDraw

SNAPSHOT_SIZE = (320, 180)
# SMPTE-like bar colours: white, yellow, cyan, green, magenta, red, blue.
_BARS = (
    (235, 235, 235),
    (235, 235, 16),
    (16, 235, 235),
    (16, 235, 16),
    (235, 16, 235),
    (235, 16, 16),
    (16, 16, 235),
)
OBSTRUCTED_GREY = 128


def _encode(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


@cache
def colour_bars_jpeg() -> bytes:
    """Colour bars on the top two thirds, a black-to-white ramp below."""
    width, height = SNAPSHOT_SIZE
    image = Image.new("RGB", SNAPSHOT_SIZE)
    draw = ImageDraw.Draw(image)
    bar_w = width / len(_BARS)
    split = height * 2 // 3
    for i, colour in enumerate(_BARS):
        draw.rectangle((round(i * bar_w), 0, round((i + 1) * bar_w) - 1, split - 1), fill=colour)
    for col in range(width):
        level = col * 255 // (width - 1)
        draw.line((col, split, col, height - 1), fill=(level, level, level))
    draw.text((8, split + 4), "PROVISION LAB", fill=(255, 0, 0))
    return _encode(image)


@cache
def obstructed_jpeg() -> bytes:
    """A uniform grey frame, as from a covered or sprayed lens."""
    grey = (OBSTRUCTED_GREY,) * 3
    return _encode(Image.new("RGB", SNAPSHOT_SIZE, grey))


def snapshot_jpeg(obstructed: bool) -> bytes:
    return obstructed_jpeg() if obstructed else colour_bars_jpeg()
