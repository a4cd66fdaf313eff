"""The web import (upload → preview → confirm), the export download and the spreadsheet template."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from xietong.audit.models import AuditEntry
from xietong.common import clock
from xietong.org.models import Department, Person
from xietong.packages.importer import package_import
from xietong.packages.tests.helpers import db_snapshot, package
from xietong.packages.views import SESSION_KEY

pytestmark = pytest.mark.django_db

GOOD = """
    version: 1
    organization: {name: 华东精密制造有限公司}
    departments:
      - {code: QA, name: 质量部, parent: GM, head: qa1}
      - {code: SALES, name: 市场部, parent: GM}
    people:
      - {username: qa1, name: 质检员, department: QA}
"""
BAD = """
    version: 1
    organization: {name: 华东精密制造有限公司}
    departments:
      - {code: QA, name: 质量部, parent: NOPE}
    people:
      - {username: qa1, name: 质检员, department: QA, level: boss}
"""
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def admin_client(client: Client, world: Any) -> Client:
    Person.objects.filter(pk=world.admin.pk).update(language="en")
    client.force_login(world.admin)
    return client


def upload(name: str, raw: bytes) -> dict[str, Any]:
    return {"file": SimpleUploadedFile(name, raw)}


def pending_files(data_dir: Path) -> list[str]:
    folder = data_dir / "pending-imports"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- who may use it -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["employee", "other_department", "head", "coordinator"])
def test_only_administrators_may_import_or_export(client, world, role, data_dir):
    # given
    client.force_login(world.user(role))
    before = db_snapshot()
    # when
    responses = [
        client.get(reverse("packages:index")),
        client.get(reverse("packages:export")),
        client.get(reverse("packages:template")),
        client.post(reverse("packages:preview"), upload("good.yaml", package(GOOD))),
        client.post(reverse("packages:confirm"), {"token": "0" * 32}),
    ]
    # then
    assert [r.status_code for r in responses] == [403] * 5
    assert db_snapshot() == before
    assert pending_files(data_dir) == []


def test_anonymous_visitors_are_sent_to_sign_in(client, world, data_dir):
    # given
    before = db_snapshot()
    # when
    responses = {
        name: client.post(reverse(name), upload("good.yaml", package(GOOD)))
        if name == "packages:preview"
        else client.get(reverse(name))
        for name in ("packages:index", "packages:preview", "packages:export", "packages:template")
    }
    # then
    assert {name: (r.status_code, r["Location"]) for name, r in responses.items()} == {
        name: (302, f"/accounts/login/?next={reverse(name)}") for name in responses
    }
    assert db_snapshot() == before
    assert pending_files(data_dir) == []


# --- upload, preview, confirm ---------------------------------------------------------------------


def test_preview_shows_the_changes_and_writes_nothing(admin_client, data_dir):
    # given
    before = db_snapshot()
    # when
    response = admin_client.post(reverse("packages:preview"), upload("good.yaml", package(GOOD)))
    # then
    assert response.status_code == 200
    result = response.context["result"]
    assert [(c.section, c.key, c.action) for c in result.changes] == [
        ("departments", "QA", "create"),
        ("departments", "SALES", "update"),
        ("people", "qa1", "create"),
    ]
    html = response.content.decode()
    assert 'id="import-changes"' in html
    assert "<code>QA</code>" in html
    assert "销售部 → 市场部" in html
    assert 'id="confirm-import"' in html
    assert db_snapshot() == before
    assert pending_files(data_dir) == [response.context["token"]]


def test_confirm_imports_the_previewed_file_with_the_admin_as_actor(admin_client, world, data_dir):
    # given
    preview = admin_client.post(reverse("packages:preview"), upload("good.yaml", package(GOOD)))
    audit_before = AuditEntry.objects.count()
    # when
    response = admin_client.post(reverse("packages:confirm"), {"token": preview.context["token"]})
    # then
    assert (response.status_code, response["Location"]) == (302, reverse("packages:index"))
    assert messages_of(response) == ["Imported good.yaml: 3 changes."]
    qa = Department.objects.get(code="QA")
    assert (qa.name, qa.parent, qa.head.username) == ("质量部", world.gm, "qa1")
    assert Department.objects.get(code="SALES").name == "市场部"
    entries = list(AuditEntry.objects.order_by("pk")[audit_before:])
    assert [(e.action, e.object_repr, e.actor_id, e.actor_repr) for e in entries] == [
        ("import.create", "质量部", world.admin.pk, "黎俊杰 (admin)"),
        ("import.update", "市场部", world.admin.pk, "黎俊杰 (admin)"),
        ("import.create", "质检员 (qa1)", world.admin.pk, "黎俊杰 (admin)"),
    ]
    assert pending_files(data_dir) == []
    assert SESSION_KEY not in admin_client.session


def test_preview_of_a_bad_file_lists_every_problem_and_writes_nothing(admin_client, data_dir):
    # given
    before = db_snapshot()
    # when
    response = admin_client.post(reverse("packages:preview"), upload("bad.yaml", package(BAD)))
    # then
    assert response.status_code == 400
    assert [(p.line, p.path, p.message) for p in response.context["problems"]] == [
        (4, "departments[0].parent", "no department has the code “NOPE”"),
        (6, "people[0].level", "“boss” is not one of: staff, manager, executive"),
    ]
    html = response.content.decode()
    assert 'id="import-problems"' in html
    assert "<td>4</td><td><code>departments[0].parent</code></td>" in html
    assert 'id="confirm-import"' not in html
    assert db_snapshot() == before
    assert pending_files(data_dir) == []
    assert SESSION_KEY not in admin_client.session


def test_confirming_twice_imports_once(admin_client, data_dir):
    # given
    preview = admin_client.post(reverse("packages:preview"), upload("good.yaml", package(GOOD)))
    token = preview.context["token"]
    admin_client.post(reverse("packages:confirm"), {"token": token}, follow=True)  # shows (and uses up) the message
    after_first = db_snapshot()
    # when
    response = admin_client.post(reverse("packages:confirm"), {"token": token})
    # then
    assert (response.status_code, response["Location"]) == (302, reverse("packages:index"))
    assert messages_of(response) == ["This import is no longer pending; upload the file again."]
    assert db_snapshot() == after_first


def test_a_token_from_another_session_does_nothing(admin_client, world, data_dir):
    # given another administrator previews a file; this one has previewed nothing
    other = Client()
    other_admin = Person.objects.create(username="admin2", name="第二管理员", department=world.gm, is_admin=True)
    other.force_login(other_admin)
    token = other.post(reverse("packages:preview"), upload("good.yaml", package(GOOD))).context["token"]
    before = db_snapshot()
    # when
    response = admin_client.post(reverse("packages:confirm"), {"token": token})
    # then
    assert (response.status_code, response["Location"]) == (302, reverse("packages:index"))
    assert messages_of(response) == ["This import is no longer pending; upload the file again."]
    assert db_snapshot() == before
    assert pending_files(data_dir) == [token]  # still the other administrator's to confirm


def test_a_wrong_token_leaves_the_pending_import_alone(admin_client, data_dir):
    # given
    token = admin_client.post(reverse("packages:preview"), upload("good.yaml", package(GOOD))).context["token"]
    before = db_snapshot()
    # when
    refused = admin_client.post(reverse("packages:confirm"), {"token": "f" * 32})
    # then
    assert messages_of(refused) == ["This import is no longer pending; upload the file again."]
    assert db_snapshot() == before
    assert admin_client.session[SESSION_KEY]["token"] == token
    assert admin_client.post(reverse("packages:confirm"), {"token": token}).status_code == 302
    assert Department.objects.filter(code="QA").exists() is True


def test_a_new_upload_replaces_the_pending_import(admin_client, data_dir):
    # given
    first = admin_client.post(reverse("packages:preview"), upload("good.yaml", package(GOOD))).context["token"]
    # when
    second = admin_client.post(reverse("packages:preview"), upload("bad.yaml", package(BAD)))
    refused = admin_client.post(reverse("packages:confirm"), {"token": first})
    # then
    assert second.status_code == 400
    assert pending_files(data_dir) == []
    assert messages_of(refused) == ["This import is no longer pending; upload the file again."]
    assert Department.objects.filter(code="QA").exists() is False


def test_a_pending_file_changed_after_the_preview_is_not_imported(admin_client, data_dir):
    # given
    token = admin_client.post(reverse("packages:preview"), upload("good.yaml", package(GOOD))).context["token"]
    (data_dir / "pending-imports" / token).write_bytes(package(GOOD).replace(b"QA", b"QX"))
    before = db_snapshot()
    # when
    response = admin_client.post(reverse("packages:confirm"), {"token": token})
    # then
    assert messages_of(response) == ["This import is no longer pending; upload the file again."]
    assert db_snapshot() == before


def test_a_file_that_became_invalid_before_confirmation_shows_the_problems(admin_client, world, data_dir):
    # given the previewed file names a parent that is deleted before the confirmation
    extra = Department.objects.create(code="TMP", name="临时")
    raw = package("""
        version: 1
        organization: {name: 华东精密制造有限公司}
        departments:
          - {code: QA, name: 质量部, parent: TMP}
    """)
    token = admin_client.post(reverse("packages:preview"), upload("qa.yaml", raw)).context["token"]
    extra.delete()
    before = db_snapshot()
    # when
    response = admin_client.post(reverse("packages:confirm"), {"token": token})
    # then
    assert response.status_code == 400
    assert [str(p) for p in response.context["problems"]] == [
        "departments[0].parent (line 4): no department has the code “TMP”"
    ]
    assert db_snapshot() == before
    assert pending_files(data_dir) == []


def test_preview_without_a_file_is_refused(admin_client, data_dir):
    # given
    before = db_snapshot()
    # when
    response = admin_client.post(reverse("packages:preview"), {})
    # then
    assert (response.status_code, response["Location"]) == (302, reverse("packages:index"))
    assert messages_of(response) == ["Choose a file to import."]
    assert db_snapshot() == before
    assert pending_files(data_dir) == []


def test_preview_of_a_file_over_the_size_limit_is_refused(admin_client, settings, data_dir):
    # given
    settings.XIETONG_IMPORT_MAX_BYTES = 1024 * 1024
    before = db_snapshot()
    # when
    response = admin_client.post(reverse("packages:preview"), upload("big.yaml", b"#" * (1024 * 1024 + 1)))
    # then
    assert (response.status_code, response["Location"]) == (302, reverse("packages:index"))
    assert messages_of(response) == ["The file is larger than the limit of 1 MB."]
    assert db_snapshot() == before
    assert pending_files(data_dir) == []


def test_a_non_yaml_upload_is_refused_cleanly(admin_client, data_dir):
    # given
    before = db_snapshot()
    # when
    response = admin_client.post(reverse("packages:preview"), upload("org.yaml", b"\xff\xfe\x00garbage"))
    # then
    assert response.status_code == 400
    assert [(p.line, p.path) for p in response.context["problems"]] == [(1, "")]
    assert db_snapshot() == before


# --- export ---------------------------------------------------------------------------------------


def test_export_download_imports_back_with_no_changes(admin_client, world):
    # given 2026-12-31 17:00 UTC is 2027-01-01 in Shanghai
    before = db_snapshot()
    # when
    with clock.freeze(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)):
        response = admin_client.get(reverse("packages:export"))
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/yaml; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="xietong-2027-01-01.yaml"'
    assert '    holidays:\n      - "2027-01-01"\n' in response.content.decode()
    assert package_import(raw=response.content).changes == []
    assert db_snapshot() == before


# --- the spreadsheet ------------------------------------------------------------------------------


def filled_template(client: Client, departments: list[list[Any]], people: list[list[Any]]) -> bytes:
    """The downloaded template with its example rows replaced."""
    response = client.get(reverse("packages:template"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["departments", "people", "README"]
    for name, rows in (("departments", departments), ("people", people)):
        ws = wb[name]
        ws.delete_rows(2, ws.max_row)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_the_template_has_a_header_row_of_package_keys(admin_client):
    # when
    response = admin_client.get(reverse("packages:template"))
    # then
    wb = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in wb["departments"][1]] == [
        "code",
        "name",
        "parent",
        "head",
        "liaison",
        "deputy_liaison",
        "active",
    ]
    assert [c.value for c in wb["people"][1]] == [
        "username",
        "name",
        "department",
        "title",
        "level",
        "email",
        "roles",
        "active",
    ]
    assert response["Content-Disposition"] == 'attachment; filename="xietong-departments-people.xlsx"'


def test_a_filled_template_is_previewed_then_imported(admin_client, world, data_dir):
    # given
    raw = filled_template(
        admin_client,
        departments=[
            ["QA", "质量部", "GM", "qa1", None, None, True],
            ["QA-LAB", "实验室", "QA", None, "qa2", None, None],
            [None, None, None, None, None, None, None],  # a blank row is skipped
            ["SALES", "市场销售部", "GM", None, None, None, True],
        ],
        people=[
            ["qa1", "质检主管", "QA", "主管", "manager", "qa1@example.com", "coordinator, admin", True],
            ["qa2", "化验员", "QA-LAB", None, None, None, None, False],
        ],
    )
    before = db_snapshot()
    # when
    preview = admin_client.post(reverse("packages:preview"), upload("people.xlsx", raw))
    # then the preview lists the changes and nothing is written yet
    assert preview.status_code == 200
    assert preview.context["counts"] == {"departments": {"create": 2, "update": 1}, "people": {"create": 2}}
    assert db_snapshot() == before
    # when
    confirmed = admin_client.post(reverse("packages:confirm"), {"token": preview.context["token"]})
    # then
    assert messages_of(confirmed) == ["Imported people.xlsx: 5 changes."]
    assert list(
        Department.objects.filter(code__in=["QA", "QA-LAB", "SALES"])
        .order_by("code")
        .values_list("code", "name", "parent__code", "head__username", "liaison__username", "is_active")
    ) == [
        ("QA", "质量部", "GM", "qa1", None, True),
        ("QA-LAB", "实验室", "QA", None, "qa2", True),
        ("SALES", "市场销售部", "GM", None, None, True),
    ]
    assert list(
        Person.objects.filter(username__in=["qa1", "qa2"])
        .order_by("username")
        .values_list(
            "username", "name", "department__code", "title", "level", "email", "is_admin", "is_coordinator", "is_active"
        )
    ) == [
        ("qa1", "质检主管", "QA", "主管", "manager", "qa1@example.com", True, True, True),
        ("qa2", "化验员", "QA-LAB", "", "staff", "", False, False, False),
    ]


def test_a_template_with_bad_rows_shows_the_problems_with_row_numbers(admin_client, world, data_dir):
    # given
    raw = filled_template(
        admin_client,
        departments=[
            ["QA", "质量部", "GM", None, None, None, True],
            ["QA", "质量部二", "GM", None, None, None, "yes"],
        ],
        people=[
            ["qa1", "质检员", "NOPE", None, "staff", None, None, None],
            ["Bad Name", "坏名字", "QA", None, "boss", None, "owner", None],
        ],
    )
    before = db_snapshot()
    # when
    response = admin_client.post(reverse("packages:preview"), upload("people.xlsx", raw))
    # then
    assert response.status_code == 400
    assert [(p.line, p.path, p.message) for p in response.context["problems"]] == [
        (2, "people[0].department", "no department has the code “NOPE”"),
        (3, "departments[1].active", "“yes” is not a boolean; write true or false"),
        (3, "departments[1].code", "duplicate department code “QA” (first defined at departments[0].code)"),
        (3, "people[1].level", "“boss” is not one of: staff, manager, executive"),
        (3, "people[1].roles[0]", "“owner” is not one of: admin, coordinator"),
        (
            3,
            "people[1].username",
            "“Bad Name” is not a valid username (lowercase letters, digits, “_”, “.”, “-”;"
            " at most 64 characters, starting with a lowercase letter or digit)",
        ),
    ]
    assert db_snapshot() == before
    assert pending_files(data_dir) == []


def test_a_template_with_an_unknown_column_is_refused(admin_client, data_dir):
    # given
    raw = filled_template(admin_client, departments=[["QA", "质量部"]], people=[])
    wb = load_workbook(io.BytesIO(raw))
    wb["departments"]["H1"] = "budget"
    out = io.BytesIO()
    wb.save(out)
    before = db_snapshot()
    # when
    response = admin_client.post(reverse("packages:preview"), upload("people.xlsx", out.getvalue()))
    # then
    assert response.status_code == 400
    assert [str(p) for p in response.context["problems"]] == [
        "departments (line 1): unknown column(s) “budget” in the sheet “departments”"
    ]
    assert db_snapshot() == before


@pytest.mark.parametrize(
    "raw",
    [
        b"version: 1\n",
        b"PK\x03\x04 not really a zip",
        b"",
    ],
    ids=["yaml", "broken zip", "empty"],
)
def test_a_file_named_xlsx_that_is_not_a_workbook_is_refused_cleanly(admin_client, raw, data_dir):
    # given
    before = db_snapshot()
    # when
    response = admin_client.post(reverse("packages:preview"), upload("people.xlsx", raw))
    # then
    assert response.status_code == 400
    assert [str(p) for p in response.context["problems"]] == ["the file is not an Excel workbook (.xlsx)"]
    assert db_snapshot() == before
    assert pending_files(data_dir) == []


def test_a_zip_that_is_not_a_workbook_is_refused_cleanly(admin_client, data_dir):
    # given
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    before = db_snapshot()
    # when
    response = admin_client.post(reverse("packages:preview"), upload("people.xlsx", out.getvalue()))
    # then
    assert response.status_code == 400
    assert [str(p) for p in response.context["problems"]] == ["the file is not an Excel workbook (.xlsx)"]
    assert db_snapshot() == before
