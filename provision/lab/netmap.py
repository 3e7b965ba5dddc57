"""Where inventory addresses live in the lab: 10.b.c.d becomes 127.b.c.d.

The lab runs every device on its own loopback address derived from its inventory address,
so the same inventory drives the lab unchanged. Devices inside the lab that open connections
themselves (an alarm panel reaching its receiver, the precinct platform pulling a camera)
are configured with inventory addresses, exactly as in the field; `translate` is the lab's
"network", routing those to the simulated peers. Outside a lab it is the identity.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

# Inventory ports that cannot be bound without root are moved to these in the lab.
LAB_PORTS = {80: 8000, 554: 8554, 22: 2222, 443: 8443}

_translate: Callable[[str, int], tuple[str, int]] | None = None


def lab_address(host: str) -> str:
    """The loopback address a device with inventory address `host` gets in the lab."""
    ip = ipaddress.IPv4Address(host)
    if ip.is_loopback:
        return host
    _, b, c, d = ip.packed
    return f"127.{b}.{c}.{d or 1}"


def lab_port(port: int) -> int:
    """The lab port for an inventory port. PROVISION_LAB_PORT_OFFSET shifts every port, so two
    labs of the same inventory (two engineers, two test runs) can share one machine."""
    return LAB_PORTS.get(port, port) + int(os.environ.get("PROVISION_LAB_PORT_OFFSET") or 0)


def install(mapping: Callable[[str, int], tuple[str, int]] | None) -> None:
    """Set the lab's routing for connections devices open themselves (None: identity)."""
    global _translate
    _translate = mapping


def translate(host: str, port: int) -> tuple[str, int]:
    return _translate(host, port) if _translate else (host, port)


def translate_url(url: str) -> str:
    """An rtsp:// or http:// URL with its host and port routed like `translate`."""
    if _translate is None:
        return url
    parts = urlsplit(url)
    if not parts.hostname:
        return url
    default = 554 if parts.scheme == "rtsp" else 80
    host, port = _translate(parts.hostname, parts.port or default)
    auth = parts.netloc.rpartition("@")[0]
    netloc = f"{auth}@{host}:{port}" if auth else f"{host}:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def lab_route(host: str, port: int) -> tuple[str, int]:
    """The standard lab mapping: inventory address and port → lab address and port."""
    try:
        if ipaddress.IPv4Address(host).is_loopback:
            return host, port  # already a lab address (e.g. a URI a lab device handed out)
        return lab_address(host), lab_port(port)
    except ValueError:  # a DNS name: leave it
        return host, port
