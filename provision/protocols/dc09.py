"""SIA DC-09 (ANSI/SIA DC-09-2013) frames: build, parse, encrypt, reassemble. Pure, no I/O.

On the wire a frame is

    <LF> CRC 0LLL "ID" seq [R rcvr] L line [#acct] [data] [x-data]... [_HH:MM:SS,MM-DD-YYYY] <CR>

CRC (CRC-16/ARC) and 0LLL (hex length) cover the message from the first `"` up to, not
including, the <CR>. When encrypted (`"*ID"`), everything after the `[` is AES-CBC (zero IV) of
`pad | data ] x-data timestamp`, sent as upper-case hex. The same codec serves the lab panel
(transmitter) and the lab alarm centre (receiver), and it interoperates with pysiaalarm, an
independent receiver; the few places where pysiaalarm bends the standard are noted inline.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

ADM_CID, SIA_DCS, NULL = "ADM-CID", "SIA-DCS", "NULL"
ACK, NAK, DUH, RSP = "ACK", "NAK", "DUH", "RSP"
EVENT_TOKENS = frozenset({ADM_CID, SIA_DCS, NULL})
MAX_MESSAGE = 0x0FFF  # the length field is "0LLL": three hex digits
MAX_FRAME = MAX_MESSAGE + 10  # + LF, CRC, length, CR
TIMESTAMP_FORMAT = "%H:%M:%S,%m-%d-%Y"
# Codes that are tests of the path to the centre, not real alarms (Contact ID and SIA letters).
TEST_CODES = frozenset({"601", "602", "603", "604", "608", "RX", "RP", "TX"})
# The few Contact ID events the lab panel raises, as SIA-DCS letters (new event / restore).
SIA_FOR_CONTACT_ID = {
    (120, 1): "PA",
    (120, 3): "PH",
    (130, 1): "BA",
    (130, 3): "BH",
    (601, 1): "RX",
    (602, 1): "RP",
}
_FORBIDDEN_PAD = frozenset(b"|[]")  # DC-09 5.4.4.2: pad bytes never contain these


class Dc09Error(ValueError):
    """A frame the codec rejects. `reason` is machine-readable; `header` is whatever part of
    the frame was understood (a receiver echoes it in its DUH), or None."""

    def __init__(self, reason: str, detail: str, header: Frame | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail, self.header = reason, detail, header


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    """CRC-16/ARC: poly 0x8005 reflected (0xA001), init 0, no final xor."""
    crc = 0
    for byte in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ byte) & 0xFF]
    return crc


@dataclass(frozen=True, slots=True)
class Frame:
    token: str  # ADM-CID, SIA-DCS, NULL, ACK, NAK, DUH, RSP (without the "*")
    seq: int = 0
    line: str = "0"
    receiver: str | None = "0"
    account: str | None = None
    data: str = ""  # between "[" and "]"
    extended: tuple[str, ...] = ()  # x-data blocks, without their brackets
    timestamp: datetime | None = None
    encrypted: bool = False


@dataclass(frozen=True, slots=True)
class Event:
    """An alarm event carried in the data of an ADM-CID or SIA-DCS frame."""

    account: str | None
    code: str  # "601" for Contact ID, "RX" for SIA
    qualifier: int | None  # Contact ID: 1 new event, 3 restore, 6 previous; SIA: None
    partition: str | None
    zone: str | None

    @property
    def is_test(self) -> bool:
        return self.code in TEST_CODES


def format_timestamp(moment: datetime) -> str:
    return "_" + moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def contact_id_data(account: str, qualifier: int, code: int, partition: int, zone: int) -> str:
    return f"#{account}|{qualifier}{code:03d} {partition:02d} {zone:03d}"


def sia_dcs_data(account: str, code: str, partition: int, zone: int) -> str:
    return f"#{account}|Nri{partition}/{code}{zone:03d}"


def _aes(key: bytes) -> Cipher[modes.CBC]:
    if len(key) not in (16, 24, 32):
        raise ValueError(f"AES key must be 16, 24 or 32 bytes, not {len(key)}")
    return Cipher(algorithms.AES(key), modes.CBC(bytes(16)))  # DC-09 5.4.6: IV of zeros


def _pad_bytes(count: int) -> bytes:
    pad = b""
    while len(pad) < count:
        pad += bytes(b for b in os.urandom(count * 2) if b not in _FORBIDDEN_PAD)
    return pad[:count]


def encode(frame: Frame, key: bytes | None = None, *, pad: bytes | None = None) -> bytes:
    """The frame as bytes on the wire. Encrypted frames need `key` and a timestamp."""
    header = f'"{"*" if frame.encrypted else ""}{frame.token}"{frame.seq:04d}'
    if frame.receiver is not None:
        header += f"R{frame.receiver}"
    header += f"L{frame.line}"
    if frame.account is not None:
        header += f"#{frame.account}"
    elif frame.token == NAK:
        header += "A0"  # DC-09 5.5.3.2 spells the NAK's account field literally "A0"
    body = frame.data + "]" + "".join(f"[{x}]" for x in frame.extended)
    if frame.timestamp is not None:
        body += format_timestamp(frame.timestamp)
    if frame.encrypted:
        if key is None or frame.timestamp is None:
            raise ValueError("an encrypted frame needs a key and a timestamp (DC-09 5.5.1.8)")
        # 5.4.4.3: pad + "|" + body is a multiple of 16; a full 16 pad bytes when it already is.
        count = 16 - (len(body) + 1) % 16
        pad = _pad_bytes(count) if pad is None else pad
        if len(pad) != count or _FORBIDDEN_PAD & set(pad):
            raise ValueError(f"pad must be {count} bytes without | [ ]")
        encryptor = _aes(key).encryptor()
        secret = encryptor.update(pad + b"|" + body.encode("ascii")) + encryptor.finalize()
        message = (header + "[" + secret.hex().upper()).encode("ascii")
    else:
        message = (header + "[" + body).encode("ascii")
    if len(message) > MAX_MESSAGE:
        raise ValueError(f"message of {len(message)} bytes exceeds the 0LLL length field")
    return b"\n" + f"{crc16(message):04X}{len(message):04X}".encode() + message + b"\r"


# Receiver and line fields are matched lazily: the NAK's "L0A0" must read as line 0, account
# field A0, and pysiaalarm writes its generic NAK with L before R ("L0R0A0").
_HEADER = re.compile(
    r'"(?P<enc>\*)?(?P<token>[A-Z][A-Z-]*)"(?P<seq>\d{4})'
    r"(?:R(?P<rcvr>[0-9A-F]{1,6}?))?L(?P<line>[0-9A-F]{1,6}?)(?:R(?P<rcvr2>[0-9A-F]{1,6}?))?"
    r"(?:#(?P<acct>[0-9A-F]{3,16})|A[0-9A-F]{1,16}?)?\[",
    re.IGNORECASE,
)
_BODY = re.compile(
    r"(?P<data>[^\[\]]*)\](?P<ext>(?:\[[^\[\]]*\])*)"
    r"(?:_(?P<ts>\d\d:\d\d:\d\d,\d\d-\d\d-\d{4}))?"
)
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")


def decode(raw: bytes, keys: Mapping[str, bytes] | None = None) -> Frame:
    """Parse one frame (with or without its LF/CR). `keys` maps account → AES key."""
    body = raw[1:] if raw[:1] == b"\n" else raw
    body = body[:-1] if body[-1:] == b"\r" else body
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError as exc:
        raise Dc09Error("framing", "non-ASCII byte in frame") from exc
    crc_text, length_text, message = text[:4], text[4:8], text[8:]
    if not (_HEX4.fullmatch(crc_text) and _HEX4.fullmatch(length_text)):
        raise Dc09Error("framing", f"no CRC/length prefix in {text[:16]!r}")
    if int(length_text, 16) != len(message):
        raise Dc09Error("length", f"length field {length_text} but message is {len(message):04X}")
    if int(crc_text, 16) != crc16(message.encode("ascii")):
        raise Dc09Error("crc", f"CRC {crc_text} but message has {crc16(message.encode()):04X}")
    match = _HEADER.match(message)
    if match is None:
        raise Dc09Error("format", f"unreadable header {message[:40]!r}")
    account = match["acct"].upper() if match["acct"] else None
    receiver = match["rcvr"] or match["rcvr2"]
    header = Frame(
        token=match["token"].upper(),
        seq=int(match["seq"]),
        line=match["line"].upper(),
        receiver=receiver.upper() if receiver else None,
        account=account,
        encrypted=bool(match["enc"]),
    )
    rest = message[match.end() :]
    if header.encrypted:
        key = keys.get(account) if keys is not None and account else None
        if key is None:
            raise Dc09Error(
                "no_key", f"encrypted frame for account {account} without a key", header
            )
        rest = _decrypt(rest, key, header)
    parts = _BODY.fullmatch(rest)
    if parts is None:
        raise Dc09Error("format", f"unreadable data {rest[:60]!r}", header)
    timestamp = None
    if parts["ts"]:
        try:
            timestamp = datetime.strptime(parts["ts"], TIMESTAMP_FORMAT).replace(tzinfo=UTC)
        except ValueError as exc:
            raise Dc09Error("timestamp", f"impossible timestamp {parts['ts']}", header) from exc
    extended = tuple(parts["ext"][1:-1].split("][")) if parts["ext"] else ()
    return replace(header, data=parts["data"], extended=extended, timestamp=timestamp)


def _decrypt(hex_text: str, key: bytes, header: Frame) -> str:
    try:
        secret = bytes.fromhex(hex_text)
    except ValueError as exc:
        raise Dc09Error("decrypt", "encrypted region is not hex", header) from exc
    if not secret or len(secret) % 16:
        raise Dc09Error("decrypt", f"encrypted region of {len(secret)} bytes", header)
    decryptor = _aes(key).decryptor()
    plain = decryptor.update(secret) + decryptor.finalize()
    # The pad ends at the first "|" (5.4.4.3). pysiaalarm pads its *ACK with str.zfill and no
    # "|" terminator, so without one the leading "0"s are the pad.
    bar = plain.find(b"|")
    plain = plain[bar + 1 :] if bar >= 0 else plain.lstrip(b"0")
    try:
        return plain.decode("ascii")
    except UnicodeDecodeError as exc:
        raise Dc09Error("decrypt", "decrypted data is not ASCII (wrong key?)", header) from exc


_CID = re.compile(
    r"(?:#(?P<acct>[0-9A-F]{3,16})\|)?(?P<q>\d)(?P<code>\d{3}) (?P<part>\d{2}) (?P<zone>\d{3})"
)
_SIA = re.compile(r"(?:#(?P<acct>[0-9A-F]{3,16})\|)?N?(?P<blocks>.+)")


def parse_event(frame: Frame) -> Event:
    """The event in an ADM-CID or SIA-DCS frame's data."""
    if frame.token == ADM_CID:
        cid = _CID.fullmatch(frame.data.upper())
        if cid is None:
            raise Dc09Error("format", f"not Contact ID data: {frame.data!r}", frame)
        acct = cid["acct"] or frame.account
        return Event(acct, cid["code"], int(cid["q"]), cid["part"], cid["zone"])
    sia = _SIA.fullmatch(frame.data) if frame.token == SIA_DCS else None
    if sia is None:
        raise Dc09Error("format", f"no event in {frame.token} data {frame.data!r}", frame)
    partition = None
    for block in sia["blocks"].split("/"):
        if block.startswith("ri"):
            partition = block[2:]
        elif block[:2].isalpha() and block[:2].isupper():
            return Event(sia["acct"] or frame.account, block[:2], None, partition, block[2:])
    raise Dc09Error("format", f"no SIA event code in {frame.data!r}", frame)


def ack_for(frame: Frame, now: datetime) -> Frame:
    """DC-09 5.5.3.1: echo seq, receiver, line and account; encrypted (with a timestamp) when
    the event was."""
    return Frame(
        ACK,
        frame.seq,
        frame.line,
        frame.receiver,
        frame.account,
        timestamp=now if frame.encrypted else None,
        encrypted=frame.encrypted,
    )


def nak_frame(now: datetime) -> Frame:
    """DC-09 5.5.3.2: never encrypted, carries the receiver's time so the panel can resync."""
    return Frame(NAK, 0, "0", "0", None, timestamp=now)


def duh_for(header: Frame | None) -> Frame:
    if header is None:
        return Frame(DUH, 0, "0", "0")
    return Frame(DUH, header.seq, header.line, header.receiver, header.account)


class FrameReassembler:
    """Turns a TCP byte stream into whole frames: a frame may arrive split over several reads
    and one read may hold several frames. Bytes outside LF...CR are discarded and counted."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.discarded = 0

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        frames: list[bytes] = []
        while True:
            start = self._buf.find(b"\n")
            if start < 0:
                self._drop(len(self._buf))
                return frames
            self._drop(start)
            end = self._buf.find(b"\r")
            if end < 0:
                if len(self._buf) > MAX_FRAME:  # no CR in sight: not a frame, resync
                    self._drop(len(self._buf))
                return frames
            restart = self._buf.rfind(b"\n", 0, end)
            if restart > 0:  # a frame cut short by a new LF: keep only the newer one
                self._drop(restart)
                end -= restart
            frame = bytes(self._buf[: end + 1])
            del self._buf[: end + 1]
            if len(frame) > 2:
                frames.append(frame)

    def _drop(self, count: int) -> None:
        self.discarded += count
        del self._buf[:count]
