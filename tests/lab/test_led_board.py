"""The lab LED board: the display-width rule and its JSON API over real HTTP (requests)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from test_alarm_support import LabLoop

from provision.lab.faults import Faults
from provision.lab.led_board import LedBoard
from provision.sizing import display_width

AUTH = ("admin", "admin")


@pytest.fixture(scope="module")
def lab() -> Iterator[LabLoop]:
    loop = LabLoop()
    yield loop
    loop.close()


@pytest.fixture
def board(lab: LabLoop) -> Iterator[LedBoard]:
    b = LedBoard("gate-board", "127.0.0.1", faults=Faults(), api_port=0, lines=2, chars_per_line=16)
    lab.run(b.start())
    yield b
    lab.run(b.stop())


def call(board: LedBoard, method: str, path: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", AUTH)
    url = f"http://127.0.0.1:{board.endpoints()['http']}{path}"
    return requests.request(method, url, timeout=5, **kwargs)


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("WELCOME", 3.5),
        ("学校门口 禁止停车", 8.5),  # 8 hanzi and an ASCII space
        ("ＡＢＣ", 3),  # fullwidth Latin: F
        ("ｶﾞｯｺｳ", 2.5),  # halfwidth katakana: H, half a cell
        ("上学时间 7:30", 6.5),
        ("", 0),
        ("“放学”…", 5),  # ambiguous punctuation: a full cell each on a GB2312 board
        ("—·‘’", 4),
    ],
)
def test_display_width(text: str, width: float) -> None:
    assert display_width(text) == width


@given(st.text(max_size=40))
def test_display_width_counts_wide_and_ambiguous_as_one_and_the_rest_as_half(text: str) -> None:
    wide = sum(unicodedata.east_asian_width(ch) in "WFA" for ch in text)
    assert display_width(text) == wide + (len(text) - wide) / 2


def test_factory_message_and_info(board: LedBoard) -> None:
    body = call(board, "GET", "/api/messages").json()
    assert body == {"size": {"lines": 2, "chars_per_line": 16}, "messages": ["WELCOME"]}
    info = call(board, "GET", "/api/info").json()
    assert info["model"] == "LB-2x16-CN" and info["serial"].startswith("LB") and info["firmware"]


def test_replace_messages_up_to_the_board_capacity(board: LedBoard) -> None:
    fits = ["校" * 32, "A" * 64, "请家长在黄线外等候 Please wait"]
    resp = call(board, "PUT", "/api/messages", json={"messages": fits})
    assert resp.status_code == 200 and resp.json()["messages"] == fits
    assert call(board, "GET", "/api/messages").json()["messages"] == fits
    assert board.state()["messages"] == fits


@pytest.mark.parametrize(
    ("messages", "index", "words"),
    [
        (["OK", "校" * 33], 1, "width 33"),
        (["A" * 65], 0, "width 32.5"),
        # 26 hanzi and 8 ambiguous marks: 30 cells if the marks were half width, 34 as drawn
        (["“学校”" * 2 + "校" * 22 + "……‘’"], 0, "width 34"),
        (["fine", "ok", "line\nbreak"], 2, "U+000A"),
        (["tab\there"], 0, "U+0009"),
        ([42], 0, "string"),
    ],
)
def test_rejected_message_names_its_index(
    board: LedBoard, messages: list[Any], index: int, words: str
) -> None:
    resp = call(board, "PUT", "/api/messages", json={"messages": messages})
    assert resp.status_code == 400
    assert resp.json()["index"] == index and words in resp.json()["error"]
    assert call(board, "GET", "/api/messages").json()["messages"] == ["WELCOME"]  # unchanged


def test_malformed_bodies(board: LedBoard) -> None:
    assert call(board, "PUT", "/api/messages", data=b"{not json").status_code == 400
    assert call(board, "PUT", "/api/messages", json=["a"]).status_code == 400
    assert call(board, "PUT", "/api/messages", json={"messages": ["x"] * 33}).status_code == 400


def test_auth(board: LedBoard) -> None:
    assert call(board, "GET", "/api/messages", auth=None).status_code == 401
    assert call(board, "GET", "/api/messages", auth=("admin", "x")).status_code == 401
    board.faults.auth_failure = True
    assert call(board, "PUT", "/api/messages", json={"messages": []}).status_code == 401
    board.faults.auth_failure = False
    assert call(board, "GET", "/api/messages").status_code == 200


def test_dead_board_refuses(lab: LabLoop, board: LedBoard) -> None:
    board.faults.dead = True
    lab.run(board.sync_faults())
    with pytest.raises(requests.ConnectionError):
        call(board, "GET", "/api/messages")
    board.faults.dead = False
    lab.run(board.sync_faults())
    assert call(board, "GET", "/api/messages").json()["messages"] == ["WELCOME"]
