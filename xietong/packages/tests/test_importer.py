"""The import framework: files that cannot be read, all-or-nothing, every problem sorted by line,
dry runs, partial files, unsupported sections."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xietong.org.models import Department, Organization, Person
from xietong.org.selectors import ORG_CACHE_KEY, organization_get
from xietong.packages.importer import ImportFailed, package_import
from xietong.packages.tests.helpers import db_snapshot, import_problems, package

pytestmark = pytest.mark.django_db


def test_bytes_that_are_not_text_are_refused(world):
    # given
    before = db_snapshot()
    # when
    problems = import_problems(b"\xff\xfe\x00garbage")
    # then
    assert problems == [
        "line 1: the file is not UTF-8 text (byte 0xFF at byte offset 0 is not valid UTF-8);"
        " save it with the UTF-8 encoding"
    ]
    assert db_snapshot() == before


@pytest.mark.parametrize("raw", [b"", b"\n  \n", b"# only a comment\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(world, raw):
    # given
    before = db_snapshot()
    # when
    problems = import_problems(raw)
    # then
    assert problems == ["the file is empty"]
    assert db_snapshot() == before


def test_a_yaml_syntax_error_is_reported_with_its_line(world):
    # given
    before = db_snapshot()
    raw = package(
        """
        version: 1
        organization:
          name: 测试公司
        departments:
          - {code: GM, name: 总经办
        people: []
        """
    )
    # when
    problems = import_problems(raw)
    # then
    assert problems == [
        "line 6: invalid YAML at column 7: did not find expected ',' or '}'"
        " (while parsing a flow mapping that starts on line 5)"
    ]
    assert db_snapshot() == before


def test_a_file_that_is_a_list_is_refused(world):
    # given
    before = db_snapshot()
    # when
    problems = import_problems(b"- version: 1\n")
    # then
    assert problems == [
        "line 1: the file must contain a mapping of top-level keys (such as “version:” and “organization:”),"
        " but it contains a list"
    ]
    assert db_snapshot() == before


def test_a_duplicated_key_is_an_error(world):
    # given
    before = db_snapshot()
    raw = package(
        """
        version: 1
        organization: {name: 测试公司}
        departments:
          - {code: GM, name: 总经办, name: 总经理办公室}
        """
    )
    # when
    problems = import_problems(raw)
    # then
    assert problems == ["departments[0].name (line 4): duplicate key “name” (first defined on line 4)"]
    assert db_snapshot() == before


def test_the_required_top_level_keys_are_checked(world):
    # given
    before = db_snapshot()
    # when
    problems = import_problems(b"people: []\n")
    # then
    assert problems == [
        "line 1: missing required key “version”",
        "line 1: missing required key “organization”",
        "line 1: missing required key “departments”",
    ]
    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("version", "problem"),
    [
        ("2", "version (line 1): this is format version 2; xietong reads version 1"),
        ("1.0", "version (line 1): “1.0” is not a whole number"),
        ('"one"', "version (line 1): “one” is not a whole number"),
        ("[1]", "version (line 1): expected text, found a list"),
    ],
)
def test_only_format_version_1_is_read(world, version, problem):
    # given
    before = db_snapshot()
    raw = f"version: {version}\norganization: {{name: 测试公司}}\ndepartments: []\n".encode()
    # when
    problems = import_problems(raw)
    # then
    assert problems == [problem]
    assert db_snapshot() == before


def test_sections_not_supported_yet_are_refused_by_name(world):
    # given
    before = db_snapshot()
    raw = package(
        """
        version: 1
        organization: {name: 测试公司}
        departments: []
        processes: []
        escalation_ladders: []
        meeting_series: []
        projects: []
        records:
          cases: []
          disputes: []
          notices: []
          surveys: []
          archive: []
        """
    )
    # when
    problems = import_problems(raw)
    # then
    not_yet = "is not supported by this version of xietong yet"
    assert problems == [
        f"meeting_series (line 6): the section “meeting_series” {not_yet}",
        f"projects (line 7): the section “projects” {not_yet}",
        f"records.surveys (line 12): the section “records.surveys” {not_yet}",
        "records.archive (line 13): unknown key “archive”;"
        " the keys allowed here are: cases, disputes, notices, surveys",
    ]
    assert db_snapshot() == before


def test_every_problem_of_a_file_is_reported_sorted_by_line(world):
    # given problems found while reading (in section order) and while checking references (later),
    # in a file whose sections are not in the format's order
    before = db_snapshot()
    raw = package(
        """
        committees:
          - {code: XT, name: 协调委员会, members: [ghost]}
        people:
          - {username: a1, name: 甲, department: NOWHERE, level: boss}
        version: 1
        organization:
          name: 测试公司
          languag: en
        departments:
          - {code: QA, name: 质量部, parent: QA}
          - {code: QA, name: 质量部二}
          - {code: PM, name: [项目部], active: yes}
        x-notes: ignored by xietong
        """
    )
    # when
    problems = import_problems(raw)
    # then
    assert problems == [
        "committees[0].members[0] (line 2): “ghost” is not a person of the organization",
        "people[0].department (line 4): no department has the code “NOWHERE”",
        "people[0].level (line 4): “boss” is not one of: staff, manager, executive",
        "organization.languag (line 8): unknown key “languag”; did you mean “language”?",
        "departments[0].parent (line 10): the parent links form a cycle: QA → QA",
        "departments[1].code (line 11): duplicate department code “QA” (first defined at departments[0].code)",
        "departments[2].active (line 12): “yes” is not a boolean; write true or false",
        "departments[2].name (line 12): expected text, found a list",
    ]
    assert db_snapshot() == before


def test_a_json_file_is_accepted():
    # given
    raw = json.dumps(
        {
            "version": 1,
            "organization": {"name": "测试公司", "language": "en"},
            "departments": [{"code": "0012", "name": "一部", "active": True}],
            "people": [{"username": "on", "name": "张三", "department": "0012"}],
        },
        ensure_ascii=False,
    ).encode()
    # when
    result = package_import(raw=raw)
    # then
    assert result.counts() == {"organization": {"create": 1}, "departments": {"create": 1}, "people": {"create": 1}}
    assert Organization.objects.get().language == "en"
    assert list(Department.objects.values_list("code", "name", "is_active")) == [("0012", "一部", True)]
    assert list(Person.objects.values_list("username", "department__code")) == [("on", "0012")]


def test_a_dry_run_reports_the_changes_and_writes_nothing(world):
    # given
    before = db_snapshot()
    raw = package(
        """
        version: 1
        organization: {name: 华东精密制造有限公司}
        departments:
          - {code: QA, name: 质量部, parent: GM, head: other}
          - {code: SALES, name: 市场部, parent: GM}
        """
    )
    # when
    result = package_import(raw=raw, dry_run=True)
    # then
    assert result.dry_run is True
    assert [(c.section, c.key, c.action, c.fields) for c in result.changes] == [
        (
            "departments",
            "QA",
            "create",
            {"name": [None, "质量部"], "parent": [None, "GM"], "is_active": [None, True], "head": [None, "other"]},
        ),
        ("departments", "SALES", "update", {"name": ["销售部", "市场部"]}),
    ]
    assert db_snapshot() == before


def test_a_partial_file_needs_no_organization_but_a_full_import_does(world):
    # given
    before = db_snapshot()
    raw = package(
        """
        departments:
          - {code: QA, name: 质量部, parent: GM}
        """
    )
    # when
    problems = import_problems(raw)
    result = package_import(raw=raw, partial=True)
    # then
    assert problems == [
        "line 1: missing required key “version”",
        "line 1: missing required key “organization”",
    ]
    assert [(c.key, c.action) for c in result.changes] == [("QA", "create")]
    assert Department.objects.get(code="QA").parent == world.gm
    assert Organization.objects.get().name == before["organization"][0]["name"]


def test_a_failing_apply_rolls_back_everything(world, monkeypatch):
    # given a section that fails while writing, after the others wrote
    from xietong.org.package import PeopleSection

    def fail(self, ctx):
        raise RuntimeError("disk full")

    monkeypatch.setattr(PeopleSection, "apply", fail)
    before = db_snapshot()
    raw = package(
        """
        version: 1
        organization: {name: 新名字}
        departments:
          - {code: QA, name: 质量部}
        people:
          - {username: qa1, name: 质检员, department: QA}
        """
    )
    # when
    with pytest.raises(RuntimeError):
        package_import(raw=raw)
    # then
    assert db_snapshot() == before


def test_an_import_refreshes_the_cached_organization(world, django_capture_on_commit_callbacks):
    # given the organization is cached (the language middleware reads it on every request)
    assert organization_get().language == "zh-hans"
    raw = package(
        """
        version: 1
        organization: {name: 华东精密制造有限公司, language: en}
        departments: []
        """
    )
    # when
    with django_capture_on_commit_callbacks(execute=True):
        package_import(raw=raw)
    # then
    assert cache.get(ORG_CACHE_KEY) is None
    assert organization_get().language == "en"


def test_a_dry_run_leaves_the_cached_organization_alone(world, django_capture_on_commit_callbacks):
    # given
    organization_get()
    raw = package(
        """
        version: 1
        organization: {name: 华东精密制造有限公司, language: en}
        departments: []
        """
    )
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        package_import(raw=raw, dry_run=True)
    # then
    assert callbacks == []
    assert cache.get(ORG_CACHE_KEY).language == "zh-hans"


def _org_of(size: int) -> bytes:
    departments = "\n".join(f"  - {{code: D{i}, name: 部门{i}, parent: ROOT, head: p{i}}}" for i in range(size))
    people = "\n".join(f"  - {{username: p{i}, name: 员工{i}, department: D{i}}}" for i in range(size))
    return (
        "version: 1\norganization: {name: 测试公司}\n"
        f"departments:\n  - {{code: ROOT, name: 总部}}\n{departments}\npeople:\n{people}\n"
    ).encode()


def test_the_queries_of_an_import_do_not_grow_with_the_number_of_rows(db):
    # given two files small enough for one batch of each bulk write (SQLite limits a query's parameters),
    # and the content types of the audit trail cached
    package_import(raw=_org_of(1), dry_run=True)
    # when
    with CaptureQueriesContext(connection) as small:
        package_import(raw=_org_of(5), dry_run=True)
    with CaptureQueriesContext(connection) as large:
        package_import(raw=_org_of(20), dry_run=True)
    # then
    # (people: one query reserves their ids, one inserts them; PostgreSQL's COPY, which writes the
    # people and the audit trail there, bypasses Django's query log)
    expected = 20 if connection.vendor == "sqlite" else 18
    assert len(large.captured_queries) == len(small.captured_queries) == expected


def test_an_import_pauses_the_cycle_collector_and_turns_it_back_on(db):
    # given
    import gc

    seen = []
    # when
    package_import(raw=_org_of(2), progress=lambda *_args: seen.append(gc.isenabled()))
    # then
    assert seen
    assert not any(seen)
    assert gc.isenabled()
    # and a failed import turns it back on too
    with pytest.raises(ImportFailed):
        package_import(raw=b"version: 1\n", progress=lambda *_args: seen.append(gc.isenabled()))
    assert not any(seen)
    assert gc.isenabled()


def test_a_large_import_refreshes_postgresqls_statistics(db, monkeypatch):
    # given a threshold the test file reaches
    from xietong.packages import importer

    monkeypatch.setattr(importer, "ANALYZE_AFTER", 3)
    # when
    with CaptureQueriesContext(connection) as queries:
        package_import(raw=_org_of(3))
    # then: on PostgreSQL only, once, after the writes
    analyzed = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]
    assert analyzed == (["ANALYZE"] if connection.vendor == "postgresql" else [])
