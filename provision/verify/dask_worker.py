"""What provision asks of every Dask worker that verifies its schools: a worker plugin,
registered by the client (`dask_runner.dask_client`), so workers that join later get it too.

On Python 3.11 a worker that samples its threads' stacks can deadlock: `sys._current_frames()`
holds the interpreter's thread-list lock while it allocates, a garbage collection inside it
runs Python code (distributed's own GC callback) and gives the GIL away, and a thread that
takes the GIL to start a new thread then waits for that lock: no thread of the process ever
runs again (python/cpython#106883; dask/distributed#8616, "Deadlock with python 3.11").
distributed 2026.8 already leaves its event loop's sampler off on 3.11 (`core.py`,
`sys.version_info.minor != 11`) but still samples the task threads every 10 ms (the worker's
"profile" periodic callback), and a school's verify starts threads (its device runner) all
the while: seen here, a test's worker hung with every thread waiting (py-spy: one thread in
`Thread.start`, the event loop in `_gc_callback` under `trigger_profile`). The sampler only
feeds the dashboard's profile page, so on 3.11 it is stopped.
"""

from __future__ import annotations

import sys
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

NAME = "provision-no-stack-sampling"


def samples_stacks_safely() -> bool:
    """Whether this Python can sample its threads' stacks without the 3.11 deadlock."""
    return sys.version_info[:2] != (3, 11)


class NoStackSampling(WorkerPlugin):
    """Stops the worker's stack sampler where it can deadlock (see the module docstring)."""

    name = NAME

    def setup(self, worker: Any) -> None:
        if samples_stacks_safely():
            return
        sampler = worker.periodic_callbacks.pop("profile", None)
        if sampler is not None:
            sampler.stop()
