"""The command line exits without the interpreter's teardown (cli/main.py `finish`), and still
does everything a normal exit does that matters: atexit handlers run, output is complete, the
status is the command's; a thread still running makes it a normal exit, which waits for it.
And a library's own log lines (paramiko's) stay out of a command's output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The console script's main(), with an atexit handler and a finalizer registered as a command
# would (a temporary directory's cleanup is a weakref.finalize run at exit).
SCRIPT = """
import atexit, sys, tempfile, threading
from pathlib import Path
out = Path(sys.argv[1])
atexit.register(lambda: (out / "atexit").write_text("ran"))
scratch = tempfile.TemporaryDirectory(dir=out)
(out / "scratch").write_text(scratch.name)
class Teardown:  # what only the interpreter's teardown would run
    def __del__(self):
        (out / "teardown").write_text("ran")
kept = Teardown()
if sys.argv[2] == "thread":
    def late():
        threading.main_thread().join()  # still running when the command returns
        (out / "thread").write_text("finished")
    threading.Thread(target=late).start()
sys.argv = ["provision", *sys.argv[3:]]
from provision.cli.main import main
main()
"""


def _run(tmp_path: Path, thread: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), thread, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_a_command_exits_with_its_status_its_whole_output_and_its_atexit_handlers(
    tmp_path: Path,
) -> None:
    done = _run(tmp_path, "-", "validate", "-i", "examples/dalian", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("}")  # the JSON report whole, flushed before exit
    assert (tmp_path / "atexit").read_text() == "ran"
    assert not Path((tmp_path / "scratch").read_text()).exists()  # finalizers ran too
    assert not (tmp_path / "teardown").exists()  # and the teardown was skipped

    refused = _run(tmp_path, "-", "validate", "-i", str(tmp_path / "nowhere"))
    assert refused.returncode == 1
    assert "city.yaml not found" in refused.stderr


def test_a_thread_still_running_gets_a_normal_exit_that_waits_for_it(tmp_path: Path) -> None:
    done = _run(tmp_path, "thread", "validate", "-i", "examples/dalian")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "thread").read_text() == "finished"
    assert (tmp_path / "atexit").read_text() == "ran"


def test_paramikos_own_log_lines_stay_off_the_terminal() -> None:
    """A transport thread's "Socket exception" (a switch that hung up as we logged out) is not
    printed in the middle of a command's output (the driver reports what matters itself)."""
    script = (
        "import logging, provision.cli.main\n"
        "logging.getLogger('paramiko.transport').error('Socket exception: Broken pipe (32)')\n"
        "logging.getLogger('provision.test').error('still shown')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert "Socket exception" not in done.stderr
    assert "still shown" in done.stderr  # other loggers are left as they were
