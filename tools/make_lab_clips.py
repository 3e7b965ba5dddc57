"""Generate the lab cameras' shipped clips: one per (codec, resolution) a lab camera can encode.

Run once by hand when the resolutions or codecs change (needs ffmpeg with libx264/libx265;
Debian 12's ffmpeg 5.1 made the shipped ones):

    python tools/make_lab_clips.py

Why shipped clips and not encoding at lab start: the lab must start in a second with
thousands of cameras, and a camera's encoder changes at run time over ONVIF; encoding a 4K
clip takes seconds of CPU, and ffmpeg would become a lab dependency. Ten clips of ten frames
of a flat test card with one moving box weigh about 50 KiB in all. What a camera's encoder
says beyond codec and size is applied at serve time by provision/lab/media.py: the frame rate
(RTP timestamps, and the H.264 SPS timing rewritten; the H.265 clips carry no VUI timing, so a
player takes the rate from the timestamps) and the bitrate (filler NAL units).

Each clip: 10 frames at 10 fps, one keyframe at the start (the loop restarts on it), no
B-frames (decode order is display order, so RTP timestamps step one frame at a time),
parameter sets repeated in-band, one slice per frame.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from provision.lab.media import CLIP_DIR, CLIP_FPS, CLIP_FRAMES, clip_name  # noqa: E402
from provision.lab.onvif_state import RESOLUTIONS  # noqa: E402

SOURCE = (
    "smptehdbars=size={w}x{h}:rate={fps}:duration={seconds},"
    "drawbox=x='iw*t*0.9':y=ih*0.8:w=iw/10:h=ih/10:color=white:t=fill"
)
GOP = f"keyint={CLIP_FRAMES}:min-keyint={CLIP_FRAMES}:scenecut=0:repeat-headers=1"
ENCODERS = {
    "H264": [
        "-c:v",
        "libx264",
        "-profile:v",
        "main",
        "-bf",
        "0",
        "-x264-params",
        GOP,
        "-f",
        "h264",
    ],
    "H265": [
        "-c:v",
        "libx265",
        "-x265-params",
        f"{GOP}:bframes=0:vui-timing-info=0:log-level=error",
        "-f",
        "hevc",
    ],
}


def make(codec: str, width: int, height: int) -> Path:
    out = CLIP_DIR / clip_name(codec, width, height)
    source = SOURCE.format(
        w=width, h=height, fps=CLIP_FPS, seconds=CLIP_FRAMES / CLIP_FPS, frames=CLIP_FRAMES
    )
    command = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, "-pix_fmt", "yuv420p"]
    command += [*ENCODERS[codec], "-crf", "35", "-threads", "1", "-an", str(out)]
    subprocess.run(command, check=True)
    return out


def main() -> None:
    total = 0
    for codec in ENCODERS:
        for width, height in RESOLUTIONS:
            path = make(codec, width, height)
            total += path.stat().st_size
            print(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
