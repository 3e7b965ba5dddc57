"""The subset of WVP-PRO's REST API an auditor uses, with its shapes and its login.

From WVP-PRO (648540858/wvp-GB28181-pro, commit 768d74094):

    GET /api/user/login?username=&password=<md5>      → data.accessToken (UserController)
    GET /api/device/query/devices?page=&count=         → PageInfo<Device> (DeviceQuery.java)
    GET /api/device/query/devices/{deviceId}           → Device, or null when unknown
    GET /api/device/query/devices/{deviceId}/channels  → PageInfo<DeviceChannel>
    GET /api/device/query/devices/{deviceId}/sync      → query the Catalog again
    GET /api/play/start/{deviceId}/{channelId}         → StreamContent (PlayController.java)
    GET /api/play/stop/{deviceId}/{channelId}          → BYE
    GET /api/alarm/all?page=&count=&deviceId=&startTime=&endTime=
                                                       → PageInfo<DeviceAlarm> (AlarmController
                                                         .java; times yyyy-MM-dd HH:mm:ss)

Every answer is wrapped as WVP's GlobalResponseAdvice wraps it: {"code": 0, "msg": "成功",
"data": ...}; a request without a valid `access-token` header gets code 401 "请登录后重新请求"
(ErrorCode.ERROR401). The password is sent as its MD5, as WVP's web client sends it.

Lab-only additions, absent from WVP: each alarm's `receivedAtMs` (see platform.py); and
GET /lab/api/refusals/{deviceId}, the REGISTERs the platform refused (status, reason, the
server ID and domain the device asked for), standing in for what an integrator reads off the
device's own SIP status page.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from provision.lab.http import Request, Response

PLAY_WAIT_S = 10.0


class PlayError(Exception):
    """An INVITE that did not yield a stream; the message says what the device answered."""


def ok(data: Any) -> Response:
    return Response.json({"code": 0, "msg": "成功", "data": data})


def error(code: int, msg: str) -> Response:
    return Response.json({"code": code, "msg": msg, "data": None})


def page(items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    """pagehelper's PageInfo, the shape WVP's list endpoints return."""
    number = max(int(query.get("page", "1") or 1), 1)
    size = max(int(query.get("count", "15") or 15), 1)
    chunk = items[(number - 1) * size : number * size]
    return {
        "total": len(items),
        "list": chunk,
        "pageNum": number,
        "pageSize": size,
        "size": len(chunk),
        "pages": (len(items) + size - 1) // size,
    }


class WvpApi:
    def __init__(self, platform: Any, password: str) -> None:
        self.platform = platform  # a Gb28181Platform (it imports this module, not back)
        self.username = "admin"
        self._password_md5 = hashlib.md5(password.encode()).hexdigest()  # WVP stores MD5
        self._tokens: set[str] = set()

    async def handle(self, req: Request) -> Response:
        parts = [p for p in req.path.split("/") if p]
        if parts[:3] == ["api", "user", "login"]:
            return self._login(req)
        if req.headers.get("access-token") not in self._tokens:
            return error(401, "请登录后重新请求")
        if parts[:4] == ["api", "device", "query", "devices"]:
            return await self._devices(parts[4:], req.query)
        if parts[:2] == ["api", "play"] and len(parts) == 5:
            return await self._play(parts[2], parts[3], parts[4])
        if parts == ["api", "alarm", "all"]:
            return self._alarms(req.query)
        if parts[:3] == ["lab", "api", "refusals"] and len(parts) == 4:
            return ok(self.platform.refusals.get(parts[3], []))
        return error(404, "资源未找到")

    def _alarms(self, query: dict[str, str]) -> Response:
        """The platform's alarm records, newest first, filtered as WVP filters them: by
        device, and by alarm time from startTime to endTime (inclusive)."""
        if "page" not in query or "count" not in query:
            return error(400, "page and count are required")
        start, end = query.get("startTime") or "", query.get("endTime") or ""
        chosen = [
            a
            for a in reversed(self.platform.alarms)
            if query.get("deviceId") in (None, "", a["deviceId"])
            and (not start or a["alarmTime"] >= start)
            and (not end or a["alarmTime"] <= end)
        ]
        return ok(page(chosen, query))

    def _login(self, req: Request) -> Response:
        user, password = req.query.get("username", ""), req.query.get("password", "")
        good = secrets.compare_digest(password.lower(), self._password_md5)
        if user != self.username or not good or self.platform.faults.auth_failure:
            return error(-1, "用户名或密码错误")
        token = secrets.token_hex(16)
        self._tokens.add(token)
        return ok({"username": user, "accessToken": token, "serverId": self.platform.server_id})

    async def _devices(self, rest: list[str], query: dict[str, str]) -> Response:
        platform = self.platform
        if not rest:
            return ok(page([platform.device_view(d) for d in platform.devices], query))
        device_id = rest[0]
        if device_id not in platform.devices:
            return ok(None)
        if len(rest) == 1:
            return ok(platform.device_view(device_id))
        if rest[1] == "channels":
            reg = platform.devices[device_id]
            return ok(page([_channel(device_id, c) for c in reg.channels], query))
        if rest[1] == "sync":
            try:
                found = await platform.query_catalog(device_id)
            except Exception as exc:  # the device's failure is the answer's content
                return ok({"total": 0, "current": 0, "errorMsg": str(exc) or "timeout"})
            return ok({"total": len(found), "current": len(found), "errorMsg": None})
        return error(404, "资源未找到")

    async def _play(self, action: str, device_id: str, channel_id: str) -> Response:
        platform = self.platform
        if action == "stop":
            await platform.stop_play(device_id, channel_id)
            return ok(None)
        if action != "start":
            return error(404, "资源未找到")
        started = time.monotonic()
        try:
            session = await platform.play(device_id, channel_id)
        except PlayError as exc:
            return error(-1, f"点播失败: {exc}")
        got = await platform.wait_video(session, PLAY_WAIT_S)
        if got.info is None:
            await platform.stop_play(device_id, channel_id)
            return error(-1, "点播超时: no decodable video arrived")
        stream = f"{device_id}_{channel_id}"
        host = platform.host
        return ok(
            {
                "app": "rtp",
                "stream": stream,
                "ip": host,
                "rtsp": f"rtsp://{host}:554/rtp/{stream}",
                "mediaServerId": "lab",
                "startTime": time.strftime("%Y-%m-%d %H:%M:%S"),
                "mediaInfo": {
                    "app": "rtp",
                    "stream": stream,
                    "videoCodec": "H264",
                    "width": got.info.width,
                    "height": got.info.height,
                    "online": True,
                    "originTypeStr": "rtp_push",
                },
                "lab": {"firstVideoSeconds": round(time.monotonic() - started, 3)},
            }
        )


def _channel(device_id: str, channel: Any) -> dict[str, Any]:
    return {
        "deviceId": channel.device_id,
        "parentDeviceId": device_id,
        "name": channel.name,
        "manufacturer": channel.manufacturer,
        "civilCode": channel.civil_code,
        "parentId": channel.parent_id,
        "status": channel.status,
    }
