"""Active self-tests: they make something happen (a test alarm, a stream pull) and time it."""
