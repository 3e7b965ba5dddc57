"""The lab, history, schema, state and hostkey commands speak Chinese under --lang zh: their
results and the errors a user meets (no lab running, a mistyped fault, an empty journal).

No lab is started: each case is one a user meets without one, in-process through CliRunner.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from provision.cli.main import cli


def zh(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--lang", "zh", *args], prog_name="provision")
    return result.exit_code, result.stdout, result.stderr


def test_lab_without_a_lab(tmp_path: Path) -> None:
    code, out, _err = zh("lab", "down", "--state-dir", str(tmp_path))
    assert code == 0 and out == "没有正在运行的实验环境\n"
    code, _out, err = zh("lab", "status", "--state-dir", str(tmp_path))
    assert code == 1
    assert "没有正在运行的实验环境（没有有效的" in err and "provision lab up -i DIR" in err


def test_a_mistyped_fault_is_refused_in_chinese(tmp_path: Path) -> None:
    code, _out, err = zh("lab", "fault", "x/cam", "obstruct=true", "--state-dir", str(tmp_path))
    assert code == 2
    assert "未知故障 'obstruct'；是否想用 obstructed？可用故障：" in err
    code, _out, err = zh("lab", "fault", "x/cam", "latency_ms=-5", "--state-dir", str(tmp_path))
    assert code == 2 and "latency_ms='-5'：应为 0 到 3600000 之间的整数" in err


def test_history_schema_and_state(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite"
    code, out, err = zh("history", "--state", str(journal))
    assert code == 0 and out == "" and "中没有运行记录" in err
    code, _out, err = zh("schema", "--out", str(tmp_path / "schemas"))
    assert code == 0 and f"已写入 {tmp_path / 'schemas' / 'city.schema.json'}" in err
    code, _out, err = zh("state", "migrate", "--from", str(journal), "--to", "x.sqlite")
    assert code == 1 and "migrate 只复制到 PostgreSQL：请传入 --to postgresql://…" in err


def test_hostkey_forget_an_unknown_key(tmp_path: Path) -> None:
    hosts = tmp_path / "known_hosts"
    hosts.write_text("", encoding="utf-8")
    code, _out, err = zh("hostkey", "forget", "10.34.17.2", "--known-hosts", str(hosts))
    assert code == 1 and f"{hosts} 中没有 10.34.17.2 的密钥" in err
