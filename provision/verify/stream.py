"""A verify run on disk, so a city-wide audit keeps what it finished and can be resumed.

    DIR/run.json       what the run is: inventory, its digest, checks, selection, threshold,
                       lab or field, when it started, and each session's duration
    DIR/schools.jsonl  one school's SchoolReport per line, appended as soon as the school
                       finishes (flushed and fsynced: a crash or a kill loses no finished school)

Nothing but the file holds the finished schools during a run, so memory stays bounded by the
schools in flight; nor after it: the CityReport the reports are written from holds a
`StoredSchools`, the file's offsets, and reads each school back as a report reaches it.
An interrupted run may leave a torn last line: reading skips it and resuming cuts it off
before appending, so that school is simply verified again.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, overload

from provision.errors import ProvisionError
from provision.i18n import _
from provision.inventory.selectors import Selection
from provision.verify.model import SchoolOutline, SchoolReport, format_started, parse_started

RUN_FILE, SCHOOLS_FILE, LOCK_FILE = "run.json", "schools.jsonl", ".lock"
RUN_FORMAT = "provision-verify-run"


@dataclass(slots=True)
class RunInfo:
    """What a run is; a resumed run must be the same run (same inventory bytes, checks...)."""

    inventory: str
    city: str
    digest: str  # of city.yaml and the selected schools' files
    checks: tuple[str, ...]
    selection: Selection
    threshold: float
    lab: bool
    started: float = field(default_factory=time.time)
    sessions: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": RUN_FORMAT,
            "version": 1,
            "inventory": self.inventory,
            "city": self.city,
            "digest": self.digest,
            "checks": list(self.checks),
            "selection": {k: list(v) for k, v in asdict(self.selection).items()},
            "threshold_s": self.threshold,
            "lab": self.lab,
            "started": format_started(self.started),
            "sessions": self.sessions,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RunInfo:
        if raw.get("format") != RUN_FORMAT:
            raise ValueError(_("not a {RUN_FORMAT} file").format(RUN_FORMAT=RUN_FORMAT))
        picked = raw.get("selection") or {}
        return cls(
            raw["inventory"],
            raw["city"],
            raw["digest"],
            tuple(raw["checks"]),
            Selection(**{k: tuple(picked.get(k, ())) for k in Selection.__dataclass_fields__}),
            float(raw["threshold_s"]),
            bool(raw["lab"]),
            parse_started(raw["started"]),
            list(raw.get("sessions", [])),
        )

    @property
    def seconds(self) -> float:
        """Time spent verifying, over every session that finished (a killed one is lost)."""
        return sum(float(s.get("seconds", 0.0)) for s in self.sessions)

    def differences(self, other: RunInfo) -> list[str]:
        """What makes `other` a different run from this one (empty: the same run)."""
        out = [
            _("{name}: the run has {shown}, this command {shown2}").format(
                name=name, shown=shown(getattr(self, name)), shown2=shown(getattr(other, name))
            )
            for name in ("inventory", "checks", "selection", "threshold", "lab")
            if getattr(self, name) != getattr(other, name)
        ]
        if not out and self.digest != other.digest:  # same schools, other bytes
            out.append("the inventory's files changed since the run started")
        return out


def shown(value: Any) -> str:
    if isinstance(value, Selection):
        picked = [
            f"--{name.removesuffix('s')} {item}"
            for name, items in asdict(value).items()
            for item in items
        ]
        return " ".join(picked) if picked else "every school"
    if isinstance(value, tuple):
        return ",".join(value)
    return repr(value)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class RunDir:
    """run.json and schools.jsonl in one directory; one writer at a time (flock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def schools_file(self) -> Path:
        return self.path / SCHOOLS_FILE

    def exists(self) -> bool:
        return (self.path / RUN_FILE).exists()

    def read_info(self) -> RunInfo:
        try:
            raw = json.loads((self.path / RUN_FILE).read_text(encoding="utf-8"))
            return RunInfo.from_dict(raw)
        except FileNotFoundError:
            raise ProvisionError(
                _("{path} holds no verify run ({RUN_FILE} not found)").format(
                    path=self.path, RUN_FILE=RUN_FILE
                )
            ) from None
        except (ValueError, KeyError, TypeError) as exc:
            raise ProvisionError(
                _("{value} is not a verify run file: {exc}").format(
                    value=self.path / RUN_FILE, exc=exc
                )
            ) from exc

    def write_info(self, info: RunInfo) -> None:
        """Atomically: a crash leaves the old run.json or the new one, never half of one."""
        self.path.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".run.")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), 0o644)  # like schools.jsonl: no secret in either
            json.dump(info.to_dict(), fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path / RUN_FILE)
        _fsync_dir(self.path)

    @contextmanager
    def writing(self) -> Iterator[RunDir]:
        """Hold the directory's lock and schools.jsonl open for appending."""
        self.path.mkdir(parents=True, exist_ok=True)
        lock = os.open(self.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ProvisionError(
                    _("another verify is writing to {path}").format(path=self.path)
                ) from None
            self._cut_torn_tail()
            self._fd = os.open(self.schools_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            _fsync_dir(self.path)  # the file's directory entry survives a crash too
            try:
                yield self
            finally:
                os.close(self._fd)
                self._fd = None
        finally:
            os.close(lock)  # closing releases the flock

    def append(self, report: SchoolReport) -> None:
        """One school's report as one line, on disk before this returns."""
        if self._fd is None:
            raise RuntimeError("append outside RunDir.writing()")
        line = json.dumps(report.to_dict(), ensure_ascii=False, separators=(",", ":"))
        data = (line + "\n").encode()
        written = 0
        while written < len(data):  # O_APPEND: a short write continues where it stopped
            written += os.write(self._fd, data[written:])
        os.fsync(self._fd)

    def _cut_torn_tail(self) -> None:
        """Drop a last line a killed run left half-written, so appends start on a new line."""
        try:
            size = self.schools_file.stat().st_size
        except FileNotFoundError:
            return
        if size == 0:
            return
        with open(self.schools_file, "rb+") as fh:
            fh.seek(max(0, size - 1))
            if fh.read(1) == b"\n":
                return
            keep, step = size, 1 << 16
            while keep > 0:  # search backwards for the last complete line's newline
                start = max(0, keep - step)
                fh.seek(start)
                chunk = fh.read(keep - start)
                cut = chunk.rfind(b"\n")
                if cut >= 0:
                    keep = start + cut + 1
                    break
                keep = start
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())

    def _lines(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Complete, readable lines, one at a time, with the byte offset each starts at (a torn
        or garbled line is skipped)."""
        if not self.schools_file.exists():
            return
        with open(self.schools_file, "rb") as fh:
            offset = 0
            for line in fh:
                start, offset = offset, offset + len(line)
                if not line.endswith(b"\n"):
                    return  # torn tail of an interrupted run: that school is not done
                try:
                    raw = json.loads(line)
                except ValueError:
                    continue
                if isinstance(raw, dict) and isinstance(raw.get("school"), str):
                    yield start, raw

    def done(self) -> set[str]:
        """Ids of the schools the file holds."""
        return {raw["school"] for _offset, raw in self._lines()}

    def reports(self, order: list[str]) -> StoredSchools:
        """The schools of `order` that the file holds, in that order (the last line of a
        school wins, should a school appear twice), read from the file as they are used:
        only where each line starts is kept in memory."""
        wanted = set(order)
        found = {
            raw["school"]: (offset, SchoolOutline.from_dict(raw))
            for offset, raw in self._lines()
            if raw["school"] in wanted
        }
        kept = [found[s] for s in order if s in found]
        return StoredSchools(self.schools_file, [o for o, _ in kept], [x for _, x in kept])


class StoredSchools(Sequence[SchoolReport]):
    """Schools of a run as schools.jsonl holds them: a sequence a report can go through as
    often and in whichever order it needs, holding one school at a time.

    Kept are the byte offset of each school's line and its outline (verdicts and summaries,
    no findings: `outlines`); every access reads the line again and returns a new
    SchoolReport (so changing one changes nothing here). The file is only ever appended to,
    so the offsets stay valid while a later session adds schools."""

    def __init__(self, path: Path, offsets: list[int], outlines: list[SchoolOutline]) -> None:
        self.path = path
        self._offsets = offsets
        self._outlines = outlines

    def outlines(self) -> list[SchoolOutline]:
        return self._outlines

    def __len__(self) -> int:
        return len(self._offsets)

    @overload
    def __getitem__(self, index: int) -> SchoolReport: ...

    @overload
    def __getitem__(self, index: slice) -> StoredSchools: ...

    def __getitem__(self, index: int | slice) -> SchoolReport | StoredSchools:
        if isinstance(index, slice):
            return StoredSchools(self.path, self._offsets[index], self._outlines[index])
        offset = self._offsets[index]
        with open(self.path, "rb") as fh:
            return _school_at(fh, offset)

    def __iter__(self) -> Iterator[SchoolReport]:
        with open(self.path, "rb") as fh:
            for offset in self._offsets:
                yield _school_at(fh, offset)


def outlines(schools: Sequence[SchoolReport]) -> list[SchoolOutline]:
    """Every school's outline, in order: those a StoredSchools read with its offsets, or one
    pass over the schools."""
    if isinstance(schools, StoredSchools):
        return schools.outlines()
    return [SchoolOutline.of(s) for s in schools]


def _school_at(fh: BinaryIO, offset: int) -> SchoolReport:
    fh.seek(offset)
    return SchoolReport.from_dict(json.loads(fh.readline()))
