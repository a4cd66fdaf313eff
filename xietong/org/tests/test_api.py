"""The organization over REST (/api/v1/org/): reading, writing through the services, tokens, errors.

Who gets which status on every route is in the role × route matrix (route_matrix.py); these tests
say what the answers contain and what the writes do.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext
from drf_spectacular.validation import validate_schema
from rest_framework.authtoken.models import Token

from xietong.audit.models import AuditEntry
from xietong.common.testing.routes import SIGNED_IN
from xietong.org.models import Committee, Department, Person
from xietong.org.tests.factories import CommitteeFactory, DepartmentFactory, PersonFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"  # factories.PersonFactory
DEPARTMENTS = "/api/v1/org/departments/"
PEOPLE = "/api/v1/org/people/"
COMMITTEES = "/api/v1/org/committees/"


def _json(client: Any, method: str, url: str, data: Any = None, **headers: Any) -> Any:
    return getattr(client, method)(url, data, content_type="application/json", headers=headers)


def _audit(obj: Any) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (e.actor_repr, e.action, e.changes)
        for e in AuditEntry.objects.filter(content_type__model=obj._meta.model_name, object_id=str(obj.pk))
    ]


def zh(message: str, **values: Any) -> str:
    """``message`` as a caller speaking the organization's language (zh-hans) reads it."""
    with translation.override("zh-hans"):
        return gettext(message).format(**values)


def _rd(world: Any) -> dict[str, Any]:
    return {
        "id": world.rd.pk,
        "code": "RD",
        "name": "研发中心",
        "parent": "GM",
        "head": "head",
        "liaison": "liaison",
        "deputy_liaison": None,
        "schedule": None,
        "active": True,
    }


# ── Departments ─────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("role", SIGNED_IN)
def test_every_signed_in_role_lists_every_department(client, world, role):
    # given
    client.force_login(world.user(role))
    # when
    response = client.get(DEPARTMENTS)
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (4, None, None)
    assert [d["code"] for d in body["results"]] == ["GM", "RD", "RD-HW", "SALES"]
    assert body["results"][1] == _rd(world)


def test_department_list_filters_by_parent_activity_and_name(client, world):
    # given
    DepartmentFactory(code="RD-OLD", name="旧研发部", parent=world.rd, is_active=False)
    client.force_login(world.employee)
    # when
    by_parent = client.get(DEPARTMENTS, {"parent": "RD"}).json()["results"]
    closed = client.get(DEPARTMENTS, {"active": "false"}).json()["results"]
    by_name = client.get(DEPARTMENTS, {"q": "研发"}).json()["results"]
    # then
    assert [d["code"] for d in by_parent] == ["RD-HW", "RD-OLD"]
    assert [d["code"] for d in closed] == ["RD-OLD"]
    assert [d["code"] for d in by_name] == ["RD", "RD-HW", "RD-OLD"]


def test_department_detail_names_its_links_by_code_and_username(client, world):
    # given
    client.force_login(world.other_department)
    # when
    response = client.get(f"{DEPARTMENTS}{world.rd.pk}/")
    # then
    assert response.status_code == 200
    assert response.json() == _rd(world)


def test_admin_creates_a_department_through_the_service(client, world):
    # given
    client.force_login(world.admin)
    # when
    response = _json(client, "post", DEPARTMENTS, {"code": "QA", "name": "质量部", "parent": "GM", "head": "other"})
    # then
    assert response.status_code == 201
    qa = Department.objects.get(code="QA")
    assert response.json() == {
        "id": qa.pk,
        "code": "QA",
        "name": "质量部",
        "parent": "GM",
        "head": "other",
        "liaison": None,
        "deputy_liaison": None,
        "schedule": None,
        "active": True,
    }
    assert (qa.parent, qa.head) == (world.gm, world.other_department)
    [(actor, action, changes)] = _audit(qa)
    assert (actor, action) == (str(world.admin), "create")
    assert {field: change for field, change in changes.items() if change != [None, None]} == {
        "code": [None, "QA"],
        "name": [None, "质量部"],
        "parent": [None, "总经办"],
        "head": [None, "赵敏 (other)"],
    }


@pytest.mark.parametrize("role", ["employee", "other_department", "head", "coordinator"])
def test_only_admins_write_departments_through_the_api(client, world, role):
    # given: coordinators edit departments on the pages, but the API writes for administrators only
    client.force_login(world.user(role))
    # when
    created = _json(client, "post", DEPARTMENTS, {"code": "QA", "name": "质量部"})
    patched = _json(client, "patch", f"{DEPARTMENTS}{world.rd.pk}/", {"name": "改名"})
    # then
    message = zh("You do not have permission to perform this action.")
    expected = {"error": {"status": 403, "code": "permission_denied", "message": message}}
    assert (created.status_code, created.json()) == (403, expected)
    assert (patched.status_code, patched.json()) == (403, expected)
    assert list(Department.objects.values_list("code", flat=True)) == ["GM", "RD", "RD-HW", "SALES"]
    assert Department.objects.get(pk=world.rd.pk).name == "研发中心"
    assert AuditEntry.objects.exists() is False


def test_admin_patches_a_department_and_only_the_sent_fields_change(client, world):
    # given
    client.force_login(world.admin)
    # when
    response = _json(client, "patch", f"{DEPARTMENTS}{world.rd.pk}/", {"name": "研发与工程中心", "liaison": None})
    # then
    assert response.status_code == 200
    assert response.json() == _rd(world) | {"name": "研发与工程中心", "liaison": None}
    rd = Department.objects.get(pk=world.rd.pk)
    assert (rd.name, rd.liaison, rd.head, rd.parent) == ("研发与工程中心", None, world.head, world.gm)
    assert _audit(rd) == [
        (str(world.admin), "update", {"name": ["研发中心", "研发与工程中心"], "liaison": ["刘洋 (liaison)", None]})
    ]


@pytest.mark.parametrize(("new_parent", "inside"), [("RD-HW", "硬件研发部"), ("RD", "研发中心")])
def test_a_department_cannot_move_under_itself_or_its_descendants(client, world, new_parent, inside):
    # given
    client.force_login(world.admin)
    # when
    response = _json(client, "patch", f"{DEPARTMENTS}{world.rd.pk}/", {"parent": new_parent})
    # then
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "status": 400,
            "code": "invalid",
            "message": zh("Please correct the errors below."),
            "fields": {
                "parent": [
                    zh(
                        "“{parent}” is inside “{department}”: the tree would have a cycle.",
                        parent=inside,
                        department="研发中心",
                    )
                ]
            },
        }
    }
    assert Department.objects.get(pk=world.rd.pk).parent_id == world.gm.pk
    assert AuditEntry.objects.exists() is False


def test_head_must_be_an_active_member_of_the_organization(client, world):
    # given: someone who left, and an account outside the organization (no department)
    left = PersonFactory(username="left", name="离职者", department=world.rd, is_active=False)
    PersonFactory(username="root", name="root", department=None, is_superuser=True)
    client.force_login(world.admin)
    # when
    as_left = _json(client, "patch", f"{DEPARTMENTS}{world.rd.pk}/", {"head": "left"})
    as_outsider = _json(client, "patch", f"{DEPARTMENTS}{world.rd.pk}/", {"head": "root"})
    as_nobody = _json(client, "patch", f"{DEPARTMENTS}{world.rd.pk}/", {"head": "nobody"})
    # then
    assert as_left.status_code == 400
    not_member = "{name} is not an active member of the organization."
    assert as_left.json()["error"]["fields"] == {"head": [zh(not_member, name=left.name)]}
    assert as_outsider.status_code == 400
    assert as_outsider.json()["error"]["fields"] == {"head": [zh(not_member, name="root")]}
    assert as_nobody.status_code == 400
    with translation.override("zh-hans"):
        does_not_exist = gettext("Object with {slug_name}={value} does not exist.")
    assert as_nobody.json()["error"]["fields"] == {
        "head": [does_not_exist.format(slug_name="username", value="nobody")]
    }
    assert Department.objects.get(pk=world.rd.pk).head_id == world.head.pk
    assert AuditEntry.objects.exists() is False


def test_deputy_liaison_must_differ_from_the_liaison(client, world):
    # given
    client.force_login(world.admin)
    # when
    response = _json(client, "patch", f"{DEPARTMENTS}{world.rd.pk}/", {"deputy_liaison": "liaison"})
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "deputy_liaison": [zh("The deputy liaison must be someone other than the liaison.")]
    }
    assert Department.objects.get(pk=world.rd.pk).deputy_liaison_id is None


def test_creating_a_department_without_code_and_name_names_both_fields(client, world):
    # given
    client.force_login(world.admin)
    # when
    response = _json(client, "post", DEPARTMENTS, {"parent": "GM"})
    # then
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "status": 400,
            "code": "invalid",
            "message": zh("The request is not valid."),
            "fields": {"code": [zh("This field is required.")], "name": [zh("This field is required.")]},
        }
    }
    assert Department.objects.count() == 4


# ── People ──────────────────────────────────────────────────────────────────────────────────────


def test_people_list_shows_active_members_only(client, world):
    # given: someone who left and an account outside the organization
    PersonFactory(username="left", department=world.rd, is_active=False)
    PersonFactory(username="root", department=None, is_superuser=True)
    client.force_login(world.employee)
    # when
    everyone = client.get(PEOPLE).json()
    who_left = client.get(PEOPLE, {"active": "false"}).json()
    in_rd = client.get(PEOPLE, {"department": "RD"}).json()
    by_name = client.get(PEOPLE, {"q": "建国"}).json()
    # then
    assert [p["username"] for p in everyone["results"]] == [
        "admin",
        "coordinator",
        "employee",
        "head",
        "liaison",
        "other",
    ]
    assert [p["username"] for p in who_left["results"]] == ["left"]
    assert [p["username"] for p in in_rd["results"]] == ["head", "liaison"]
    assert [p["username"] for p in by_name["results"]] == ["employee"]


def test_person_detail_reaches_people_who_left_but_not_outsiders(client, world):
    # given
    left = PersonFactory(username="left", name="离职者", department=world.rd, is_active=False)
    root = PersonFactory(username="root", department=None, is_superuser=True)
    client.force_login(world.admin)
    # when
    left_response = client.get(f"{PEOPLE}{left.pk}/")
    root_response = client.get(f"{PEOPLE}{root.pk}/")
    # then
    assert left_response.status_code == 200
    assert left_response.json() == {
        "id": left.pk,
        "username": "left",
        "name": "离职者",
        "department": "RD",
        "title": "",
        "level": "staff",
        "email": "",
        "roles": [],
        "active": False,
    }
    assert root_response.status_code == 404


def test_admin_creates_a_person_with_roles_and_no_usable_password(client, world):
    # given
    client.force_login(world.admin)
    payload = {
        "username": "newbie",
        "name": "新同事",
        "department": "RD-HW",
        "title": "工程师",
        "roles": ["coordinator"],
    }
    # when
    response = _json(client, "post", PEOPLE, payload)
    # then
    assert response.status_code == 201
    newbie = Person.objects.get(username="newbie")
    assert response.json() == {
        "id": newbie.pk,
        "username": "newbie",
        "name": "新同事",
        "department": "RD-HW",
        "title": "工程师",
        "level": "staff",
        "email": "",
        "roles": ["coordinator"],
        "active": True,
    }
    assert (newbie.is_coordinator, newbie.is_admin, newbie.has_usable_password()) == (True, False, False)
    assert [(actor, action) for actor, action, _changes in _audit(newbie)] == [(str(world.admin), "create")]


def test_patching_a_person_never_changes_the_username(client, world):
    # given
    client.force_login(world.admin)
    # when
    response = _json(client, "patch", f"{PEOPLE}{world.employee.pk}/", {"username": "renamed", "title": "高级工程师"})
    # then
    assert response.status_code == 200
    employee = Person.objects.get(pk=world.employee.pk)
    assert (employee.username, employee.title) == ("employee", "高级工程师")
    assert _audit(employee) == [(str(world.admin), "update", {"title": ["", "高级工程师"]})]


def test_a_person_needs_a_department_and_a_valid_username(client, world):
    # given
    client.force_login(world.admin)
    # when
    response = _json(client, "post", PEOPLE, {"username": "Bad Name", "name": "某人"})
    # then
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"username", "department"}
    assert response.json()["error"]["fields"]["department"] == [zh("This field is required.")]
    assert Person.objects.filter(name="某人").exists() is False


def test_admin_sets_a_password_through_the_api(client, world):
    # given
    client.force_login(world.admin)
    # when
    response = _json(client, "post", f"{PEOPLE}{world.employee.pk}/password/", {"password": "N3w-secret-pass"})
    # then
    assert (response.status_code, response.content) == (204, b"")
    employee = Person.objects.get(pk=world.employee.pk)
    assert employee.check_password("N3w-secret-pass") is True
    assert _audit(employee) == [(str(world.admin), "set_password", {})]


def test_a_weak_password_is_refused_and_the_old_one_still_works(client, world):
    # given
    client.force_login(world.admin)
    # when
    response = _json(client, "post", f"{PEOPLE}{world.employee.pk}/password/", {"password": "12345678"})
    # then
    assert response.status_code == 400
    assert response.json()["error"]["message"] == zh("The password is not acceptable.")
    assert response.json()["error"]["fields"] == {
        "password": [zh("This password is too common."), zh("This password is entirely numeric.")]
    }
    assert Person.objects.get(pk=world.employee.pk).check_password(PASSWORD) is True
    assert AuditEntry.objects.exists() is False


def test_admin_deactivates_a_person_but_not_themself(client, world):
    # given
    client.force_login(world.admin)
    # when
    other = _json(client, "post", f"{PEOPLE}{world.employee.pk}/active/", {"active": False})
    themself = _json(client, "post", f"{PEOPLE}{world.admin.pk}/active/", {"active": False})
    # then
    assert other.status_code == 200
    assert other.json()["active"] is False
    assert Person.objects.get(pk=world.employee.pk).is_active is False
    assert themself.status_code == 400
    assert themself.json() == {
        "error": {
            "status": 400,
            "code": "invalid",
            "message": zh("You cannot deactivate yourself or remove your own administrator role."),
        }
    }
    assert Person.objects.get(pk=world.admin.pk).is_active is True


# ── Committees ──────────────────────────────────────────────────────────────────────────────────


def test_committees_list_their_chair_and_members_by_username(client, world):
    # given
    coord = CommitteeFactory(
        code="COORD", name="协调委员会", chair=world.coordinator, members=[world.head, world.admin]
    )
    client.force_login(world.employee)
    # when
    response = client.get(COMMITTEES)
    # then
    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": coord.pk, "code": "COORD", "name": "协调委员会", "chair": "coordinator", "members": ["admin", "head"]}
    ]


def test_admin_creates_and_renames_a_committee_keeping_its_members(client, world):
    # given
    client.force_login(world.admin)
    created = _json(client, "post", COMMITTEES, {"code": "QC", "name": "质量委员会", "members": ["head", "employee"]})
    pk = created.json()["id"]
    # when
    renamed = _json(client, "patch", f"{COMMITTEES}{pk}/", {"name": "质量管理委员会"})
    # then
    assert created.status_code == 201
    assert renamed.status_code == 200
    assert renamed.json() == {
        "id": pk,
        "code": "QC",
        "name": "质量管理委员会",
        "chair": None,
        "members": ["employee", "head"],
    }
    qc = Committee.objects.get(pk=pk)
    assert sorted(qc.members.values_list("username", flat=True)) == ["employee", "head"]
    assert [(action, changes) for _actor, action, changes in _audit(qc)] == [
        ("update", {"name": ["质量委员会", "质量管理委员会"]}),
        ("create", {"code": [None, "QC"], "name": [None, "质量委员会"], "members": [[], ["employee", "head"]]}),
    ]


def test_a_committee_needs_members_from_the_organization(client, world):
    # given
    PersonFactory(username="root", name="root", department=None, is_superuser=True)
    client.force_login(world.admin)
    # when
    empty = _json(client, "post", COMMITTEES, {"code": "QC", "name": "质量委员会", "members": []})
    outsider = _json(client, "post", COMMITTEES, {"code": "QC", "name": "质量委员会", "members": ["root"]})
    # then
    assert empty.status_code == 400
    assert empty.json()["error"]["fields"] == {"members": [zh("A committee needs at least one member.")]}
    assert outsider.status_code == 400
    assert outsider.json()["error"]["fields"] == {
        "members": [zh("{names}: not active members of the organization.", names="root")]
    }
    assert Committee.objects.exists() is False


# ── Tokens ──────────────────────────────────────────────────────────────────────────────────────


def test_a_token_is_issued_for_a_username_and_password(client, world):
    # when
    response = client.post("/api/v1/auth/token/", {"username": "employee", "password": PASSWORD})
    # then
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=world.employee).key}


def test_the_token_signs_api_calls_in(client, world):
    # given
    key = client.post("/api/v1/auth/token/", {"username": "admin", "password": PASSWORD}).json()["token"]
    auth = {"Authorization": f"Token {key}"}
    # when
    listed = client.get(DEPARTMENTS, headers=auth)
    created = _json(client, "post", DEPARTMENTS, {"code": "QA", "name": "质量部"}, **auth)
    # then
    assert listed.status_code == 200
    assert listed.json()["count"] == 4
    assert created.status_code == 201
    assert _audit(Department.objects.get(code="QA"))[0][:2] == (str(world.admin), "create")


def test_a_wrong_password_gets_no_token(client, world):
    # when
    response = client.post("/api/v1/auth/token/", {"username": "employee", "password": "wrong"})
    # then
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "status": 400,
            "code": "invalid",
            "message": zh("The request is not valid."),
            "fields": {"non_field_errors": [zh("Unable to log in with provided credentials.")]},
        }
    }
    assert Token.objects.exists() is False


def test_someone_who_left_gets_no_token_and_their_old_token_stops_working(client, world):
    # given
    old = Token.objects.create(user=world.employee)
    Person.objects.filter(pk=world.employee.pk).update(is_active=False)
    # when
    issued = client.post("/api/v1/auth/token/", {"username": "employee", "password": PASSWORD})
    used = client.get(DEPARTMENTS, headers={"Authorization": f"Token {old.key}"})
    # then
    assert issued.status_code == 400
    assert used.status_code == 403
    assert used.json() == {
        "error": {"status": 403, "code": "authentication_failed", "message": zh("User inactive or deleted.")}
    }


def test_a_made_up_token_is_refused(client, world):
    # when
    response = client.get(DEPARTMENTS, headers={"Authorization": "Token 0000000000000000000000000000000000000000"})
    # then: 403, not 401: SessionAuthentication comes first and sends no WWW-Authenticate challenge
    assert response.status_code == 403
    assert response.json() == {
        "error": {"status": 403, "code": "authentication_failed", "message": zh("Invalid token.")}
    }


def test_token_requests_are_throttled_after_five_failures(client, world):
    # given: django-axes counts failures per username and address, the token endpoint included
    for _attempt in range(5):
        client.post("/api/v1/auth/token/", {"username": "employee", "password": "wrong"})
    # when
    response = client.post("/api/v1/auth/token/", {"username": "employee", "password": PASSWORD})
    # then
    assert response.status_code == 400
    assert Token.objects.exists() is False


def test_anonymous_callers_are_refused_with_403(client, world):
    # when
    response = client.get(DEPARTMENTS)
    # then
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "status": 403,
            "code": "not_authenticated",
            "message": zh("Authentication credentials were not provided."),
        }
    }


# ── Language ────────────────────────────────────────────────────────────────────────────────────

EN_REQUIRED = {
    "error": {
        "status": 400,
        "code": "invalid",
        "message": "The request is not valid.",
        "fields": {"code": ["This field is required."], "name": ["This field is required."]},
    }
}


def test_the_chinese_catalogue_translates_the_api_messages():
    # then: the zh-hans messages the tests compare with are real translations, not the English text
    assert zh("The request is not valid.") != "The request is not valid."
    assert zh("Please correct the errors below.") != "Please correct the errors below."
    assert zh("This field is required.") != "This field is required."


def test_errors_are_in_the_organization_language_by_default_whatever_the_browser_asks(client, world):
    # given: the organization speaks zh-hans; Accept-Language is not how xietong picks a language
    client.force_login(world.admin)
    # when
    response = _json(client, "post", DEPARTMENTS, {}, **{"Accept-Language": "en"})
    # then
    assert response.json()["error"]["message"] == zh("The request is not valid.")
    assert response.json()["error"]["fields"] == {
        "code": [zh("This field is required.")],
        "name": [zh("This field is required.")],
    }
    assert response.headers["Content-Language"] == "zh-hans"


def test_errors_are_in_the_language_the_person_chose(client, world):
    # given
    Person.objects.filter(pk=world.admin.pk).update(language="en")
    client.force_login(Person.objects.get(pk=world.admin.pk))
    # when
    response = _json(client, "post", DEPARTMENTS, {})
    # then
    assert response.json() == EN_REQUIRED
    assert response.headers["Content-Language"] == "en"


def test_errors_follow_the_language_cookie_when_the_person_chose_none(client, world):
    # given
    client.force_login(world.admin)
    client.cookies["xietong_language"] = "en"
    # when
    response = _json(client, "post", DEPARTMENTS, {})
    # then
    assert response.json() == EN_REQUIRED


def test_token_callers_get_their_own_language(client, world):
    # given: the language middleware runs before DRF knows whose token it is
    Person.objects.filter(pk=world.admin.pk).update(language="en")
    token = Token.objects.create(user=world.admin)
    # when
    response = _json(client, "post", DEPARTMENTS, {}, Authorization=f"Token {token.key}")
    # then
    assert response.json() == EN_REQUIRED
    assert response.headers["Content-Language"] == "en"


def test_service_refusals_are_in_the_caller_language(client, world):
    # given
    Person.objects.filter(pk=world.admin.pk).update(language="en")
    token = Token.objects.create(user=world.admin)
    # when
    response = _json(
        client, "patch", f"{DEPARTMENTS}{world.rd.pk}/", {"parent": "RD-HW"}, Authorization=f"Token {token.key}"
    )
    # then
    assert response.json()["error"] == {
        "status": 400,
        "code": "invalid",
        "message": "Please correct the errors below.",
        "fields": {"parent": ["“硬件研发部” is inside “研发中心”: the tree would have a cycle."]},
    }


# ── Schema and docs ─────────────────────────────────────────────────────────────────────────────


def test_the_openapi_schema_is_valid_and_describes_the_org_api(client, world):
    # given
    client.force_login(world.employee)
    # when
    response = client.get("/api/v1/schema/", {"format": "json"})
    # then
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)  # raises on an invalid document
    assert {path for path in schema["paths"] if path.startswith("/api/v1/org/")} == {
        "/api/v1/org/departments/",
        "/api/v1/org/departments/{id}/",
        "/api/v1/org/people/",
        "/api/v1/org/people/{id}/",
        "/api/v1/org/people/{id}/password/",
        "/api/v1/org/people/{id}/active/",
        "/api/v1/org/committees/",
        "/api/v1/org/committees/{id}/",
    }
    assert set(schema["paths"]["/api/v1/org/departments/{id}/"]) == {"get", "patch"}


def test_the_docs_page_renders_for_signed_in_people(client, world):
    # given
    client.force_login(world.employee)
    # when
    response = client.get("/api/v1/docs/")
    # then
    assert response.status_code == 200
    assert '<div id="swagger-ui"></div>' in response.content.decode()
