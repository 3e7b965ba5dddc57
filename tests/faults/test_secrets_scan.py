"""No secret leaves the process: every command, run as a user runs it, with sentinel values for
every secret the example city refers to (from the environment, and from a --secrets file),
and every byte it prints, writes or logs scanned for them.

One lab of one school (a GB/T 28181 precinct, so the platform's API password and the SIP
password the cameras are given are used too) serves the story: lab up/status/fault/down,
plan (saved) and apply in the text, JSON and Markdown formats, apply of the saved plan, with
secrets from a file and with devices failing, history, rollback, verify with every report
format; validate, render, schema and the demo (on a city of one other school, with a lab of
its own) run meanwhile.
Failures are where secrets leak (an error text that quotes a request), so the story ends
with devices refusing credentials and the precinct platform refusing connections.

Each command's logging is captured at DEBUG, every library's, one file per command. Files are
scanned as bytes: plans, reports, the journal database and its WAL, lab logs, lock and
known_hosts files, crash logs (TMPDIR points into the scanned directory).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from provision.lab.state import read_state

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
SCHOOL = "dl-zs-p007"  # hp_comware switch, precinct qingniwaqiao (GB/T 28181, two secrets)
DEMO_SCHOOL = "dl-xg-k003"  # another precinct's: no address in common with SCHOOL's lab
SENTINELS = {
    "PROVISION_CAMERA_PASSWORD": "Zq7S3NT1NEL-camera-admin",
    "PROVISION_CAMERA_OPERATOR_PASSWORD": "Zq7S3NT1NEL-camera-operator",
    "PROVISION_CAMERA_AUDITOR_PASSWORD": "Zq7S3NT1NEL-camera-auditor",
    "PROVISION_NETWORK_PASSWORD": "Zq7S3NT1NEL-network",
    "PROVISION_ALARM_PASSWORD": "Zq7S3NT1NEL-alarm",
    "PROVISION_LED_PASSWORD": "Zq7S3NT1NEL-led",
    "PROVISION_ZLM_SECRET": "Zq7S3NT1NEL-zlm",
    "PROVISION_WVP_PASSWORD": "Zq7S3NT1NEL-wvp",
    "PROVISION_GB28181_PASSWORD": "Zq7S3NT1NEL-gb28181",
}
USERNAMES = ("admin", "operator", "auditor", "netops")  # for Basic auth headers in logs
FAULTS = {  # credentials refused by each kind of device, and the platform unreachable
    f"{SCHOOL}/core": {"auth_failure": True},
    f"{SCHOOL}/gate-face": {"auth_failure": True},
    f"{SCHOOL}/gate-sos": {"auth_failure": True},
    "precinct/qingniwaqiao/video_platform": {"refuse": True},
}
# The CLI with the root logger at DEBUG into a file: what any library logs is captured too.
WITH_LOGGING = (
    "import logging, os\n"
    "logging.basicConfig(filename=os.environ['SCAN_LOGGING'], level=logging.DEBUG,\n"
    "    format='%(process)d %(name)s %(levelname)s %(message)s')\n"
    "from provision.cli.main import main\n"
    "main()\n"
)


@dataclass(frozen=True)
class Output:
    command: str
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Running:
    proc: subprocess.Popen[str]
    index: int  # in Scan.outputs


@dataclass
class Scan:
    tmp: Path
    env: dict[str, str]
    outputs: list[Output] = field(default_factory=list)
    inputs: set[Path] = field(default_factory=set)  # files we wrote holding secrets on purpose

    def start(self, *args: str, secrets_in_env: bool = True) -> Running:
        env = dict(self.env)
        if not secrets_in_env:
            env = {k: v for k, v in env.items() if k not in SENTINELS}
        index = len(self.outputs)
        env["SCAN_LOGGING"] = str(self.tmp / "logging" / f"{index:02d}-{args[0]}.log")
        self.outputs.append(Output(" ".join(args), "", ""))  # filled in by finish()
        proc = subprocess.Popen(
            [sys.executable, "-c", WITH_LOGGING, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=self.tmp,
        )
        return Running(proc, index)

    def finish(self, running: Running, ok: tuple[int, ...] = (0,)) -> Output:
        stdout, stderr = running.proc.communicate(timeout=300)
        command = self.outputs[running.index].command
        done = Output(command, stdout, stderr)
        self.outputs[running.index] = done
        code = running.proc.returncode
        assert code in ok, f"{command}: exit {code}\n{stdout}{stderr}"
        return done

    def run(self, *args: str, ok: tuple[int, ...] = (0,), secrets_in_env: bool = True) -> Output:
        return self.finish(self.start(*args, secrets_in_env=secrets_in_env), ok)

    def secrets_file(self, name: str, mode: int) -> str:
        path = self.tmp / "input" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text("".join(f"export {k}='{v}'\n" for k, v in SENTINELS.items()))
        path.chmod(mode)
        self.inputs.add(path)
        return str(path)

    def set_faults(self, device: str, faults: dict[str, bool]) -> None:
        """Through the lab's control API: `lab fault` itself is run (and scanned) once."""
        state = read_state(self.tmp / "lab")
        assert state is not None
        request = urllib.request.Request(
            f"{state['control']}/api/devices/{device}/faults",
            data=json.dumps(faults).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200

    def written_files(self) -> list[Path]:
        return sorted(p for p in self.tmp.rglob("*") if p.is_file() and p not in self.inputs)


def _story(s: Scan) -> None:
    city, school, lab = ["-i", str(EXAMPLE)], ["--school", SCHOOL], ["--lab"]
    # The demo runs meanwhile on a city of one other school: its lab's addresses (the school's
    # and its precinct's) are not this lab's, so both run at once on one port offset.
    demo_city = s.tmp / "input" / "demo-city"
    (demo_city / "schools").mkdir(parents=True)
    shutil.copy(EXAMPLE / "city.yaml", demo_city)
    shutil.copy(EXAMPLE / "schools" / f"{DEMO_SCHOOL}.yaml", demo_city / "schools")
    s.inputs |= set(demo_city.rglob("*"))
    meanwhile = [  # nothing here needs the lab
        s.start("demo", "-i", str(demo_city), "--out", "demo", "--no-faults"),
        s.start("validate", *city),
        s.start("render", *city, *school, "--out", "rendered"),
        s.start("schema", "--out", "schemas"),
    ]
    try:
        s.run("lab", "up", *city, *school)
        s.run("lab", "status")
        s.run("plan", *city, *school, *lab, "--format", "json", "--out", "plan.json")
        s.run("apply", *city, *lab, "plan.json", "--yes")
        run_id = s.run("history").stdout.split()[0]
        s.run("rollback", run_id, *city, *lab)

        # Secrets in a file only (the first one anyone can read: a warning), none in the
        # environment; the lab's devices still have the sentinels, not the lab defaults.
        loose, kept = s.secrets_file("loose.env", 0o644), s.secrets_file("kept.env", 0o600)
        bare: dict[str, bool] = {"secrets_in_env": False}
        s.run(
            "plan", *city, *school, *lab, "--secrets", loose, "--detailed-exitcode", ok=(2,), **bare
        )
        s.run("apply", *city, *school, *lab, "--secrets", kept, "--yes", **bare)
        s.run("verify", *city, *school, *lab, "--secrets", kept, **bare)

        (first, faults), *others = FAULTS.items()
        s.run("lab", "fault", first, *(f"{k}={v}" for k, v in faults.items()))
        for device, more in others:
            s.set_faults(device, more)
        s.run("apply", *city, *school, *lab, "--yes", "--format", "markdown", ok=(1,))
        reports = [f"verify.{suffix}" for suffix in ("html", "json", "xml", "md", "txt")]
        s.run("verify", *city, *school, *lab, *(a for r in reports for a in ("--out", r)), ok=(2,))
    finally:
        s.run("lab", "down")
        for running in meanwhile:
            s.finish(running)


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scan]:
    tmp = tmp_path_factory.mktemp("secrets-scan")
    for sub in ("tmp", "logging"):
        (tmp / sub).mkdir()
    env = {**os.environ, **SENTINELS}
    env.update(PROVISION_LAB_DIR=str(tmp / "lab"), TMPDIR=str(tmp / "tmp"))  # crash logs: tmp
    for name in ("PROVISION_JOURNAL", "PROVISION_LOCK_DIR", "PROVISION_KNOWN_HOSTS"):
        env.pop(name, None)  # their defaults are under the working directory: scanned
    s = Scan(tmp, env)
    _story(s)
    yield s


def _forms(name: str) -> list[bytes]:
    """The secret as bytes, raw and inside an HTTP Basic auth header (base64)."""
    value = SENTINELS[name]
    return [value.encode()] + [base64.b64encode(f"{u}:{value}".encode()) for u in USERNAMES]


@pytest.mark.parametrize("name", list(SENTINELS))
def test_no_secret_in_any_output_written_file_or_log(scan: Scan, name: str) -> None:
    forms = _forms(name)
    leaks = [
        f"output of `{out.command}`"
        for out in scan.outputs
        if any(form.decode() in out.stdout + out.stderr for form in forms)
    ]
    leaks += [
        str(path.relative_to(scan.tmp))
        for path in scan.written_files()
        if any(form in path.read_bytes() for form in forms)
    ]
    assert not leaks, f"{name} leaked into:\n" + "\n".join(leaks)


def test_the_story_really_ran_every_path(scan: Scan) -> None:
    """The scan means something only if secrets were used, errors happened and were logged."""
    commands = {out.command.split(" ")[0] for out in scan.outputs}
    assert commands == {
        "validate", "render", "schema", "lab", "plan", "apply", "history", "rollback", "verify",
        "demo",
    }  # fmt: skip
    files = {p.relative_to(scan.tmp).as_posix() for p in scan.written_files()}
    assert {"plan.json", "verify.html", "verify.json", "verify.xml", "verify.md"} <= files
    assert {"verify.txt", ".provision/journal.sqlite", "lab/lab.log", "demo/report.html"} <= files
    assert ".provision/journal.sqlite-wal" in files or ".provision/journal.sqlite" in files
    faulted = next(o for o in scan.outputs if "--format markdown" in o.command).stdout
    problems = faulted.partition("#### Problems")[2].partition("####")[0]
    for device in ("core", "gate-face", "gate-sos"):  # each kind refused its credentials
        assert f"`{SCHOOL}/{device}`" in problems
    logged = " ".join(p.read_text(errors="replace") for p in (scan.tmp / "logging").iterdir())
    for library in ("paramiko", "netmiko", "urllib3"):
        assert f" {library}" in logged, f"no logging from {library} was captured"


def test_secrets_from_a_file_are_used_and_a_file_others_can_read_warns(scan: Scan) -> None:
    with_file = [o for o in scan.outputs if "--secrets" in o.command]
    assert len(with_file) == 3
    loose = [o for o in with_file if "loose.env" in o.command]
    assert len(loose) == 1
    assert "loose.env is readable by others (mode -rw-r--r--); run chmod 600" in loose[0].stderr
    assert all("readable by others" not in o.stderr for o in with_file if "kept.env" in o.command)
    # Exit 2 of `plan --detailed-exitcode` (not 1) and exit 0 of apply and verify: every device
    # took the file's secrets, where the lab defaults (the empty environment's) are refused.
    assert "failed" not in loose[0].stdout.splitlines()[-1]
