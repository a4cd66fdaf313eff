"""The caller's notifications over REST (/api/v1/notify/notifications/).

Who gets which status on every route is in the role × route matrix (route_matrix.py); these tests
say what the answers contain and what the writes do.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.utils.translation import gettext
from drf_spectacular.validation import validate_schema
from rest_framework.authtoken.models import Token

from xietong.common import clock
from xietong.common.testing.routes import SIGNED_IN
from xietong.notify.models import Notification
from xietong.notify.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

AT = datetime(2025, 3, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
NOTIFICATIONS = "/api/v1/notify/notifications/"


def _post(client: Any, url: str, **headers: Any) -> Any:
    return client.post(url, {}, content_type="application/json", headers=headers)


def _read_at(*notifications: Notification) -> list[datetime | None]:
    read = dict(Notification.objects.values_list("pk", "read_at"))
    return [read[n.pk] for n in notifications]


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


@pytest.mark.parametrize("role", SIGNED_IN)
def test_every_signed_in_role_lists_only_their_own_notifications_newest_first(client, world, role):
    # given
    person = world.user(role)
    for other in SIGNED_IN:
        NotificationFactory(recipient=world.user(other), created_at=AT)
    newer = NotificationFactory(recipient=person, created_at=AT + timedelta(hours=1))
    client.force_login(person)
    # when
    response = client.get(NOTIFICATIONS)
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    own = Notification.objects.get(recipient=person, created_at=AT)
    assert [n["id"] for n in body["results"]] == [newer.pk, own.pk]


def test_a_notification_says_what_it_is_and_whether_it_was_read(client, world):
    # given
    notification = NotificationFactory(
        recipient=world.employee,
        kind="process.step_overdue",
        title="步骤已超时",
        body="请处理。",
        url="/org/",
        created_at=AT,
        read_at=AT + timedelta(minutes=5),
    )
    client.force_login(world.employee)
    # when
    [result] = client.get(NOTIFICATIONS).json()["results"]
    # then
    assert result == {
        "id": notification.pk,
        "kind": "process.step_overdue",
        "title": "步骤已超时",
        "body": "请处理。",
        "url": "/org/",
        "created_at": "2025-03-03T10:00:00+08:00",
        "read_at": "2025-03-03T10:05:00+08:00",
        "read": True,
    }


def test_a_link_elsewhere_is_given_as_empty(client, world):
    # given: written around notify(), which refuses such links
    NotificationFactory(recipient=world.employee, url="//evil.example/")
    client.force_login(world.employee)
    # when
    [result] = client.get(NOTIFICATIONS).json()["results"]
    # then
    assert (result["url"], result["read"]) == ("", False)


def test_list_of_unread_only(client, world):
    # given
    NotificationFactory(recipient=world.employee, read_at=AT)
    unread = NotificationFactory(recipient=world.employee)
    client.force_login(world.employee)
    # when
    only_unread = client.get(NOTIFICATIONS, {"unread": "true"}).json()["results"]
    everything = client.get(NOTIFICATIONS, {"unread": "false"}).json()["results"]
    # then
    assert [n["id"] for n in only_unread] == [unread.pk]
    assert len(everything) == 2


def test_reading_one_marks_it_read_and_answers_it(client, world):
    # given
    notification = NotificationFactory(recipient=world.employee)
    other = NotificationFactory(recipient=world.employee)
    client.force_login(world.employee)
    # when
    with clock.freeze(AT):
        response = _post(client, f"{NOTIFICATIONS}{notification.pk}/read/")
    # then
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["read"], response.json()["read_at"]) == (
        notification.pk,
        True,
        "2025-03-03T10:00:00+08:00",
    )
    assert _read_at(notification, other) == [AT, None]


def test_reading_someone_elses_is_404_in_the_error_shape_and_changes_nothing(client, world):
    # given
    theirs = NotificationFactory(recipient=world.head)
    client.force_login(world.employee)
    # when
    response = _post(client, f"{NOTIFICATIONS}{theirs.pk}/read/")
    # then
    assert response.status_code == 404
    assert response.json() == {"error": {"status": 404, "code": "not_found", "message": zh("Not found.")}}
    assert _read_at(theirs) == [None]


def test_an_id_that_is_not_a_number_is_404(client, world):
    client.force_login(world.employee)
    response = _post(client, f"{NOTIFICATIONS}abc/read/")
    assert response.status_code == 404


def test_read_all_marks_ones_own_and_says_how_many(client, world):
    # given
    mine = NotificationFactory.create_batch(2, recipient=world.employee)
    already = NotificationFactory(recipient=world.employee, read_at=AT - timedelta(days=1))
    theirs = NotificationFactory(recipient=world.head)
    client.force_login(world.employee)
    # when
    with clock.freeze(AT):
        response = _post(client, f"{NOTIFICATIONS}read-all/")
    # then
    assert (response.status_code, response.json()) == (200, {"marked": 2})
    assert _read_at(*mine, already, theirs) == [AT, AT, AT - timedelta(days=1), None]


def test_unread_count_counts_ones_own_unread(client, world):
    # given
    NotificationFactory.create_batch(3, recipient=world.employee)
    NotificationFactory(recipient=world.employee, read_at=AT)
    NotificationFactory(recipient=world.head)
    client.force_login(world.employee)
    # when
    response = client.get(f"{NOTIFICATIONS}unread-count/")
    # then
    assert (response.status_code, response.json()) == (200, {"unread": 3})


def test_a_token_caller_reads_their_own(client, world):
    # given
    token = Token.objects.create(user=world.head)
    NotificationFactory(recipient=world.employee)
    mine = NotificationFactory(recipient=world.head)
    # when
    response = client.get(NOTIFICATIONS, headers={"Authorization": f"Token {token.key}"})
    # then
    assert [n["id"] for n in response.json()["results"]] == [mine.pk]


def test_anonymous_callers_get_the_error_shape(client, world):
    response = client.get(f"{NOTIFICATIONS}unread-count/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_authenticated"


def test_the_openapi_schema_is_valid_and_describes_the_notify_api(client, world):
    # given
    client.force_login(world.employee)
    # when
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    # then
    validate_schema(schema)
    paths = {path: set(ops) for path, ops in schema["paths"].items() if path.startswith("/api/v1/notify/")}
    assert paths == {
        "/api/v1/notify/notifications/": {"get"},
        "/api/v1/notify/notifications/{id}/read/": {"post"},
        "/api/v1/notify/notifications/read-all/": {"post"},
        "/api/v1/notify/notifications/unread-count/": {"get"},
        "/api/v1/notify/preferences/": {"get", "put"},
        "/api/v1/notify/webhooks/": {"get", "post"},
        "/api/v1/notify/webhooks/{id}/": {"get", "put", "patch", "delete"},
        "/api/v1/notify/webhooks/{id}/test/": {"post"},
        "/api/v1/notify/deliveries/": {"get"},
        "/api/v1/notify/deliveries/{id}/": {"get"},
        "/api/v1/notify/deliveries/{id}/retry/": {"post"},
    }
    list_parameters = {p["name"] for p in schema["paths"]["/api/v1/notify/notifications/"]["get"]["parameters"]}
    assert list_parameters == {"page", "page_size", "unread"}
    assert "parameters" not in schema["paths"]["/api/v1/notify/notifications/read-all/"]["post"]
