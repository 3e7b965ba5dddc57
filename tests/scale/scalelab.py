"""One lab of the example city for the scale tests (the `lab` fixture, exposed by conftest):
applied, with two faults a city has on any given day, so verify finds passes and failures
alike."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from provision.engine.journal import Journal
from provision.engine.runs import apply
from provision.inventory.selectors import Selection
from provision.lab.connector import LabConnector
from provision.lab.process import start_lab, stop_lab

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
OBSTRUCTED = "dl-xg-k003/gate-face"  # coverage fails at this kindergarten's gate
# Zhongshan's precincts: their alarm centres are down, so dl-zs-h024 (nanshajie) and
# dl-zs-p007 (qingniwaqiao) wait.
SLOW_PRECINCTS = ("nanshajie", "qingniwaqiao")
FAULTS = f"{OBSTRUCTED}: {{obstructed: true}}\n" + "".join(
    f"precinct/{p}/alarm_center: {{receiver_down: true}}\n" for p in SLOW_PRECINCTS
)


@dataclass(frozen=True)
class Lab:
    tmp: Path
    env: dict[str, str]


# Module scope, not package: a package's fixtures live until the run ends when its modules
# are not run together (tests run in random order), and this lab holds every address of the
# example city, which other modules' labs use too.
@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("scale-lab")
    (tmp / "faults.yaml").write_text(FAULTS, encoding="utf-8")
    env = {
        "PROVISION_LAB_DIR": str(tmp / "lab"),
        "PROVISION_LOCK_DIR": str(tmp / "locks"),
        "PROVISION_JOURNAL": str(tmp / "journal.sqlite"),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        start_lab(str(EXAMPLE), tmp / "lab", Selection(), str(tmp / "faults.yaml"))
        try:
            journal = Journal()
            try:
                apply(EXAMPLE, Selection(), LabConnector(), journal)
            finally:
                journal.close()
            yield Lab(tmp, env)
        finally:
            stop_lab(tmp / "lab")
