"""An LED message (literal or rendered from its template) must fit on its board."""

from __future__ import annotations

from collections.abc import Iterator

from provision.diagnostics import Problem
from provision.errors import TemplateError
from provision.i18n import _
from provision.inventory.loader import Inventory
from provision.sizing import display_width
from provision.templates import led_messages, led_template_names


def check(inv: Inventory) -> Iterator[Problem]:
    if inv.city is None:
        return
    known = set(led_template_names(inv.city))
    for school in inv.city.schools:
        doc = inv.docs[school.id]
        for board in school.led_boards:
            if any(m.template and m.template not in known for m in board.messages):
                continue  # reported by the references rule
            try:
                texts = led_messages(inv.city, school, board)
            except TemplateError as exc:
                yield doc.problem((*board.path, "messages"), str(exc), "led-template")
                continue
            capacity = board.lines * board.chars_per_line
            for j, text in enumerate(texts):
                width = display_width(text)
                if width > capacity:
                    msg = _(
                        "message {text!r} takes {width:g} cells; the board shows {capacity} "
                        "({lines} x {chars_per_line})"
                    ).format(
                        text=text,
                        width=width,
                        capacity=capacity,
                        lines=board.lines,
                        chars_per_line=board.chars_per_line,
                    )
                    yield doc.problem((*board.path, "messages", j), msg, "led-too-long")
