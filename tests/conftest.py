"""Shared fixtures: the example city, and broken copies of it for validation tests; the run
state backends (a SQLite file, a real PostgreSQL server); and the session set-up that keeps
pytest-xdist workers apart and fails a CI run in which a test skipped for a missing tool."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pgserver import PgServer
from tooling import in_ci

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "dalian"
_COLLECTED = pytest.StashKey[int]()
_counter = itertools.count()
# Ports one worker's labs may shift by: larger than any two lab ports of one device differ by
# (8000/8443/8554 after netmap.LAB_PORTS), small enough that 8 workers stay inside the 1,000
# ports between two engineers' PROVISION_LAB_PORT_OFFSETs.
WORKER_PORT_STRIDE = 100
_WORKER_DIR = pytest.StashKey[Path]()
# A skip whose reason says a tool is missing (tooling.missing, a skipif on shutil.which, an
# importorskip): under CI=true the run fails, since the CI set-up installs every tool.
_TOOL_SKIP = re.compile(r"not (installed|available)|install it with|could not import", re.I)


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist every worker is its own machine as far as labs go: its own port
    range (the offset already set, plus `worker * WORKER_PORT_STRIDE`), its own lab directory,
    journal, lock directory and known hosts, so two workers never bind one port or write one
    file. Set in the environment, so lab subprocesses and in-process labs alike see it."""
    # A developer's shared state (PROVISION_STATE=postgresql://...) is never the tests' to use.
    os.environ.pop("PROVISION_STATE", None)
    # The suite's expectations are written in English (the example city asks for zh-CN): the
    # tests of the language choice set their own (tests/i18n).
    os.environ["PROVISION_LANG"] = "en"
    # Every verify plays each camera for this long to measure its bitrate (3 s in the field):
    # half a second is five whole frames of a lab camera, and keeps the suite's many verifies fast.
    os.environ.setdefault("PROVISION_BITRATE_SECONDS", "0.5")
    # validate's coverage cache (coverage/cache.py) is the run's own, never the checkout's.
    if not os.environ.get("PROVISION_CACHE_DIR"):
        cache = tempfile.mkdtemp(prefix="provision-cache-")
        os.environ["PROVISION_CACHE_DIR"] = cache
        config.add_cleanup(lambda: shutil.rmtree(cache, ignore_errors=True))
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None and getattr(config.option, "numprocesses", None):
        return  # xdist's controller runs no test; each worker gets its own below
    if worker is not None:
        index = int(worker.removeprefix("gw"))
        offset = int(os.environ.get("PROVISION_LAB_PORT_OFFSET") or 0)
        os.environ["PROVISION_LAB_PORT_OFFSET"] = str(offset + index * WORKER_PORT_STRIDE)
    # A run without xdist gets one too: its labs, journal and host keys never the checkout's
    # .provision/ (where another run's lab may have left a key for a port reused now).
    name = worker or "main"
    base = Path(tempfile.mkdtemp(prefix=f"provision-tests-{name}-"))
    config.stash[_WORKER_DIR] = base
    config.add_cleanup(lambda: shutil.rmtree(base, ignore_errors=True))  # a worker with no test
    lab = os.environ.get("PROVISION_LAB_DIR")
    os.environ["PROVISION_LAB_DIR"] = str(Path(lab) / name if lab else base / "lab")
    os.environ.setdefault("PROVISION_JOURNAL", str(base / "journal.sqlite"))
    os.environ.setdefault("PROVISION_LOCK_DIR", str(base / "locks"))
    # module-scoped labs connect before the per-test known_hosts below is set
    os.environ.setdefault("PROVISION_KNOWN_HOSTS", str(base / "known_hosts"))


def pytest_itemcollected(item: pytest.Item) -> None:
    item.stash[_COLLECTED] = next(_counter)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests run in random order (pytest-randomly shuffles modules, and tests within them).
    A module marked `pytest.mark.scenario` is one story told in steps against one lab (plan,
    apply, drift, rollback): its steps keep their written order, while the module itself
    still takes a random place in the run."""
    start = 0
    while start < len(items):
        module = getattr(items[start], "module", None)
        end = start
        while end < len(items) and getattr(items[end], "module", None) is module:
            end += 1
        if items[start].get_closest_marker("scenario") is not None:
            items[start:end] = sorted(items[start:end], key=lambda i: i.stash[_COLLECTED])
        start = end


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden", action="store_true", help="rewrite golden files from current output"
    )


@pytest.fixture
def regen_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-golden"))


@pytest.fixture
def example_city() -> Path:
    return EXAMPLE


@pytest.fixture
def city_copy(tmp_path: Path) -> Path:
    """A private copy of the example city that a test may break."""
    dest = tmp_path / "city"
    shutil.copytree(EXAMPLE, dest)
    return dest


@pytest.fixture(scope="session", autouse=True)
def _worker_dir_removed(pytestconfig: pytest.Config) -> Iterator[None]:
    """The worker's private directory goes with its session (the last worker to finish is
    stopped before pytest_unconfigure would run, so this is done in the session's teardown)."""
    yield
    base = pytestconfig.stash.get(_WORKER_DIR, None)
    if base is not None:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PgServer]:
    """One real PostgreSQL server per test process (per xdist worker), started on first use."""
    server = PgServer()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's run state lives, once per backend: a SQLite file, or a fresh database
    on the real PostgreSQL server (the same journal and lock tests run against both)."""
    if request.param == "sqlite":
        return str(tmp_path / "journal.sqlite")
    server: PgServer = request.getfixturevalue("postgres_server")
    return server.database()


@pytest.fixture(autouse=True)
def _private_known_hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Host keys learned by a test stay with that test, never in the repository's .provision/."""
    monkeypatch.setenv("PROVISION_KNOWN_HOSTS", str(tmp_path / "known_hosts"))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember skips for a missing tool (in the controller under xdist: reports arrive there)."""
    if report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
        if _TOOL_SKIP.search(reason):
            _tool_skips.append(f"{report.nodeid}: {reason}")


_tool_skips: list[str] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if in_ci() and _tool_skips and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """The order's seed, even under -q, so a failure that depends on order can be replayed;
    and, under CI=true, every test that skipped for a missing tool (which fails the run)."""
    if in_ci() and _tool_skips:
        terminalreporter.section("skipped for a missing tool (CI=true: the run fails)", red=True)
        for line in _tool_skips:
            terminalreporter.write_line(line)
    if config.pluginmanager.hasplugin("randomly"):
        seed = config.getoption("randomly_seed", None)
        terminalreporter.write_line(f"test order: -p randomly --randomly-seed={seed}")
