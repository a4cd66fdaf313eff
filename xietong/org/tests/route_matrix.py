"""The org app's rows of the role × route matrix (tests/test_route_matrix.py): its pages and its API.

Everyone signed in reads the directory; coordinators and administrators edit departments, people and
committees on the pages; administrators alone set passwords, (de)activate people, change the
organization settings and write through the API. Unknown ids are 404 for every signed-in role.
Anonymous visitors are sent to sign in (pages) or refused with 403 (API: DRF answers 403, not 401,
because the first authentication class, SessionAuthentication, sends no WWW-Authenticate header).
"""

from __future__ import annotations

from typing import Any

from xietong.common.testing.routes import UNKNOWN_ID, Route, admins, by_role, managers, signed_in
from xietong.org.models import Committee, Department, Organization, Person
from xietong.org.tests.factories import CommitteeFactory, PersonFactory

API_ANONYMOUS = 403  # NotAuthenticated without a WWW-Authenticate header


def committee(world: Any) -> Committee:
    """The coordination committee (made on first use: the world fixture has no committee)."""
    existing = Committee.objects.filter(code="COORD").first()
    if existing is not None:
        return existing
    return CommitteeFactory(code="COORD", name="协调委员会", chair=world.coordinator, members=[world.coordinator])


def outsider(world: Any) -> Person:
    """An account outside the organization (a superuser made with createsuperuser: no department)."""
    existing = Person.objects.filter(username="root").first()
    if existing is not None:
        return existing
    return PersonFactory(username="root", name="root", department=None, is_superuser=True)


def _pk(obj: Any) -> dict[str, Any]:
    return {"pk": obj.pk}


def _unknown(world: Any) -> dict[str, Any]:
    return {"pk": UNKNOWN_ID}


def department_state(world: Any) -> dict[str, Any]:
    return Department.objects.filter(pk=world.rd.pk).values().get()


def departments_state(world: Any) -> list[str]:
    return list(Department.objects.values_list("code", flat=True))


def person_state(world: Any) -> dict[str, Any]:
    return Person.objects.filter(pk=world.employee.pk).values().get()


def committee_state(world: Any) -> tuple[dict[str, Any], list[str]]:
    c = committee(world)
    return Committee.objects.filter(pk=c.pk).values().get(), sorted(c.members.values_list("username", flat=True))


def organization_state(world: Any) -> dict[str, Any]:
    return Organization.objects.filter(pk=1).values().get()


def department_form(world: Any) -> dict[str, Any]:
    return {
        "code": "RD",
        "name": "研发中心（改）",
        "parent": world.gm.pk,
        "head": world.head.pk,
        "liaison": world.liaison.pk,
        "is_active": "on",
        "schedule-days": "cn",
    }


def new_department_form(world: Any) -> dict[str, Any]:
    return {"code": "QA", "name": "质量部", "parent": world.gm.pk, "is_active": "on", "schedule-days": "cn"}


def person_form(world: Any) -> dict[str, Any]:
    return {"name": "王建国", "department": world.rd_hw.pk, "title": "高级工程师", "level": "staff", "email": ""}


def new_person_form(world: Any) -> dict[str, Any]:
    return {"username": "newbie", "name": "新同事", "department": world.rd_hw.pk, "level": "staff"}


def committee_form(world: Any) -> dict[str, Any]:
    return {
        "code": "COORD",
        "name": "协调委员会（改）",
        "chair": world.coordinator.pk,
        "members": [world.coordinator.pk, world.head.pk],
    }


def new_committee_form(world: Any) -> dict[str, Any]:
    return {"code": "QC", "name": "质量委员会", "chair": world.head.pk, "members": [world.head.pk]}


def organization_form(world: Any) -> dict[str, Any]:
    return {
        "name": "华东精密（改名）",
        "timezone": "Asia/Shanghai",
        "language": "zh-hans",
        "schedule-working_hours": "09:00-12:00, 13:00-18:00",
        "schedule-days": "cn",
    }


def _rd(world: Any) -> dict[str, Any]:
    return _pk(world.rd)


def _employee(world: Any) -> dict[str, Any]:
    return _pk(world.employee)


def _committee(world: Any) -> dict[str, Any]:
    return _pk(committee(world))


def _outsider(world: Any) -> dict[str, Any]:
    return _pk(outsider(world))


PAGES = [
    Route("org:department_tree", expect=signed_in(200)),
    Route("org:department_tree", label="with closed", data=lambda w: {"closed": "1"}, expect=signed_in(200)),
    Route("org:search", data=lambda w: {"q": "建国"}, expect=signed_in(200)),
    # Organization settings: administrators only.
    Route("org:organization_edit", expect=admins(200)),
    Route(
        "org:organization_edit",
        method="post",
        data=organization_form,
        expect=admins(302),
        state=organization_state,
    ),
    # Departments.
    Route("org:department_create", expect=managers(200)),
    Route(
        "org:department_create",
        method="post",
        data=new_department_form,
        expect=managers(302),
        state=departments_state,
    ),
    Route("org:department_detail", kwargs=_rd, expect=signed_in(200)),
    Route("org:department_detail", label="unknown id", kwargs=_unknown, expect=signed_in(404)),
    Route("org:department_edit", kwargs=_rd, expect=managers(200)),
    Route(
        "org:department_edit",
        method="post",
        kwargs=_rd,
        data=department_form,
        expect=managers(302),
        state=department_state,
    ),
    Route("org:department_edit", label="unknown id", kwargs=_unknown, expect=signed_in(404)),
    Route(
        "org:department_edit",
        method="post",
        label="unknown id",
        kwargs=_unknown,
        data=department_form,
        expect=signed_in(404),
        state=department_state,
    ),
    # People.
    Route("org:person_list", expect=signed_in(200)),
    Route("org:person_list", label="with people who left", data=lambda w: {"inactive": "1"}, expect=signed_in(200)),
    Route("org:person_create", expect=managers(200)),
    Route(
        "org:person_create",
        method="post",
        data=new_person_form,
        expect=managers(302),
        state=lambda w: list(Person.objects.values_list("username", flat=True)),
    ),
    Route("org:person_detail", kwargs=_employee, expect=signed_in(200)),
    Route("org:person_detail", label="unknown id", kwargs=_unknown, expect=signed_in(404)),
    Route(
        "org:person_detail",
        label="account outside the organization",
        kwargs=_outsider,
        expect=admins(200, others=404),
    ),
    Route("org:person_edit", kwargs=_employee, expect=managers(200)),
    Route(
        "org:person_edit",
        method="post",
        kwargs=_employee,
        data=person_form,
        expect=managers(302),
        state=person_state,
    ),
    Route("org:person_edit", label="unknown id", kwargs=_unknown, expect=signed_in(404)),
    Route(
        "org:person_edit",
        label="account outside the organization",
        kwargs=_outsider,
        expect=by_role(anonymous=302, employee=404, other_department=404, head=404, coordinator=404, admin=200),
    ),
    Route(
        "org:person_set_password",
        method="post",
        kwargs=_employee,
        data=lambda w: {"password": "N3w-secret-pass"},
        expect=admins(302),
        state=lambda w: Person.objects.filter(pk=w.employee.pk).values_list("password", flat=True).get(),
    ),
    Route("org:person_set_password", label="GET", kwargs=_employee, expect=signed_in(405)),
    Route(
        "org:person_set_password",
        method="post",
        label="unknown id",
        kwargs=_unknown,
        data=lambda w: {"password": "N3w-secret-pass"},
        expect=signed_in(404),
    ),
    Route(
        "org:person_set_active",
        method="post",
        kwargs=_employee,
        data=lambda w: {"active": "0"},
        expect=admins(302),
        state=lambda w: Person.objects.filter(pk=w.employee.pk).values_list("is_active", flat=True).get(),
    ),
    Route("org:person_set_active", label="GET", kwargs=_employee, expect=signed_in(405)),
    Route(
        "org:person_set_active",
        method="post",
        label="unknown id",
        kwargs=_unknown,
        data=lambda w: {"active": "0"},
        expect=signed_in(404),
    ),
    # Committees.
    Route("org:committee_list", expect=signed_in(200)),
    Route("org:committee_create", expect=managers(200)),
    Route(
        "org:committee_create",
        method="post",
        data=new_committee_form,
        expect=managers(302),
        state=lambda w: list(Committee.objects.values_list("code", flat=True)),
    ),
    Route("org:committee_detail", kwargs=_committee, expect=signed_in(200)),
    Route("org:committee_detail", label="unknown id", kwargs=_unknown, expect=signed_in(404)),
    Route("org:committee_edit", kwargs=_committee, expect=managers(200)),
    Route(
        "org:committee_edit",
        method="post",
        kwargs=_committee,
        data=committee_form,
        expect=managers(302),
        state=committee_state,
    ),
    Route("org:committee_edit", label="unknown id", kwargs=_unknown, expect=signed_in(404)),
]


def _api(status: int) -> dict[str, int]:
    return signed_in(status, anonymous=API_ANONYMOUS)


def _api_admins(status: int) -> dict[str, int]:
    return admins(status, anonymous=API_ANONYMOUS)


API = [
    Route("api:api-root", expect=_api(200)),
    # Departments.
    Route("api:department-list", expect=_api(200)),
    Route(
        "api:department-list",
        method="post",
        data=lambda w: {"code": "QA", "name": "质量部", "parent": "GM"},
        expect=_api_admins(201),
        state=departments_state,
    ),
    Route("api:department-detail", kwargs=_rd, expect=_api(200)),
    Route(
        "api:department-detail",
        method="patch",
        kwargs=_rd,
        data=lambda w: {"name": "研发中心（改）"},
        expect=_api_admins(200),
        state=department_state,
    ),
    Route("api:department-detail", method="put", kwargs=_rd, data=lambda w: {}, expect=_api(405)),
    Route("api:department-detail", label="unknown id", kwargs=_unknown, expect=_api(404)),
    Route(
        "api:department-detail",
        method="patch",
        label="unknown id",
        kwargs=_unknown,
        data=lambda w: {"name": "猜"},
        expect=_api(404),
    ),
    # People.
    Route("api:person-list", expect=_api(200)),
    Route(
        "api:person-list",
        method="post",
        data=lambda w: {"username": "newbie", "name": "新同事", "department": "RD-HW"},
        expect=_api_admins(201),
        state=lambda w: list(Person.objects.values_list("username", flat=True)),
    ),
    Route("api:person-detail", kwargs=_employee, expect=_api(200)),
    Route(
        "api:person-detail",
        method="patch",
        kwargs=_employee,
        data=lambda w: {"title": "高级工程师"},
        expect=_api_admins(200),
        state=person_state,
    ),
    Route("api:person-detail", label="unknown id", kwargs=_unknown, expect=_api(404)),
    Route(
        "api:person-detail",
        label="account outside the organization",
        kwargs=_outsider,
        expect=_api(404),
    ),
    Route(
        "api:person-detail",
        method="patch",
        label="unknown id",
        kwargs=_unknown,
        data=lambda w: {"title": "猜"},
        expect=_api(404),
    ),
    Route(
        "api:person-set-password",
        method="post",
        kwargs=_employee,
        data=lambda w: {"password": "N3w-secret-pass"},
        expect=_api_admins(204),
        state=lambda w: Person.objects.filter(pk=w.employee.pk).values_list("password", flat=True).get(),
    ),
    Route(
        "api:person-set-password",
        method="post",
        label="unknown id",
        kwargs=_unknown,
        data=lambda w: {"password": "N3w-secret-pass"},
        expect=_api(404),
    ),
    Route(
        "api:person-set-active",
        method="post",
        kwargs=_employee,
        data=lambda w: {"active": False},
        expect=_api_admins(200),
        state=lambda w: Person.objects.filter(pk=w.employee.pk).values_list("is_active", flat=True).get(),
    ),
    Route(
        "api:person-set-active",
        method="post",
        label="unknown id",
        kwargs=_unknown,
        data=lambda w: {"active": False},
        expect=_api(404),
    ),
    # Committees.
    Route("api:committee-list", expect=_api(200)),
    Route(
        "api:committee-list",
        method="post",
        data=lambda w: {"code": "QC", "name": "质量委员会", "members": ["head"]},
        expect=_api_admins(201),
        state=lambda w: list(Committee.objects.values_list("code", flat=True)),
    ),
    Route("api:committee-detail", kwargs=_committee, expect=_api(200)),
    Route(
        "api:committee-detail",
        method="patch",
        kwargs=_committee,
        data=lambda w: {"name": "协调委员会（改）"},
        expect=_api_admins(200),
        state=committee_state,
    ),
    Route("api:committee-detail", label="unknown id", kwargs=_unknown, expect=_api(404)),
    Route(
        "api:committee-detail",
        method="patch",
        label="unknown id",
        kwargs=_unknown,
        data=lambda w: {"name": "猜"},
        expect=_api(404),
    ),
]

ROUTES = PAGES + API
