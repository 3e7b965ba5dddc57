"""Which language provision speaks: --lang, else PROVISION_LANG, else the city's `locale`,
else English; JSON keeps its English keys and codes; a command leaves the language it found.

The suite runs with PROVISION_LANG=en (tests/conftest.py); these tests unset or set it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from provision import i18n
from provision.cli.main import cli
from provision.inventory.loader import load_inventory

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(i18n.ENV, raising=False)


@pytest.fixture
def english_city(tmp_path: Path) -> Path:
    """The example city with no `locale`."""
    city = tmp_path / "city"
    shutil.copytree(EXAMPLE, city)
    text = (city / "city.yaml").read_text(encoding="utf-8")
    (city / "city.yaml").write_text(text.replace("locale: zh-CN\n", ""), encoding="utf-8")
    return city


def validate(runner: CliRunner, *args: str, inventory: Path = EXAMPLE) -> tuple[int, str, str]:
    result = runner.invoke(cli, [*args, "validate", "-i", str(inventory)])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.usefixtures("no_env")
def test_the_city_locale_chooses_chinese(runner: CliRunner) -> None:
    code, out, err = validate(runner)
    assert code == 0
    assert "0 个错误，" in out
    assert "警告 [secret-unset]" in out  # the code stays as it is
    assert "已检查 4 所学校：合格" in err


@pytest.mark.usefixtures("no_env")
def test_no_locale_is_english(runner: CliRunner, english_city: Path) -> None:
    code, out, err = validate(runner, inventory=english_city)
    assert code == 0
    assert "0 error(s), " in out
    assert "4 schools checked: valid" in err


def test_the_environment_beats_the_city(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(i18n.ENV, "en")
    assert "0 error(s), " in validate(runner)[1]


def test_lang_beats_the_environment(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(i18n.ENV, "zh-CN")
    assert "0 error(s), " in validate(runner, "--lang", "en")[1]
    monkeypatch.setenv(i18n.ENV, "en")
    assert "0 个错误，" in validate(runner, "--lang", "zh")[1]


@pytest.mark.usefixtures("no_env")
def test_json_keeps_english_keys_and_codes(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["--lang", "zh", "validate", "-i", str(EXAMPLE), "--format", "json"]
    )
    doc = json.loads(result.stdout)
    assert {"valid", "errors", "warnings", "problems"} <= doc.keys()
    problem = doc["problems"][0]
    assert set(problem) == {"severity", "code", "message", "location", "yaml_path"}
    assert problem["severity"] == "warning" and problem["code"] == "secret-unset"
    assert "未在环境变量中设置" in problem["message"]


def test_an_unknown_language_is_refused_by_name(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(i18n.ENV, "fr")
    code, _out, err = validate(runner)
    assert code == 2
    assert "PROVISION_LANG" in err and "unknown language 'fr'" in err
    assert runner.invoke(cli, ["--lang", "fr", "validate"]).exit_code == 2


def test_the_schema_names_the_locales(english_city: Path, runner: CliRunner) -> None:
    text = (english_city / "city.yaml").read_text(encoding="utf-8")
    (english_city / "city.yaml").write_text(text + "locale: fr\n", encoding="utf-8")
    code, out, _err = validate(runner, "--lang", "en", inventory=english_city)
    assert code == 1
    assert "city.yaml:" in out and "locale" in out


@pytest.mark.usefixtures("no_env")
def test_a_command_leaves_the_language_it_found(runner: CliRunner) -> None:
    assert i18n.current() == i18n.ENGLISH
    assert "个警告" in validate(runner)[1]  # the city spoke Chinese for this command only
    assert i18n.current() == i18n.ENGLISH
    assert i18n._("{errors} error(s), {warnings} warning(s)").startswith("{errors} error")


def test_the_compiled_catalog_is_cached_by_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    i18n._load.cache_clear()
    try:
        with i18n.speaking("zh"):
            assert i18n._("none") == "无"
        (mo,) = (tmp_path / "provision" / "locale").glob("*/zh_CN/LC_MESSAGES/provision.mo")
        assert mo.stat().st_size > 1000
    finally:
        i18n._load.cache_clear()


def test_no_writable_cache_compiles_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "cache"))
    i18n._load.cache_clear()
    try:
        with i18n.speaking("zh"):
            assert i18n._("none") == "无"
    finally:
        i18n._load.cache_clear()


@pytest.mark.parametrize(
    ("name", "expected"),
    [("zh", "zh_CN"), ("zh-CN", "zh_CN"), ("zh_CN.UTF-8", "zh_CN"), ("en-US", "en"), ("C", "en")],
)
def test_language_names(name: str, expected: str) -> None:
    assert i18n.normalise(name) == expected


def test_dask_workers_write_in_the_clients_language(tmp_path: Path) -> None:
    from provision.errors import InventoryError
    from provision.lab.connector import LabConnector
    from provision.verify.dask_runner import WorkerJob, audit_on_worker
    from provision.verify.school import AuditJob

    city = load_inventory(EXAMPLE).city
    with i18n.speaking("zh"):
        job = WorkerJob.of(str(tmp_path / "nowhere"), AuditJob(city, LabConnector(), ()))
    assert job.language == i18n.CHINESE
    try:
        with pytest.raises(InventoryError, match=r"工作节点 .* 的 .* 下没有清单"):
            audit_on_worker(job, "dl-zs-h024", "digest")
    finally:
        i18n.activate(i18n.ENGLISH)  # a worker keeps the language of its run; this process not
