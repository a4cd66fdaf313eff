"""`xietong import FILE [--dry-run]` and `xietong export [FILE]`."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from xietong.common import clock
from xietong.org.models import Department
from xietong.packages.exporter import package_export
from xietong.packages.tests.helpers import db_snapshot, package

pytestmark = pytest.mark.django_db

XIETONG = Path(sys.executable).with_name("xietong")

BAD = """
    version: 1
    organization:
      name: 测试公司
      language: fr
    departments:
      - {code: A, name: 甲, parent: B}
      - {code: B, name: 乙, parent: A}
      - {code: C, name: 丙, head: ghost, active: yes}
"""

GOOD = """
    version: 1
    organization: {name: 华东精密制造有限公司}
    departments:
      - {code: QA, name: 质量部, parent: GM}
      - {code: SALES, name: 市场部, parent: GM}
    people:
      - {username: qa1, name: 质检员, department: QA}
"""


def run_import(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_of_a_bad_file_prints_every_problem_and_fails(world, tmp_path):
    # given
    path = tmp_path / "bad.yaml"
    path.write_bytes(package(BAD))
    before = db_snapshot()
    err = StringIO()
    # when
    with pytest.raises(CommandError) as failed:
        call_command("import", str(path), stdout=StringIO(), stderr=err)
    # then
    assert failed.value.returncode == 1
    assert str(failed.value) == "4 problems found; nothing was imported."
    assert err.getvalue().splitlines() == [
        f"{path}: organization.language (line 4): “fr” is not one of: zh-hans, en",
        f"{path}: departments[0].parent (line 6): the parent links form a cycle: A → B → A",
        f"{path}: departments[2].active (line 8): “yes” is not a boolean; write true or false",
        f"{path}: departments[2].head (line 8): “ghost” is not a person of the organization"
        " (listed in people, with a department)",
    ]
    assert db_snapshot() == before


def test_import_of_a_good_file_reports_the_counts_then_nothing_to_change(world, tmp_path):
    # given
    path = tmp_path / "good.yaml"
    path.write_bytes(package(GOOD))
    # when
    first, _err = run_import(str(path))
    second, _err = run_import(str(path))
    # then
    assert first.splitlines() == [
        "departments: 1 created, 1 updated",
        "people: 1 created, 0 updated",
        f"Imported: {path}",
    ]
    assert second.splitlines() == [
        "Nothing to change: the database already matches the file.",
        f"Imported: {path}",
    ]
    assert Department.objects.get(code="SALES").name == "市场部"


def test_import_dry_run_reports_the_changes_and_writes_nothing(world, tmp_path):
    # given
    path = tmp_path / "good.yaml"
    path.write_bytes(package(GOOD))
    before = db_snapshot()
    # when
    out, _err = run_import(str(path), "--dry-run")
    # then
    assert out.splitlines() == [
        "departments: 1 created, 1 updated",
        "people: 1 created, 0 updated",
        f"Checked (dry run, nothing written): {path}",
    ]
    assert db_snapshot() == before


def test_import_of_a_missing_file_fails_cleanly(world, tmp_path):
    # given
    before = db_snapshot()
    # when
    with pytest.raises(CommandError) as failed:
        run_import(str(tmp_path / "missing.yaml"))
    # then
    assert str(failed.value) == f"cannot read {tmp_path / 'missing.yaml'}: No such file or directory"
    assert db_snapshot() == before


def test_import_reads_standard_input(world, monkeypatch):
    # given
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(package(GOOD))))
    # when
    out, _err = run_import("-")
    # then
    assert out.splitlines()[-1] == "Imported: -"
    assert Department.objects.get(code="QA").name == "质量部"


def test_export_writes_the_package_for_the_local_date(world, tmp_path):
    # given 2026-12-31 17:00 UTC is already 2027-01-01 in Shanghai
    path = tmp_path / "out.yaml"
    # when
    with clock.freeze(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)):
        call_command("export", str(path))
    # then
    assert path.read_text(encoding="utf-8") == package_export(today=date(2027, 1, 1))


def test_export_to_standard_output_imports_back_with_no_changes(world, tmp_path):
    # given
    out = StringIO()
    call_command("export", stdout=out)
    path = tmp_path / "export.yaml"
    path.write_text(out.getvalue(), encoding="utf-8")
    before = db_snapshot()
    # when
    result, _err = run_import(str(path))
    # then
    assert result.splitlines()[0] == "Nothing to change: the database already matches the file."
    assert db_snapshot() == before


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # never the developer's database
    env["XIETONG_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(
        [str(XIETONG), *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False
    )


def test_the_cli_exits_1_and_prints_each_problem_as_file_path_line_message(tmp_path):
    # given a fresh installation and two files that cannot be imported
    # (the CLI speaks the default language, Simplified Chinese)
    assert _cli(tmp_path, "migrate", "--no-input").returncode == 0
    garbage = tmp_path / "garbage.yaml"
    garbage.write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "bad.yaml").write_bytes(package(BAD))
    # when
    garbage_run = _cli(tmp_path, "import", str(garbage))
    bad_run = _cli(tmp_path, "import", "bad.yaml")
    # then
    assert garbage_run.returncode == 1
    lines = garbage_run.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{garbage}: 第 1 行：")
    assert lines[1].startswith("CommandError: ")
    assert bad_run.returncode == 1
    lines = bad_run.stderr.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == ["bad.yaml"] * 4 + ["CommandError"]
    assert [line.split(": ", 1)[1].split("：", 1)[0] for line in lines[:4]] == [
        "organization.language（第 4 行）",
        "departments[0].parent（第 6 行）",
        "departments[2].active（第 8 行）",
        "departments[2].head（第 8 行）",
    ]
    assert "A → B → A" in lines[1]
    assert "“ghost”" in lines[3]


def test_import_shows_its_phases_with_progress(tmp_path):
    # given
    path = tmp_path / "ok.yaml"
    path.write_text("version: 1\norganization: {name: 测试公司}\ndepartments:\n  - {code: A, name: 甲}\n", "utf-8")
    # when
    with translation.override("en"):
        _out, err = run_import(str(path), "--progress")
    # then: each phase once, with the elapsed time
    phases = [line.split("] ", 1)[1] for line in err.splitlines()]
    assert phases[0] == "Reading the file"
    assert "Writing: departments" in phases
    assert phases[-1] == "Done"
    assert len(phases) == len(set(phases))
