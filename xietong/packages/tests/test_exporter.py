"""Export: a package that imports into an empty database with the same state, and back to the same text."""

from __future__ import annotations

from datetime import date

import pytest

from xietong.org.models import Department, Organization, Person
from xietong.org.tests.factories import CommitteeFactory, DepartmentFactory, PersonFactory
from xietong.packages.document import load_document
from xietong.packages.exporter import package_export
from xietong.packages.importer import package_import
from xietong.packages.tests.helpers import db_snapshot, empty_database, package

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 1)
DEPARTMENT_FIELDS = (
    "code",
    "name",
    "parent__code",
    "head__username",
    "liaison__username",
    "deputy_liaison__username",
    "is_active",
)
PERSON_FIELDS = (
    "username",
    "name",
    "department__code",
    "title",
    "level",
    "email",
    "is_admin",
    "is_coordinator",
    "is_active",
)


@pytest.fixture
def fuller_world(world):
    """The world, with what export must not lose: a closed department, a person who left, a committee,
    e-mail and titles, a department's own schedule, and codes YAML 1.1 would misread."""
    closed = DepartmentFactory(code="OLD", name="旧事业部", parent=world.gm, is_active=False)
    PersonFactory(username="gone", name="离职者", department=closed, is_active=False, title="前经理", level="manager")
    PersonFactory(
        username="on", name="欧恩", department=DepartmentFactory(code="NO", name="诺部"), email="on@example.com"
    )
    hotline = DepartmentFactory(
        code="0012",
        name="热线组",
        parent=world.sales,
        schedule={"working_hours": ["00:00-24:00"], "days": "all", "holidays": ["2026-02-17"], "workdays": []},
    )
    factory = DepartmentFactory(
        code="PLANT",
        name="工厂",
        parent=world.gm,
        schedule={"working_hours": ["08:00-12:00", "13:00-17:00"], "days": "cn", "workdays": ["2026-10-07"]},
        deputy_liaison=world.employee,
    )
    CommitteeFactory(code="XT", name="协调委员会", chair=world.admin, members=[world.head, world.other_department])
    world.gm.head = world.admin
    world.gm.save(update_fields=["head"])
    return world, hotline, factory


def test_export_then_import_into_an_empty_database_exports_the_same_text(fuller_world):
    # given
    exported = package_export(today=TODAY)
    empty_database()
    # when
    package_import(raw=exported.encode())
    # then
    assert package_export(today=TODAY) == exported


def test_an_exported_file_reimports_with_zero_changes(fuller_world):
    # given
    before = db_snapshot()
    exported = package_export(today=TODAY)
    # when
    result = package_import(raw=exported.encode())
    # then
    assert result.changes == []
    assert db_snapshot() == before


def test_export_then_import_into_an_empty_database_gives_the_same_rows(fuller_world):
    # given
    departments = list(Department.objects.order_by("code").values_list(*DEPARTMENT_FIELDS))
    people = list(Person.objects.order_by("username").values_list(*PERSON_FIELDS))
    exported = package_export(today=TODAY)
    empty_database()
    # when
    package_import(raw=exported.encode())
    # then
    assert list(Department.objects.order_by("code").values_list(*DEPARTMENT_FIELDS)) == departments
    assert list(Person.objects.order_by("username").values_list(*PERSON_FIELDS)) == people
    assert Department.objects.get(code="0012").schedule == {
        "working_hours": ["00:00-24:00"],
        "days": "all",
        "holidays": ["2026-02-17"],
        "workdays": [],
    }


def test_export_writes_closed_departments_and_former_people_as_inactive(fuller_world):
    # when
    data = load_document(package_export(today=TODAY).encode()).data
    # then
    assert data["departments"] == [
        {"code": "GM", "name": "总经办", "head": "admin"},
        {"code": "OLD", "name": "旧事业部", "parent": "GM", "active": "false"},
        {
            "code": "PLANT",
            "name": "工厂",
            "parent": "GM",
            "deputy_liaison": "employee",
            "schedule": data["departments"][2]["schedule"],
        },
        {"code": "RD", "name": "研发中心", "parent": "GM", "head": "head", "liaison": "liaison"},
        {"code": "RD-HW", "name": "硬件研发部", "parent": "RD"},
        {"code": "SALES", "name": "销售部", "parent": "GM"},
        {
            "code": "0012",
            "name": "热线组",
            "parent": "SALES",
            "schedule": {
                "working_hours": ["00:00-24:00"],
                "days": "all",
                "holidays": ["2026-02-17"],
                "workdays": [],
            },
        },
        {"code": "NO", "name": "诺部"},
    ]
    assert data["people"][-3:] == [
        {"username": "admin", "name": "黎俊杰", "department": "GM", "roles": ["admin"]},
        {
            "username": "gone",
            "name": "离职者",
            "department": "OLD",
            "title": "前经理",
            "level": "manager",
            "active": "false",
        },
        {"username": "on", "name": "欧恩", "department": "NO", "email": "on@example.com"},
    ]
    assert data["committees"] == [{"code": "XT", "name": "协调委员会", "chair": "admin", "members": ["head", "other"]}]


def test_export_quotes_the_values_yaml_would_misread(fuller_world):
    # when
    text = package_export(today=TODAY)
    # then
    assert '  - code: "NO"\n    name: 诺部\n' in text
    assert '  - code: "0012"\n    name: 热线组\n' in text
    assert '  - {username: "on", name: 欧恩, department: "NO", email: on@example.com}\n' in text
    assert "    active: false\n" in text
    assert '        - "2026-02-16"\n' in text


def test_a_cn_schedule_is_exported_with_the_official_days_of_this_year_and_the_next(fuller_world):
    # when
    data = load_document(package_export(today=TODAY).encode()).data
    # then
    schedule = data["organization"]["schedule"]
    assert schedule["working_hours"] == ["09:00-12:00", "13:00-18:00"]
    assert schedule["days"] == "cn"
    assert "2026-02-16" in schedule["holidays"]  # Spring Festival
    assert "2026-10-01" in schedule["holidays"]
    assert "2027-01-01" in schedule["holidays"]
    assert {"2026-02-14", "2026-02-28"} <= set(schedule["workdays"])  # make-up Saturdays
    assert {d[:4] for d in schedule["holidays"]} == {"2026", "2027"}
    assert {d[:4] for d in schedule["workdays"]} <= {"2026", "2027"}
    assert schedule["holidays"] == sorted(schedule["holidays"])


def test_a_department_cn_schedule_keeps_its_own_exceptions_over_the_official_days(fuller_world):
    # when
    data = load_document(package_export(today=TODAY).encode()).data
    # then the plant works on 2026-10-07, an official day off
    plant = next(d for d in data["departments"] if d["code"] == "PLANT")
    assert plant["schedule"]["working_hours"] == ["08:00-12:00", "13:00-17:00"]
    assert "2026-10-07" in plant["schedule"]["workdays"]
    assert "2026-10-07" not in plant["schedule"]["holidays"]
    assert "2026-10-06" in plant["schedule"]["holidays"]
    assert "2026-02-28" in plant["schedule"]["workdays"]


def test_the_exported_years_follow_the_today_parameter(world):
    # when
    data = load_document(package_export(today=date(2027, 12, 31)).encode()).data
    # then
    holidays = data["organization"]["schedule"]["holidays"]
    assert {d[:4] for d in holidays} == {"2027", "2028"}


def test_an_imported_cn_schedule_is_stored_as_written(world):
    # given a file that lists the official days explicitly, as export does
    raw = package(
        """
        version: 1
        organization:
          name: 华东精密制造有限公司
          schedule: {days: cn, holidays: ["2026-02-16", "2026-12-31"], workdays: ["2026-02-14"]}
        departments: []
        """
    )
    # when
    result = package_import(raw=raw)
    # then only the day that is not an official one makes a difference, but the file is kept as written
    assert [(c.key, c.fields) for c in result.changes] == [
        (
            "华东精密制造有限公司",
            {
                "schedule": [
                    {"working_hours": ["09:00-12:00", "13:00-18:00"], "days": "cn"},
                    {
                        "working_hours": ["09:00-12:00", "13:00-18:00"],
                        "days": "cn",
                        "holidays": ["2026-02-16", "2026-12-31"],
                        "workdays": ["2026-02-14"],
                    },
                ]
            },
        )
    ]
    assert Organization.objects.get().schedule["holidays"] == ["2026-02-16", "2026-12-31"]
