"""Whether a lab NVR's input channels reach their cameras: an RTSP probe per channel.

A real NVR keeps every channel's main stream playing and shows, per channel, whether it is
online and why not (`GET /ISAPI/ContentMgmt/InputProxy/channels/status`: an
`InputProxyChannelStatusList` of `InputProxyChannelStatus` with `id`, the
`sourceInputPortDescriptor`, `online` true | false and `chanDetectResult`; "connect" for a
channel that streams, "offline" for a camera that does not answer, "errorUserNameOrPasswd"
when the camera refuses the channel's account, as Hikvision NVRs answer it in integrators'
field notes and the clients that parse it, e.g. hikvision_client on hex.pm).

The lab keeps it cheap: no continuous media. A channel is probed with one RTSP DESCRIBE
(RFC 2326 10.2) of the camera's main stream, with the channel's account answering the
camera's Digest challenge, when the channels' status is read (so it answers as a real NVR
that streams all along would: as the cameras are now), and every `EVERY_S` in the background
so a camera that goes away is noticed while nobody looks. The camera is dialled at its
inventory address through the lab's network (`netmap.translate`), as the precinct platform
dials it. The main stream's path is the one the camera's own API gives (a real NVR asks ONVIF
GetStreamUri; the lab is told it: IsapiNvr's `stream_paths`).

A status read waits `PROBE_TIMEOUT_S` for its probes. A camera that refuses the connection or
the channel's account is offline at once; one that has not answered yet keeps the state it
had while its probe goes on, up to `SILENT_AFTER_S`, and only then is offline. So does a real
NVR: a refused stream shows at once, a silent one only after the recorder's own RTP timeout;
a lab probe cut at one second would call a healthy camera offline whenever the lab's loop or
the machine is busy.

From the moment a probe fails the channel records nothing (nvr_state.NvrState.link_lost):
its recordings get a gap from then on, closed when a later probe succeeds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from provision.lab import netmap
from provision.protocols.rtsp import RtspError, describe

CONNECT, OFFLINE, BAD_LOGIN = "connect", "offline", "errorUserNameOrPasswd"
RTSP_PORT = 554
DEFAULT_PATH = "/Streaming/Channels/101"  # Hikvision's main stream, which ONVIF cameras here share
PROBE_TIMEOUT_S = 1.0  # a status read waits at most this for its probes (verify's reads allow 2 s)
SILENT_AFTER_S = 5.0  # lab choice, within the 5-10 s RTP/RTSP timeouts recorders use
EVERY_S = 60.0  # lab choice: a real NVR retries an offline channel about every minute


@dataclass(slots=True)
class Link:
    """A channel's last probe: online or why not, and when that began."""

    online: bool = True
    detect: str = CONNECT
    since: float = 0.0
    checked: float = float("-inf")  # loop time of the last probe


def probe_url(address: str, path: str, username: str, password: str) -> str:
    host, port = netmap.translate(address, RTSP_PORT)
    userinfo = f"{quote(username, safe='')}:{quote(password, safe='')}"
    return f"rtsp://{userinfo}@{host}:{port}{path}"


async def probe(url: str, timeout: float = PROBE_TIMEOUT_S) -> str:
    """CONNECT when the camera describes its stream to this account, BAD_LOGIN when it
    refuses the account (401 after our Digest answer), OFFLINE otherwise."""
    try:
        await describe(url, timeout=timeout)
    except RtspError as exc:
        return BAD_LOGIN if exc.status == 401 else OFFLINE
    except (OSError, TimeoutError):
        return OFFLINE
    return CONNECT


async def probe_all(
    urls: dict[int, str], late: Callable[[int, str], None]
) -> tuple[dict[int, str], set[asyncio.Task[str]]]:
    """channel id → what its probe found within PROBE_TIMEOUT_S, all at once; each probe
    still waiting then goes on (to SILENT_AFTER_S) and gives its answer to `late(id, found)`.
    Also the probes still going, for the caller to cancel when it stops."""
    tasks = {cid: asyncio.ensure_future(probe(u, SILENT_AFTER_S)) for cid, u in urls.items()}
    if tasks:
        await asyncio.wait(tasks.values(), timeout=PROBE_TIMEOUT_S)
    found = {cid: t.result() for cid, t in tasks.items() if t.done()}
    going = set()
    for cid, task in tasks.items():
        if not task.done():
            task.add_done_callback(_answer_to(late, cid))
            going.add(task)
    return found, going


def _answer_to(late: Callable[[int, str], None], cid: int) -> Callable[[asyncio.Task[str]], None]:
    def done(task: asyncio.Task[str]) -> None:
        if not task.cancelled():  # cancelled: the NVR stopped
            late(cid, task.result())

    return done
