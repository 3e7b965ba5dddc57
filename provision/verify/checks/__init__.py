"""Checks that are pure functions over a school's inventory and its gathered device state."""
