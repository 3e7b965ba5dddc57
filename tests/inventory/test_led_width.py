"""validate counts an LED message's width as a GB2312 board draws it: ambiguous-width
punctuation (“ ” … ‘ ’) takes a full 16×16 cell, like the hanzi beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from provision.citygen import dump
from provision.validate import validate

HIGH = "dl-zs-h024"  # its gate board shows 2 x 16 = 32 cells
# 26 hanzi and 8 ambiguous marks: 30 cells if the marks were half width (it would pass), 34
# as the board draws them.
OVERFLOWS_ONLY_WHEN_FULL = "“学校”" * 2 + "校" * 22 + "……‘’"
FITS = "“学校”" * 2 + "校" * 20 + "……‘’"  # 32 cells: exactly the board


def _add_message(city: Path, text: str) -> Path:
    path = city / "schools" / f"{HIGH}.yaml"
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["led_boards"][0]["messages"].append({"text": text})
    path.write_text(dump(doc, "x.json"), encoding="utf-8")
    return path


def test_ambiguous_punctuation_takes_a_full_cell(city_copy: Path) -> None:
    path = _add_message(city_copy, OVERFLOWS_ONLY_WHEN_FULL)
    result = validate(city_copy, only={HIGH}, workers=1)
    [problem] = [p for p in result.problems if p.code == "led-too-long"]
    assert "takes 34 cells; the board shows 32" in problem.message
    assert Path(problem.location.file).name == path.name
    line = path.read_text(encoding="utf-8").splitlines()[problem.location.line - 1]
    assert "……‘’" in line


def test_a_message_of_exactly_the_board_passes(city_copy: Path) -> None:
    _add_message(city_copy, FITS)
    result = validate(city_copy, only={HIGH}, workers=1)
    assert [p for p in result.problems if p.code == "led-too-long"] == []
