"""The LED message board at a school gate, simulated: a Basic-auth JSON API over its messages.

The board is a GB2312 dot matrix 16 dots high. A hanzi, a fullwidth character or an
ambiguous-width one (“ ” … — ·) takes a 16×16 cell, a Latin letter or digit half of one
(8×16), so how much text fits depends on the script, not on len(). `provision.sizing.
display_width` is that rule, shared with the provisioning validator so a message is refused
before anyone drives to the school, not by the board on the day.
"""

from __future__ import annotations

import unicodedata
import zlib
from typing import Any

from provision.lab.faults import Faults
from provision.lab.http import HttpServer, Request, Response, basic_auth_error
from provision.sizing import display_width

MAX_MESSAGES = 32
# Control characters (Cc: newline, tab, escape...), lone surrogates and line/paragraph
# separators have no glyph on a dot matrix; line breaks are the board's job, not the text's.
UNDISPLAYABLE = frozenset({"Cc", "Cs", "Zl", "Zp"})


def message_problem(text: Any, capacity: float) -> str | None:
    """Why the board would refuse `text`, or None when it fits."""
    if not isinstance(text, str):
        return "a message is a string"
    for position, ch in enumerate(text):
        if unicodedata.category(ch) in UNDISPLAYABLE:
            return f"control character U+{ord(ch):04X} at position {position}"
    width = display_width(text)
    if width > capacity:
        return f"display width {width:g} exceeds the board's {capacity:g} cells"
    return None


class LedBoard:
    def __init__(
        self,
        name: str,
        host: str,
        *,
        faults: Faults,
        api_port: int = 8080,
        lines: int = 2,
        chars_per_line: int = 16,
        username: str = "admin",
        password: str = "admin",
    ) -> None:
        self.name, self.host, self.faults = name, host, faults
        self.lines, self.chars_per_line = lines, chars_per_line
        self.username, self.password = username, password
        self.messages: list[str] = ["WELCOME"]  # factory text
        self.api = HttpServer(host, api_port, self._handle_api, faults)

    @property
    def capacity(self) -> float:
        """Full cells on the whole board: a message may run over every line."""
        return float(self.lines * self.chars_per_line)

    async def start(self) -> None:
        if not (self.faults.refuse or self.faults.dead):
            await self.api.start()

    async def stop(self) -> None:
        await self.api.stop()

    async def sync_faults(self) -> None:
        await self.api.sync_faults()

    def endpoints(self) -> dict[str, int]:
        return {"http": self.api.port}

    def state(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "host": self.host,
            "endpoints": self.endpoints(),
            **self._messages_body(),
            "faults": self.faults.active(),
        }

    def info(self) -> dict[str, str]:
        return {
            "model": f"LB-{self.lines}x{self.chars_per_line}-CN",
            "serial": f"LB{zlib.crc32(self.name.encode()):08X}",
            "firmware": "3.1.0",
        }

    def _messages_body(self) -> dict[str, Any]:
        size = {"lines": self.lines, "chars_per_line": self.chars_per_line}
        return {"size": size, "messages": list(self.messages)}

    async def _handle_api(self, req: Request) -> Response:
        denied = basic_auth_error(req, self.username, self.password, self.faults)
        if denied is not None:
            return denied
        route = (req.method, req.path.rstrip("/"))
        if route == ("GET", "/api/messages"):
            return Response.json(self._messages_body())
        if route == ("PUT", "/api/messages"):
            return self._replace_messages(req)
        if route == ("GET", "/api/info"):
            return Response.json(self.info())
        return Response.json({"error": f"no such endpoint {req.method} {req.path}"}, 404)

    def _replace_messages(self, req: Request) -> Response:
        try:
            body = req.json()
        except ValueError as exc:
            return Response.json({"error": f"body is not JSON: {exc}"}, 400)
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list):
            return Response.json({"error": 'expected {"messages": [...]}'}, 400)
        if len(messages) > MAX_MESSAGES:
            return Response.json({"error": f"at most {MAX_MESSAGES} messages"}, 400)
        for index, text in enumerate(messages):
            problem = message_problem(text, self.capacity)
            if problem is not None:
                return Response.json({"error": problem, "index": index}, 400)
        self.messages = list(messages)
        return Response.json(self._messages_body())
