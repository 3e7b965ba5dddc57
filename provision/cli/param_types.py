"""Option types that refuse what no run can use: a timeout of 0, -5, nan or inf seconds
(inf ended in an OverflowError per device), a history of 10**20 runs. click's FloatRange lets
nan through (every comparison with nan is false), so durations get their own type."""

from __future__ import annotations

import math

import click


class Seconds(click.ParamType):
    """A finite number of seconds within [minimum, maximum] (above minimum if `open_min`)."""

    name = "seconds"

    def __init__(self, minimum: float, maximum: float, *, open_min: bool = True) -> None:
        self.minimum, self.maximum, self.open_min = minimum, maximum, open_min

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float):
            number = value
        else:
            try:
                number = float(str(value))
            except ValueError:
                self.fail(f"{value!r} is not a number of seconds", param, ctx)
        low_ok = number > self.minimum if self.open_min else number >= self.minimum
        if not (math.isfinite(number) and low_ok and number <= self.maximum):
            bound = "above" if self.open_min else "from"
            self.fail(
                f"{value!r} is not a number of seconds {bound} {self.minimum:g} "
                f"to {self.maximum:g}",
                param,
                ctx,
            )
        return number


# A device exchange longer than ten minutes is a dead link, not a slow one.
DEVICE_TIMEOUT = Seconds(0, 600)
DEVICE_DEADLINE = Seconds(0, 86_400)  # a device's whole run: a day is no deadline at all
LOCK_WAIT = Seconds(0, 86_400, open_min=False)
ALARM_THRESHOLD = Seconds(0, 600)
HISTORY_LIMIT = click.IntRange(1, 1_000_000)
