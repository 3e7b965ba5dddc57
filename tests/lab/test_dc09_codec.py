"""The DC-09 codec against the standard's text, an independent AES, and pysiaalarm's parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from Crypto.Cipher import AES  # pycryptodome: an AES independent of the codec's `cryptography`
from hypothesis import given
from hypothesis import strategies as st
from pysiaalarm import SIAAccount
from pysiaalarm.base_server import BaseSIAServer
from pysiaalarm.event import NAKEvent
from pysiaalarm.utils import Counter, ResponseType
from test_alarm_support import bitwise_crc, literal_frame

from provision.protocols import dc09

STAMP = datetime(2024, 3, 5, 7, 8, 9, tzinfo=UTC)
KEYS = {16: b"0123456789ABCDEF", 24: b"0123456789ABCDEF01234567", 32: b"K" * 32}


def pysia(account: str, key: bytes | None = None) -> BaseSIAServer:
    # pysiaalarm uses the ASCII text of its key as the AES key, so keys here are ASCII.
    return BaseSIAServer({account: SIAAccount(account, key.decode() if key else None)}, Counter())


def test_crc_is_crc16_arc() -> None:
    assert dc09.crc16(b"123456789") == 0xBB3D  # the catalogued check value of CRC-16/ARC
    assert bitwise_crc("123456789") == "BB3D"


@given(st.binary(max_size=300))
def test_table_crc_matches_bitwise_crc(data: bytes) -> None:
    assert f"{dc09.crc16(data):04X}" == bitwise_crc(data)


def test_encode_matches_a_frame_written_from_the_standard() -> None:
    message = '"ADM-CID"0042R0L0#1234[#1234|1601 00 000]_07:08:09,03-05-2024'
    frame = dc09.Frame(dc09.ADM_CID, 42, "0", "0", "1234", "#1234|1601 00 000", (), STAMP)
    assert dc09.encode(frame) == literal_frame(message)
    assert dc09.decode(literal_frame(message)) == frame


def test_decode_reads_every_field() -> None:
    raw = literal_frame('"SIA-DCS"0007R1AL2#ABC123[#ABC123|Nri3/PA501][Vgate]_23:59:59,12-31-2025')
    frame = dc09.decode(raw)
    assert (frame.token, frame.seq, frame.receiver, frame.line) == (dc09.SIA_DCS, 7, "1A", "2")
    assert (frame.account, frame.extended) == ("ABC123", ("Vgate",))
    assert frame.timestamp == datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)
    event = dc09.parse_event(frame)
    assert (event.code, event.partition, event.zone, event.is_test) == ("PA", "3", "501", False)


def test_contact_id_event() -> None:
    frame = dc09.decode(literal_frame('"ADM-CID"0001L0#5678[#5678|3120 02 015]'))
    assert frame.receiver is None
    event = dc09.parse_event(frame)
    assert (event.account, event.qualifier, event.code) == ("5678", 3, "120")
    assert (event.partition, event.zone) == ("02", "015")


@pytest.mark.parametrize("size", [16, 24, 32])
def test_encryption_follows_the_padding_rule(size: int) -> None:
    key = KEYS[size]
    for data_len in range(40):  # every remainder mod 16, including "already a multiple"
        data = "#1234|" + "1" * data_len
        frame = dc09.Frame(dc09.SIA_DCS, 1, "0", "0", "1234", data, (), STAMP, encrypted=True)
        raw = dc09.encode(frame, key)
        secret = bytes.fromhex(raw[raw.index(b"[") + 1 : -1].decode())
        plain = AES.new(key, AES.MODE_CBC, bytes(16)).decrypt(secret)
        pad, bar, body = plain.partition(b"|")
        assert bar and len(plain) % 16 == 0 and 1 <= len(pad) <= 16
        assert not set(pad) & set(b"|[]")
        assert body == f"{data}]_07:08:09,03-05-2024".encode()
        assert dc09.decode(raw, {"1234": key}) == frame


@given(
    token=st.sampled_from([dc09.ADM_CID, dc09.SIA_DCS, dc09.NULL]),
    seq=st.integers(0, 9999),
    account=st.text("0123456789ABCDEF", min_size=3, max_size=16),
    data=st.text(
        st.characters(min_codepoint=32, max_codepoint=126, exclude_characters="[]"), max_size=60
    ),
    size=st.sampled_from([None, 16, 24, 32]),
)
def test_round_trip(token: str, seq: int, account: str, data: str, size: int | None) -> None:
    frame = dc09.Frame(token, seq, "0", "7", account, data, (), STAMP, encrypted=bool(size))
    key = KEYS[size] if size else None
    assert dc09.decode(dc09.encode(frame, key), {account: key} if key else None) == frame


@pytest.mark.parametrize("size", [None, 16, 24, 32])
@pytest.mark.parametrize(
    ("token", "data", "code"),
    [
        (dc09.ADM_CID, dc09.contact_id_data("1234", 1, 601, 0, 0), "RX"),
        (dc09.ADM_CID, dc09.contact_id_data("1234", 1, 120, 1, 1), "PA"),
        (dc09.SIA_DCS, dc09.sia_dcs_data("1234", "RP", 0, 0), "RP"),
        (dc09.NULL, "", "RP"),  # pysiaalarm reports a link test as RP
    ],
)
def test_pysiaalarm_accepts_our_frames(token: str, data: str, code: str, size: int | None) -> None:
    key = KEYS[size] if size else None
    now = datetime.now(UTC)
    frame = dc09.Frame(token, 3, "0", "0", "1234", data, (), now, encrypted=bool(key))
    event = pysia("1234", key).parse_and_check_event(dc09.encode(frame, key))
    assert event is not None and event.response == ResponseType.ACK and event.code == code
    ack = dc09.decode(event.create_response(), {"1234": key} if key else None)
    assert (ack.token, ack.seq, ack.account, ack.encrypted) == (dc09.ACK, 3, "1234", bool(key))


def test_responses_decode_and_nak_carries_the_receiver_time() -> None:
    nak = dc09.decode(dc09.encode(dc09.nak_frame(STAMP)))
    assert (nak.token, nak.seq, nak.account, nak.timestamp) == (dc09.NAK, 0, None, STAMP)
    assert b'"NAK"0000R0L0A0[]_07:08:09,03-05-2024' in dc09.encode(dc09.nak_frame(STAMP))
    theirs = dc09.decode(NAKEvent().create_response())  # pysiaalarm writes L0R0A0
    assert theirs.token == dc09.NAK and theirs.timestamp is not None
    ack = dc09.ack_for(dc09.Frame(dc09.ADM_CID, 9, "2", "5", "ABCD"), STAMP)
    assert dc09.encode(ack) == literal_frame('"ACK"0009R5L2#ABCD[]')
    assert dc09.encode(dc09.duh_for(None)) == literal_frame('"DUH"0000R0L0[]')


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\n0000" + literal_frame('"NULL"0001R0L0#1234[]')[5:], "crc"),
        (literal_frame('"NULL"0001R0L0#1234[]').replace(b"0015", b"0016"), "length"),
        (b"\nhello\r", "framing"),
        (b'\n\xff\xfe0015"NULL"0001R0L0#1234[]\r', "framing"),
        (literal_frame('"NULL"01R0L0#1234[]'), "format"),
        (literal_frame('"ADM-CID"0001R0L0#1234[#1234|1601 00 000'), "format"),
        (literal_frame('"NULL"0001R0L0#1234[]_25:00:00,13-40-2024'), "timestamp"),
        (literal_frame('"*NULL"0001R0L0#1234[00112233445566778899AABBCCDDEEFF'), "no_key"),
    ],
)
def test_decode_errors_name_the_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(dc09.Dc09Error) as caught:
        dc09.decode(raw)
    assert caught.value.reason == reason


def test_wrong_key_is_a_decrypt_error_that_keeps_the_header() -> None:
    frame = dc09.Frame(dc09.ADM_CID, 5, "0", "0", "1234", "#1234|1601 00 000", (), STAMP, True)
    raw = dc09.encode(frame, KEYS[16])
    with pytest.raises(dc09.Dc09Error) as caught:
        dc09.decode(raw, {"1234": b"X" * 16})
    assert caught.value.reason in ("decrypt", "format")
    assert caught.value.header is not None and caught.value.header.seq == 5


def test_unparseable_event_data() -> None:
    with pytest.raises(dc09.Dc09Error, match="Contact ID"):
        dc09.parse_event(dc09.Frame(dc09.ADM_CID, 1, data="#1234|hello"))


def _frames(count: int) -> list[bytes]:
    stamp = STAMP + timedelta(seconds=1)
    return [
        dc09.encode(dc09.Frame(dc09.NULL, n, "0", "0", "1234", "", (), stamp))
        for n in range(1, count + 1)
    ]


def test_reassembler_joins_a_frame_split_at_every_byte() -> None:
    (frame,) = _frames(1)
    for cut in range(len(frame) + 1):
        stream = dc09.FrameReassembler()
        assert stream.feed(frame[:cut]) + stream.feed(frame[cut:]) == [frame]


def test_reassembler_splits_several_frames_and_drops_noise() -> None:
    one, two, three = _frames(3)
    stream = dc09.FrameReassembler()
    assert stream.feed(b"noise" + one + two + b"\r\n\r" + three[:10]) == [one, two]
    assert stream.feed(one) == [one]  # the cut-short start of `three` gave way to a new LF
    assert stream.feed(three[:20] + b"junk\r" + three) == [three[:20] + b"junk\r", three]
    assert stream.discarded == len(b"noise") + 1 + 10  # noise, a stray CR, the cut-short frame


@given(st.lists(st.integers(1, 40), max_size=20))
def test_reassembler_any_chunking(cuts: list[int]) -> None:
    frames = _frames(4)
    stream, data, out, pos = dc09.FrameReassembler(), b"".join(frames), [], 0
    for cut in cuts:
        out += stream.feed(data[pos : pos + cut])
        pos += cut
    out += stream.feed(data[pos:])
    assert out == frames
