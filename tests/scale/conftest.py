"""Fixtures of the scale tests: the lab lives in scalelab.py, importable by the tests."""

from __future__ import annotations

from scalelab import lab

__all__ = ["lab"]
