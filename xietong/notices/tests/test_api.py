"""The notices API: list and retrieve (scoped), publish, acknowledge, read rate, withdraw; errors in
the API's format."""

import pytest

from xietong.notices.models import Notice, NoticeRecipient
from xietong.notices.tests.factories import draft_notice, publish, rd_notice, sales_notice

pytestmark = pytest.mark.django_db


def test_the_list_holds_only_what_the_caller_may_see_with_his_own_state(world, client):
    # given
    rd, sales, _draft = rd_notice(world), sales_notice(world), draft_notice(world)
    client.force_login(world.employee)
    # when
    data = client.get("/api/v1/notices/").json()
    # then
    assert [n["id"] for n in data["results"]] == [rd.pk]
    item = data["results"][0]
    assert (item["is_recipient"], item["acknowledged_at"], item["recipients"], item["acks"]) == (True, None, 3, None)
    assert item["audience"] == ["RD"]
    assert item["author"] == "head"
    assert client.get(f"/api/v1/notices/{sales.pk}/").status_code == 404


def test_retrieve_gives_the_body_and_marks_read(world, client):
    notice = rd_notice(world)
    client.force_login(world.employee)
    data = client.get(f"/api/v1/notices/{notice.pk}/").json()
    assert data["body"].startswith("三项核心协作流程")
    assert data["read_at"] is not None
    assert NoticeRecipient.objects.get(notice=notice, person=world.employee).read_at is not None


def test_publish_with_departments_and_acknowledge_and_read_rate(world, client):
    # given
    client.force_login(world.head)
    created = client.post(
        "/api/v1/notices/",
        {"title": "研发例会", "audience": ["RD-HW"], "requires_ack": True, "ack_within": "1d"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["state"] == "published"
    assert created.json()["due_at"] is not None
    # when
    client.force_login(world.employee)
    acked = client.post(f"/api/v1/notices/{pk}/acknowledge/")
    again = client.post(f"/api/v1/notices/{pk}/acknowledge/")
    # then
    assert acked.status_code == 200
    assert acked.json()["acknowledged_at"] is not None
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "already_acknowledged"
    client.force_login(world.head)
    rate = client.get(f"/api/v1/notices/{pk}/read-rate/").json()
    assert rate["total"]["recipients"] == 1
    assert rate["total"]["acknowledged"] == 1
    assert rate["total"]["rate"] == 1.0
    assert rate["departments"][0]["department"] == "RD-HW"
    assert rate["pending"] == {"count": 0, "next": None, "previous": None, "results": []}


def test_the_read_rate_pages_who_has_not_acknowledged(world, client):
    # given: a notice to everyone; the employee acknowledged, five did not
    notice = publish(world.coordinator)
    client.force_login(world.employee)
    client.post(f"/api/v1/notices/{notice.pk}/acknowledge/")
    client.force_login(world.coordinator)
    url = f"/api/v1/notices/{notice.pk}/read-rate/"
    # when
    first = client.get(url, {"page_size": 2}).json()
    last = client.get(url, {"page_size": 2, "page": 3}).json()
    # then: every department, and the people two at a time by department code
    assert [d["department"] for d in first["departments"]] == ["GM", "RD", "RD-HW", "SALES"]
    assert (first["total"]["recipients"], first["total"]["acknowledged"]) == (6, 1)
    assert first["pending"]["count"] == 5
    assert {p["username"] for p in first["pending"]["results"]} == {"coordinator", "admin"}
    assert first["pending"]["previous"] is None
    assert first["pending"]["next"].endswith(f"{url}?page=2&page_size=2")
    assert [p["username"] for p in last["pending"]["results"]] == ["other"]
    assert last["pending"]["next"] is None


def test_the_read_rate_narrows_the_people_to_one_department(world, client):
    notice = publish(world.coordinator)
    client.force_login(world.coordinator)
    data = client.get(f"/api/v1/notices/{notice.pk}/read-rate/", {"department": "RD"}).json()
    assert data["pending"]["count"] == 2
    assert {(p["username"], p["department"]) for p in data["pending"]["results"]} == {
        ("head", "RD"),
        ("liaison", "RD"),
    }
    assert len(data["departments"]) == 4
    nobody = client.get(f"/api/v1/notices/{notice.pk}/read-rate/", {"department": "NOPE"}).json()
    assert nobody["pending"] == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_lead_reads_the_people_of_his_departments_only(world, client):
    notice = publish(world.coordinator)
    client.force_login(world.head)
    data = client.get(f"/api/v1/notices/{notice.pk}/read-rate/").json()
    other = client.get(f"/api/v1/notices/{notice.pk}/read-rate/", {"department": "SALES"}).json()
    assert {p["username"] for p in data["pending"]["results"]} == {"head", "liaison", "employee"}
    assert [d["department"] for d in data["departments"]] == ["RD", "RD-HW"]
    assert other["pending"]["count"] == 0


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [({"page_size": 0}, 400, "page_size"), ({"page_size": "x"}, 400, "page_size"), ({"page": 9}, 404, None)],
)
def test_a_bad_page_of_the_read_rate_is_refused_clearly(world, client, query, status, field):
    notice = publish(world.coordinator)
    client.force_login(world.coordinator)
    response = client.get(f"/api/v1/notices/{notice.pk}/read-rate/", query)
    assert response.status_code == status
    error = response.json()["error"]
    if field:
        assert field in error["fields"]
    else:
        assert error["message"]


def test_bad_input_gets_the_error_format_and_changes_nothing(world, client):
    client.force_login(world.coordinator)
    response = client.post(
        "/api/v1/notices/",
        {"title": "x", "audience": ["NOPE"], "ack_within": "2 days"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"audience"}
    response = client.post(
        "/api/v1/notices/", {"title": "x", "audience": "all", "ack_within": "2 days"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"ack_within"}
    assert Notice.objects.count() == 0


def test_an_employee_may_not_publish(world, client):
    client.force_login(world.employee)
    response = client.post("/api/v1/notices/", {"title": "x", "audience": "all"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert Notice.objects.count() == 0


def test_withdraw_by_the_author_then_acknowledge_is_refused(world, client):
    notice = publish(world.head, departments=[world.rd])
    client.force_login(world.head)
    assert client.post(f"/api/v1/notices/{notice.pk}/withdraw/").json()["state"] == "withdrawn"
    client.force_login(world.employee)
    refused = client.post(f"/api/v1/notices/{notice.pk}/acknowledge/")
    assert refused.status_code == 400
    assert NoticeRecipient.objects.filter(acknowledged_at__isnull=False).count() == 0


def test_scheduled_and_draft_through_the_api(world, client):
    client.force_login(world.coordinator)
    draft = client.post(
        "/api/v1/notices/", {"title": "草稿", "audience": "all", "draft": True}, content_type="application/json"
    )
    assert draft.json()["state"] == "draft"
    scheduled = client.post(
        "/api/v1/notices/",
        {"title": "预告", "audience": "all", "publish_at": "2099-01-05T09:00:00+08:00"},
        content_type="application/json",
    )
    assert scheduled.json()["state"] == "scheduled"
    client.force_login(world.employee)
    assert client.get("/api/v1/notices/", {"show": "drafts"}).json()["results"] == []


def test_the_schema_documents_the_notice_routes(world, client):
    client.force_login(world.employee)
    schema = client.get("/api/v1/schema/").content.decode()
    for path in ("/api/v1/notices/", "/api/v1/notices/{id}/acknowledge/", "/api/v1/notices/{id}/read-rate/"):
        assert path in schema


def test_the_openapi_schema_describes_the_notices_api_without_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    # given
    GENERATOR_STATS.reset()
    # when
    schema = SchemaGenerator().get_schema(request=None, public=True)
    # then
    validate_schema(schema)
    warnings = [
        message
        for message in (*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache)
        if "notice" in message.lower()
    ]
    assert warnings == []
    assert {path: sorted(ops) for path, ops in schema["paths"].items() if path.startswith("/api/v1/notices/")} == {
        "/api/v1/notices/": ["get", "post"],
        "/api/v1/notices/{id}/": ["get"],
        "/api/v1/notices/{id}/acknowledge/": ["post"],
        "/api/v1/notices/{id}/read-rate/": ["get"],
        "/api/v1/notices/{id}/withdraw/": ["post"],
    }


def test_publish_with_attachments_as_multipart(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.coordinator)
    pdf = SimpleUploadedFile("规则.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", content_type="application/pdf")
    response = client.post(
        "/api/v1/notices/", {"title": "报价规则", "audience": '["SALES"]', "requires_ack": "true", "files": [pdf]}
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["audience"] == ["SALES"]
    assert [a["filename"] for a in data["attachments"]] == ["规则.pdf"]
    client.force_login(world.other_department)
    assert client.get(data["attachments"][0]["url"]).status_code == 200
    client.force_login(world.employee)
    assert client.get(data["attachments"][0]["url"]).status_code == 404
