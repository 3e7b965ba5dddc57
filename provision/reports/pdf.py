"""The PDF audit report: the HTML report, made print-ready, printed to A4 by headless Chromium.

Chromium lays the page out with the same engine the HTML report is checked in (the screenshot
test), honours CSS page-margin boxes (Chromium 131 and later) for the header and footer on
every page, and finds CJK fonts through fontconfig, so a Chinese report prints in Chinese. It
is run as `chromium --headless --print-to-pdf=FILE --no-pdf-header-footer URL` (the
`--print-to-pdf` switch of headless Chromium, see
https://developer.chrome.com/docs/chromium/headless), with a throwaway profile, against a
temporary copy of the page; the page's CSP (print_page.py) forbids any script or fetch.

A missing Chromium is a `ProvisionError` naming what to install (exit 1), found before an
audit starts (`find_chromium`); one that fails or hangs is one too, with its last words.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from provision import __version__
from provision.errors import ProvisionError
from provision.i18n import _
from provision.inventory.model import City
from provision.reports.pdf_join import join_parts, page_count
from provision.reports.pdf_parts import report_parts
from provision.reports.print_page import PageStamp, page_numbers_page, print_ready_chunks
from provision.verify.model import CityReport

CHROMIUM_ENV = "PROVISION_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Seconds to print: the example city's four schools take ~5 s; a city of hundreds of schools
# is a document of thousands of pages, so the limit grows with the page's size.
BASE_TIMEOUT_S = 120.0
TIMEOUT_S_PER_MB = 30.0
# HTML printed by one Chromium: ~2 MB is ~16 schools, ~190 pages (a 5 MB page took Chromium to
# 563 MiB; 54 MB past 6 GiB). Smaller parts cost a Chromium start (~2 s) each.
PART_BYTES = 2_000_000

_MISSING = (
    "writing a PDF report needs Chromium, run headless, and {what}: install it "
    "(Debian/Ubuntu: apt-get install chromium fonts-noto-cjk) or set {env} to its path"
)


def find_chromium() -> str:
    """The Chromium to print with: $PROVISION_CHROMIUM, else the first of CHROMIUM_NAMES on
    PATH. Raises ProvisionError naming what to install when there is none."""
    given = os.environ.get(CHROMIUM_ENV)
    if given:
        found = shutil.which(given)
        if found is None:
            raise ProvisionError(
                _MISSING.format(what=f"{CHROMIUM_ENV}={given} is not a program", env=CHROMIUM_ENV)
            )
        return found
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    what = "none was found on PATH (looked for " + ", ".join(CHROMIUM_NAMES) + ")"
    raise ProvisionError(_MISSING.format(what=what, env=CHROMIUM_ENV))


def write_pdf(
    html: str | Iterable[str],
    stamp: PageStamp,
    out: Path,
    chromium: str | None = None,
    part_bytes: int | None = None,
) -> None:
    """Print the HTML report `html` (the page, or its pieces as html_chunks yields them) to
    the PDF file `out` (replaced only once it is whole): the summary, then the schools in
    parts of about `part_bytes` of HTML, each printed by its own headless Chromium as it is
    rendered, then joined and numbered page N / M throughout (default: PART_BYTES): each
    part's page numbers printed apart once every part's pages are counted."""
    program = chromium or find_chromium()
    part_bytes = part_bytes or PART_BYTES
    with tempfile.TemporaryDirectory(prefix="provision-pdf-") as tmp:
        work = Path(tmp)
        printed: list[tuple[Path, frozenset[str]]] = []
        for n, part in enumerate(
            report_parts([html] if isinstance(html, str) else html, part_bytes)
        ):
            pages = work / f"part-{n:04d}.pdf"
            _print_page(
                program, print_ready_chunks([part.html], stamp, numbered=False), pages, work
            )
            printed.append((pages, part.anchors))
        counts = [page_count(path) for path, _anchors in printed]
        numbered = []
        for n, (path, anchors) in enumerate(printed):  # each part's numbers, on from the last
            numbers = work / f"numbers-{n:04d}.pdf"
            page = page_numbers_page(stamp, counts[n], sum(counts[:n]) + 1, sum(counts))
            _print_page(program, [page], numbers, work)
            numbered.append((path, anchors, numbers))
        joined = work / "report.pdf"
        join_parts(numbered, joined)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(joined, out)


def _print_page(program: str, html: Iterable[str], printed: Path, work: Path) -> None:
    """Print one page, written to a file a piece at a time, to the PDF `printed`."""
    source = work / "page.html"
    with open(source, "w", encoding="utf-8") as fh:
        for piece in html:
            fh.write(piece)
    timeout = BASE_TIMEOUT_S + TIMEOUT_S_PER_MB * source.stat().st_size / 1e6
    _print(program, source, printed, work / "profile", timeout)
    if not printed.is_file() or _head(printed) != b"%PDF-":
        raise ProvisionError(f"{program} printed no PDF of the report")
    source.unlink()


def _head(path: Path) -> bytes:
    with open(path, "rb") as fh:  # a city's PDF runs to hundreds of MB: read its magic only
        return fh.read(5)


def _command(program: str, source: Path, printed: Path, profile: Path) -> list[str]:
    return [
        program,
        "--headless",
        # The sandbox guards against hostile web content; this is our own page, with no
        # script and a CSP forbidding fetches, and Chromium cannot sandbox itself as root
        # or in many containers.
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        f"--user-data-dir={profile}",
        "--no-pdf-header-footer",  # the page's own margin boxes are the header and footer
        f"--print-to-pdf={printed}",
        source.as_uri(),
    ]


def _print(program: str, source: Path, printed: Path, profile: Path, timeout: float) -> None:
    """Run Chromium in its own process group, so a hang is ended with all its helpers."""
    with subprocess.Popen(
        _command(program, source, printed, profile),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    ) as proc:
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise ProvisionError(
                f"{program} did not print the report within {timeout:.0f} s"
            ) from None
    if proc.returncode != 0:
        last = err.decode(errors="replace").strip().splitlines()[-3:]
        raise ProvisionError(
            f"{program} could not print the report (exit {proc.returncode}): " + " / ".join(last)
        )


def page_stamp(report: CityReport, city: City, digest: str) -> PageStamp:
    """The margins of every page of `report`'s PDF, in the report's language."""
    return PageStamp(
        title=_("School security audit — %(city)s") % {"city": f"{city.name} ({report.city})"},
        audited=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(report.started)),
        digest=digest,
        version=__version__,
    )
