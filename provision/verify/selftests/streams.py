"""The streams self-test: every forwarded feed is online at the precinct and really plays.

The platform's own API must list the stream as online, and its re-served RTSP URL must answer
DESCRIBE with a valid SDP and deliver RTP packets, measured with our RTSP client.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from provision.drivers.connect import Connector
from provision.i18n import _
from provision.inventory.model import City, School
from provision.protocols.rtsp import probe
from provision.templates import stream_name
from provision.verify.contract import Check, CheckContext
from provision.verify.model import FAIL, PASS, CheckResult, Finding

PROBE_PACKETS = 10
# Platforms keep API-made proxies in memory: a proxy that apply made and that is gone now was
# most likely lost in a restart, and the next apply restores it.
MISSING = "proxy missing (platform restarted?): apply restores it"
_USERINFO = re.compile(r"(rtsps?://)[^/@\s]*@")  # a player's error may quote the source URL


def _online(
    city: City, school: School, connector: Connector, session: requests.Session, name: str
) -> tuple[bool, str]:
    """Ask the platform whether it has the stream live (ZLMediaKit or MediaMTX API)."""
    vp = city.precincts[school.precinct].video_platform
    url = urlsplit(vp.api)
    host, port = connector.address(url.hostname or "", url.port or 80)
    base = f"{url.scheme}://{host}:{port}"
    if vp.kind == "zlmediakit":
        params = {
            "secret": connector.secret(vp.secret),
            "schema": "rtsp",
            "vhost": "__defaultVhost__",
            "app": vp.app,
            "stream": name,
        }
        # The secret goes in a form body, never in a URL that logs and errors would quote.
        reply = session.post(
            f"{base}/index/api/getMediaList", data=params, timeout=connector.timeout
        )
        data = reply.json()
        if data.get("code") != 0:
            return False, _("platform answered code {code}: {msg}").format(
                code=data.get("code"), msg=data.get("msg")
            )
        if data.get("data"):
            return True, ""
        key = f"__defaultVhost__/{vp.app}/{name}"
        proxies = session.post(
            f"{base}/index/api/listStreamProxy",
            data={"secret": params["secret"], "key": key},
            timeout=connector.timeout,
        ).json()
        if not proxies.get("data"):
            return False, MISSING
        status = _USERINFO.sub(r"\1", str(proxies["data"][0].get("status_str", "not playing")))
        return False, _("proxy registered but not pulling the camera ({status})").format(
            status=status
        )
    reply = session.get(
        f"{base}/v3/paths/get/{quote(f'{vp.app}/{name}', safe='/')}", timeout=connector.timeout
    )
    if reply.status_code == 404:
        return False, MISSING
    ready = bool(reply.json().get("ready"))
    return ready, "" if ready else "path exists but is not ready (source not pulled)"


def _relay_url(city: City, school: School, connector: Connector, name: str) -> str:
    vp = city.precincts[school.precinct].video_platform
    rtsp = vp.rtsp or f"{urlsplit(vp.api).hostname}:554"
    host, _colon, port = rtsp.rpartition(":")
    host, lab_port = connector.address(host, int(port))
    return f"rtsp://{host}:{lab_port}/{vp.app}/{name}"


def _one(
    city: City,
    school: School,
    connector: Connector,
    session: requests.Session,
    camera: str,
    name: str,
) -> tuple[Finding, dict[str, Any]]:
    info: dict[str, Any] = {
        "camera": camera,
        "online": False,
        "url": None,
        "packets": 0,
        "first_packet_ms": None,
        "error": None,
    }
    try:
        try:
            online, why = _online(city, school, connector, session, name)
        except (requests.ConnectionError, requests.Timeout) as exc:
            api = urlsplit(city.precincts[school.precinct].video_platform.api).netloc
            why = "connection refused" if "refused" in str(exc) else "no answer in time"
            info["error"] = _("the platform API does not answer at {api}: {why}").format(
                api=api, why=why
            )
            return Finding(name, FAIL, info["error"], info), info
        info["online"] = online
        if not online:
            info["error"] = why
            return Finding(
                name, FAIL, _("not online at the precinct: {why}").format(why=why), info
            ), info
        url = info["url"] = _relay_url(city, school, connector, name)
        result = asyncio.run(probe(url, packets=PROBE_PACKETS, timeout=connector.timeout))
        info["packets"] = result.packets
        latency = result.first_packet_latency_s
        info["first_packet_ms"] = round(latency * 1000, 1) if latency is not None else None
        codec = result.description.codec
        return Finding(
            name,
            PASS,
            _("online; {codec} {packets} RTP packets from the precinct's relay").format(
                codec=codec, packets=result.packets
            ),
            info,
        ), info
    except Exception as exc:  # one stream's failure is its finding
        info["error"] = str(exc) or type(exc).__name__
        return Finding(
            name, FAIL, _("relay does not play: {error}").format(error=info["error"]), info
        ), info


def check(ctx: CheckContext) -> CheckResult:
    school, city, connector = ctx.school, ctx.city, ctx.connector
    forwarded = [c for c in school.cameras if c.forward]
    if city.precincts[school.precinct].video_platform.kind == "gb28181":
        # The cameras register with the platform themselves: the gb28181 check proves it.
        return CheckResult.of("streams", [], _("forwarded over GB/T 28181: see the gb28181 check"))
    # One keep-alive session per school to its precinct's platform API, not one per feed.
    with requests.Session() as session:
        session.trust_env = False  # device traffic never goes through an environment proxy
        session.verify = connector.verify
        results = [
            _one(city, school, connector, session, c.name, stream_name(school, c))
            for c in forwarded
        ]
    findings = [f for f, _ in results]
    streams = {f.subject: info for f, info in results}
    live = sum(f.verdict == PASS for f in findings)
    return CheckResult.of(
        "streams",
        findings,
        _("{live}/{total} forwarded feeds play at the precinct").format(
            live=live, total=len(forwarded)
        ),
        {"streams": streams},
    )


CHECK = Check("streams", check)
