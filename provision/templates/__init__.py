"""Jinja2 templates per device kind and platform, rendered safely and reproducibly.

Templates live in `templates/<kind>/<platform>.j2`; cameras have none: their settings are
computed once, in `camera_settings`, and printed as they are. StrictUndefined makes a missing
variable an error naming it (as cookiecutter does). Every value written into a device command line
passes `cli_value`: a newline, control character or CLI separator in it would let inventory
text become a second command, so such a value is refused, never rendered. Text for people
(OSD, LED messages) passes `text_value`, also inside `tojson`. The schemas refuse the same
values at validate time; these refusals hold for a model that never went through them.

A city's own LED templates come from the inventory, so they are inventory text too: they
run sandboxed, may only read the school's facts (no calls, no `set`, no macros, one loop),
and their output is cut off past the longest text a board could show.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import htmlsafe_json_dumps

from provision.errors import TemplateError
from provision.inventory.model import Camera, City, LedBoard, School, Switch
from provision.templates.gb28181_settings import sip_server

CLI_SAFE = re.compile(r"[A-Za-z0-9._:/,-]*")
# Controls (C0, DEL, C1), line and paragraph separators, bidi overrides and isolates.
TEXT_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
CLI_MAX = 128  # one word of a command: a sysname is two 63-character identifiers
TEXT_MAX = 2048  # the largest board shows 16 lines of 128 cells
# A fixed instant, so the rendered UTC offset never depends on the day we render.
_OFFSET_AT = datetime(2026, 1, 15, 12, 0)
# What a city LED template may use: facts, tests and filters that do not multiply text.
CITY_TEMPLATE_FILTERS = {
    *("default", "d", "join", "upper", "lower", "title", "capitalize", "trim", "length"),
    *("count", "first", "last", "int", "float", "round", "abs", "string", "list", "sort"),
    *("unique", "min", "max", "sum", "reverse"),
}
# Calls (methods, macros, lipsum, range), `set` (a = a ~ a doubles per line), 'x' * 10**9,
# '%999999999s' % x, and other files: unbounded work or reach beyond the school's facts.
CITY_TEMPLATE_FORBIDDEN = (
    *(nodes.Call, nodes.Macro, nodes.CallBlock, nodes.Assign, nodes.AssignBlock),
    *(nodes.Mul, nodes.Pow, nodes.Mod, nodes.Import, nodes.FromImport, nodes.Include),
    nodes.Extends,
)


def _short(text: str) -> str:
    return repr(text) if len(text) <= 60 else repr(text[:57]) + "..."


def cli_value(value: Any) -> str:
    """Finalize hook for CLI templates: refuse anything that could split a command."""
    if isinstance(value, bool) or value is None:
        raise TemplateError(f"refusing to render {value!r} into a device command")
    text = str(value)
    if not CLI_SAFE.fullmatch(text):
        bad = next(ch for ch in text if not CLI_SAFE.fullmatch(ch))
        raise TemplateError(
            f"refusing to render {_short(text)} into a device command: character {bad!r} is "
            "not allowed (only letters, digits and . _ : / , -)"
        )
    if len(text) > CLI_MAX:
        raise TemplateError(
            f"refusing to render {_short(text)} into a device command: {len(text)} characters, "
            f"at most {CLI_MAX}"
        )
    return text


def text_value(value: Any) -> str:
    """Finalize hook for text templates: no control characters, line breaks or bidi
    overrides (text reaches OSDs and boards as one line), and no more than a board shows."""
    text = "" if value is None else str(value)
    if bad := TEXT_UNSAFE.search(text):
        raise TemplateError(
            f"refusing to render {_short(text)}: it contains the control character {bad.group()!r}"
        )
    if len(text) > TEXT_MAX:
        raise TemplateError(
            f"refusing to render {len(text)} characters of text; at most {TEXT_MAX}"
        )
    return text


def safe_tojson(value: Any) -> str:
    """`tojson` that refuses what `text_value` refuses in any string of `value`: JSON would
    escape a newline in an OSD, but the camera would still receive it."""

    def checked(item: Any) -> Any:
        if isinstance(item, str):
            return text_value(item)
        if isinstance(item, dict):
            return {checked(k): checked(v) for k, v in item.items()}
        return [checked(v) for v in item] if isinstance(item, list | tuple) else item

    return str(htmlsafe_json_dumps(checked(value), sort_keys=True))


@cache
def _env(cli: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("provision", "templates"),
        undefined=jinja2.StrictUndefined,
        finalize=cli_value if cli else text_value,
        keep_trailing_newline=True,
        autoescape=False,
        trim_blocks=False,
    )
    env.filters["tojson"] = safe_tojson
    return env


# What a city template may print: text and numbers. Anything else renders as a Python repr
# ("<built-in method format_map of str object at 0x7f...>", "[1, 2]"): bytes that differ
# between runs or mean nothing on a gate board.
_PRINTABLE = (str, int, float)


def _city_value(value: Any) -> str:
    """Finalize hook for city LED templates: `text_value`, for text and numbers only."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # raises: undefined names, and the sandbox's refusal of unsafe attributes
    if value is not None and not isinstance(value, _PRINTABLE):
        raise TemplateError(
            f"renders a {type(value).__name__} value, not text or a number "
            "(print a field, or join a list: {{ names | join('、') }})"
        )
    return text_value(value)


@cache
def _city_env() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, finalize=_city_value)
    env.globals.clear()  # range, lipsum, cycler, joiner, namespace
    return env


def _city_template(name: str, source: str) -> jinja2.Template:
    """A city's LED template, refused unless it only reads facts (see CITY_TEMPLATE_*)."""
    env = _city_env()
    tree = env.parse(source)
    for node in tree.find_all(CITY_TEMPLATE_FORBIDDEN):
        raise TemplateError(
            f"LED template {name!r}: {type(node).__name__.lower()} is not allowed in city "
            "templates (they may only show the school's facts)"
        )
    for loop in tree.find_all(nodes.For):
        if any(True for _ in loop.find_all(nodes.For)):
            raise TemplateError(f"LED template {name!r}: loops may not be nested")
    for used in tree.find_all(nodes.Filter):
        if used.name not in CITY_TEMPLATE_FILTERS:
            raise TemplateError(f"LED template {name!r}: filter {used.name!r} is not allowed")
    return env.from_string(tree)


def _render_city_template(name: str, source: str, **context: Any) -> str:
    """Rendered piece by piece, stopping past TEXT_MAX: a loop cannot run up gigabytes."""
    try:
        out, size = [], 0
        for piece in _city_template(name, source).generate(**context):
            out.append(piece)
            size += len(piece)
            if size > TEXT_MAX:
                raise TemplateError(f"text longer than {TEXT_MAX}")
        return "".join(out)
    except jinja2.TemplateError as exc:  # syntax, undefined names, the sandbox's refusals
        raise TemplateError(f"LED template {name!r}: {exc}") from exc
    except RecursionError as exc:  # pragma: no cover - nothing recursive is allowed
        raise TemplateError(f"LED template {name!r}: nests too deep") from exc
    except TemplateError as exc:  # a value the finalize hook refused
        raise TemplateError(f"LED template {name!r}: {exc}") from exc
    except Exception as exc:  # the city's own expression failed: its mistake
        # 1/0, sorting [1, 'a'], summing cameras, int(inf): ordinary errors in the city's
        # template, reported against it like a syntax error, never as a crash of provision.
        raise TemplateError(
            f"LED template {name!r} fails when rendered for school {context['school'].id}: "
            f"{_describe(exc)}"
        ) from exc


def _describe(exc: Exception) -> str:
    kinds = {
        ZeroDivisionError: "division by zero",
        OverflowError: "a number too large",
        TypeError: "values of the wrong type",
    }
    kind = next((text for cls, text in kinds.items() if isinstance(exc, cls)), None)
    detail = _short(str(exc)) if str(exc) else type(exc).__name__
    return f"{kind} ({detail})" if kind else detail


def _render(name: str, cli: bool, **context: Any) -> str:
    try:
        return _env(cli).get_template(name).render(**context)
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"{name}: {exc.message}") from exc
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"no template {exc.name}") from exc
    except TemplateError as exc:
        raise TemplateError(f"{name}: {exc}") from exc


def _net(cidr: str) -> dict[str, str]:
    net = ipaddress.ip_network(cidr, strict=False)
    return {
        "network": str(net.network_address),
        "netmask": str(net.netmask),
        "wildcard": str(net.hostmask),
        "gateway": str(next(net.hosts())),
    }


def timezone_facts(name: str) -> dict[str, str]:
    try:
        zone = ZoneInfo(name)
    except (KeyError, ValueError, OSError) as exc:  # not found, malformed, name too long
        raise TemplateError(f"unknown time zone {_short(name)}") from exc
    offset = zone.utcoffset(_OFFSET_AT) or (_OFFSET_AT - _OFFSET_AT)
    minutes = int(offset.total_seconds() // 60)
    sign, minutes = ("add", minutes) if minutes >= 0 else ("minus", -minutes)
    hours, mins = divmod(minutes, 60)
    return {
        "abbrev": zone.tzname(_OFFSET_AT) or "UTC",
        "sign": sign,
        "offset": f"{hours:02d}:{mins:02d}:00",
        "hours": str(hours if sign == "add" else -hours),
        "minutes": str(mins),
    }


def switch_context(city: City, school: School, switch: Switch) -> dict[str, Any]:
    vlans = school.network.vlans
    subnets = school.network.subnets
    uplink = school.network.uplink
    precinct = city.precincts[school.precinct]
    svis = [
        {
            "vlan": getattr(vlans, role),
            "address": _net(subnets[role])["gateway"],
            **_net(subnets[role]),
        }
        for role in ("management", "video", "alarm")
    ]
    return {
        "sysname": school.hostname(switch.name),
        "vlans": vlans,
        "vlan_roles": [(role, getattr(vlans, role)) for role in ("management", "video", "alarm")],
        "svis": svis,
        "precinct": _net(uplink.precinct_subnet),
        "video": _net(subnets["video"]),
        "management": _net(subnets["management"]),
        # Only the switch that carries the uplink routes the VLANs and guards the precinct link.
        "uplink": {
            "interface": uplink.interface,
            "description": f"uplink-to-precinct-{precinct.id}",
        }
        if switch.name == uplink.switch
        else None,
        "ntp": list(school.ntp),
        "timezone": timezone_facts(school.timezone),
        "sip": _sip_acl(city, school),
    }


def _sip_acl(city: City, school: School) -> dict[str, Any] | None:
    """What the uplink's inbound ACL must let through for GB/T 28181: the platform's SIP
    (its requests and answers come from its SIP port) to the cameras that register with it.
    Media is the cameras' own outgoing RTP, which the inbound ACL does not see. Without this
    rule a real switch drops the platform's Catalog and INVITE (the lab does not filter)."""
    server = sip_server(city, school)
    if server is None:
        return None
    return {"protocol": server.transport.lower(), "port": server.port}


def switch_templates() -> tuple[str, ...]:
    """The platforms that have a switch template (`switch/<platform>.j2`), sorted."""
    names = _env(True).list_templates(filter_func=lambda n: n.startswith("switch/"))
    return tuple(sorted(n.removeprefix("switch/").removesuffix(".j2") for n in names))


def render_switch(city: City, school: School, switch: Switch, template: str = "") -> str:
    """The config lines for one switch; only the uplink switch carries uplink and ACLs.

    `template` is the one its platform names (`switch/<platform>.j2` when not given); the
    platforms live with the drivers, above this package, so only the files are checked here.
    """
    template = template or f"switch/{switch.platform}.j2"
    valid = switch_templates()
    if template.removeprefix("switch/").removesuffix(".j2") not in valid:
        raise TemplateError(
            f"no switch template for platform {switch.platform!r}; valid: {', '.join(valid)}"
        )
    return _render(template, True, **switch_context(city, school, switch))


def stream_name(school: School, camera: Camera) -> str:
    return school.hostname(camera.name)


def render_camera(city: City, school: School, camera: Camera) -> str:
    """The camera's settings in the one vocabulary every camera driver applies (no template:
    the settings are computed in one place, camera_settings)."""
    # Imported here: camera_settings takes timezone_facts and safe_tojson from this module.
    from provision.templates.camera_settings import render_settings

    forward: dict[str, Any] = {"enabled": camera.forward}
    if camera.forward:
        forward["platform"] = city.precincts[school.precinct].video_platform.kind
        forward["stream"] = stream_name(school, camera)
    try:
        return render_settings(school, camera, forward)
    except TemplateError as exc:
        raise TemplateError(f"camera {school.id}/{camera.name}: {exc}") from exc


def led_template_names(city: City) -> list[str]:
    builtin = {
        name.removeprefix("led/").removesuffix(".j2")
        for name in _env(False).list_templates()
        if name.startswith("led/") and name.endswith(".j2") and name.count("/") == 1
    }
    return sorted(builtin | set(city.led_templates))


def led_messages(city: City, school: School, board: LedBoard) -> list[str]:
    """The literal text of each message, templates rendered with the school's facts."""
    out = []
    for message in board.messages:
        if message.text is not None:
            out.append(text_value(message.text))
            continue
        name = message.template or ""
        if name in city.led_templates:
            source = city.led_templates[name]
            text = _render_city_template(name, source, school=school, city=city)
        else:
            text = _render(f"led/{name}.j2", False, school=school, city=city)
        try:
            out.append(text_value(text.strip()))  # the template's own text counts too
        except TemplateError as exc:
            raise TemplateError(f"LED template {name!r}: {exc}") from exc
    return out


def render_led_board(city: City, school: School, board: LedBoard) -> str:
    return _render(
        "led_board/messages.j2",
        False,
        school=school,
        board=board,
        messages=led_messages(city, school, board),
    )


def render_school(city: City, school: School) -> dict[str, str]:
    """Every rendered file of a school, by relative path, in a stable order."""
    files: dict[str, str] = {}
    for switch in school.network.switches:
        files[f"switch/{switch.name}.cfg"] = render_switch(city, school, switch)
    for camera in school.cameras:
        files[f"camera/{camera.name}.yaml"] = render_camera(city, school, camera)
    for board in school.led_boards:
        files[f"led_board/{board.name}.txt"] = render_led_board(city, school, board)
    return files
