"""Preferences and webhook settings: the services' rules, the pages and the API.

Who gets which status on every route is in the role × route matrix (route_matrix.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy

from xietong.audit.models import AuditEntry
from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.notify import services
from xietong.notify.models import Delivery, DeliveryAttempt, NotificationPreference, Webhook

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kind_groups")]

AT = datetime(2025, 3, 7, 15, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
WEBHOOKS_API = "/api/v1/notify/webhooks/"
PREFERENCES_API = "/api/v1/notify/preferences/"
DINGTALK = "https://oapi.dingtalk.com/robot/send?access_token=abc"
WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"


def _create(world: Any, **values: Any) -> Webhook:
    defaults = {"name": "研发群", "vendor": "dingtalk", "url": DINGTALK, "groups": ["dispute"]}
    return services.webhook_create(actor=world.admin, **(defaults | values))


def _rows() -> tuple[int, int]:
    return Webhook.objects.count(), AuditEntry.objects.count()


# ── preferences ─────────────────────────────────────────────────────────────────────────────────


def test_preferences_default_to_in_app_only(world):
    from xietong.notify.selectors import notification_preferences_of

    assert [(p["group"], p["email"]) for p in notification_preferences_of(world.employee)] == [
        ("dispute", False),
        ("process", False),
    ]


def test_setting_preferences_keeps_only_the_chosen_groups(world):
    # given
    services.notification_preferences_set(person=world.employee, email_groups=["dispute", "process"])
    # when
    result = services.notification_preferences_set(person=world.employee, email_groups=["process"])
    # then
    assert result == {"dispute": False, "process": True}
    assert list(NotificationPreference.objects.values_list("person_id", "group", "email")) == [
        (world.employee.pk, "process", True)
    ]
    assert AuditEntry.objects.filter(action="notification_preferences").count() == 2


def test_an_unknown_group_is_refused_and_changes_nothing(world):
    # given
    services.notification_preferences_set(person=world.employee, email_groups=["process"])
    before = list(NotificationPreference.objects.values_list("group", "email"))
    # when
    with pytest.raises(ApplicationError) as refused:
        services.notification_preferences_set(person=world.employee, email_groups=["process", "payroll"])
    # then
    assert "payroll" in str(refused.value.message)
    assert list(NotificationPreference.objects.values_list("group", "email")) == before


def test_the_settings_page_saves_ones_own_choices(client, world):
    # given
    client.force_login(world.employee)
    # when
    response = client.post("/notifications/settings/", {"email_dispute": "on"})
    # then
    assert (response.status_code, response["Location"]) == (302, "/notifications/settings/")
    assert list(NotificationPreference.objects.values_list("person_id", "group", "email")) == [
        (world.employee.pk, "dispute", True)
    ]
    html = client.get("/notifications/settings/").content.decode()
    assert 'name="email_dispute" class="form-check-input" id="id_email_dispute" checked' in html
    assert 'name="email_process" class="form-check-input" id="id_email_process">' in html


def test_the_settings_page_warns_who_has_no_address(client, world):
    # given
    world.employee.email = ""
    world.employee.save(update_fields=["email"])
    client.force_login(world.employee)
    # when / then
    assert 'id="no-email"' in client.get("/notifications/settings/").content.decode()
    world.employee.email = "wang@example.cn"
    world.employee.save(update_fields=["email"])
    html = client.get("/notifications/settings/").content.decode()
    assert 'id="no-email"' not in html
    assert "wang@example.cn" in html.split('id="email-address"')[1].split("</p>")[0]


def test_the_inbox_links_to_the_settings(client, world):
    client.force_login(world.employee)
    html = client.get("/notifications/").content.decode()
    assert 'href="/notifications/settings/" class="btn" id="notification-settings"' in html


def test_the_api_reads_and_sets_ones_own_preferences(client, world):
    # given
    client.force_login(world.head)
    # when
    put = client.put(PREFERENCES_API, {"email_groups": ["process"]}, content_type="application/json")
    got = client.get(PREFERENCES_API)
    # then
    assert put.status_code == 200
    with translation.override("zh-hans"):
        labels = [str(gettext_lazy("Disputes")), str(gettext_lazy("Processes"))]
    assert got.json()["groups"] == [
        {"group": "dispute", "label": labels[0], "email": False},
        {"group": "process", "label": labels[1], "email": True},
    ]
    assert list(NotificationPreference.objects.values_list("person_id", "group")) == [(world.head.pk, "process")]


def test_the_api_refuses_an_unknown_group_with_the_error_shape(client, world):
    # given
    client.force_login(world.head)
    # when
    response = client.put(PREFERENCES_API, {"email_groups": ["payroll"]}, content_type="application/json")
    # then
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"email_groups"}
    assert NotificationPreference.objects.exists() is False


# ── webhooks: the rules ─────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"url": "ftp://files.example.cn/hook"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "oapi.dingtalk.com/robot/send"}, "url"),
        ({"url": "https://"}, "url"),
        ({"url": "https://oapi.dingtalk.com/robot send"}, "url"),
        ({"vendor": "slack"}, "vendor"),
        ({"vendor": "wecom", "secret": "SECabc"}, "secret"),
        ({"groups": []}, "groups"),
        ({"groups": ["payroll"]}, "groups"),
        ({"name": "  "}, "name"),
    ],
)
def test_invalid_webhooks_are_refused_with_a_clear_error_and_nothing_written(world, values, field):
    # given
    before = _rows()
    # when
    with pytest.raises(ApplicationError) as refused:
        _create(world, **values)
    # then
    assert list(refused.value.field_errors) == [field]
    assert _rows() == before


def test_a_closed_department_cannot_get_a_webhook(world):
    world.sales.is_active = False
    world.sales.save(update_fields=["is_active"])
    with pytest.raises(ApplicationError) as refused:
        _create(world, department=world.sales)
    assert list(refused.value.field_errors) == ["department"]


def test_updating_keeps_the_secret_unless_replaced_or_cleared(world):
    # given
    webhook = _create(world, secret="SECold")
    # when / then: no secret given keeps it
    services.webhook_update(actor=world.admin, webhook=webhook, name="新名字", secret="")
    assert Webhook.objects.values_list("name", "secret").get() == ("新名字", "SECold")
    services.webhook_update(actor=world.admin, webhook=webhook, secret="SECnew")
    assert Webhook.objects.get().secret == "SECnew"
    services.webhook_update(actor=world.admin, webhook=webhook, clear_secret=True)
    assert Webhook.objects.get().secret == ""


def test_switching_to_wecom_drops_the_stored_secret_and_refuses_a_new_one(world):
    # given
    webhook = _create(world, secret="SECold")
    # when
    with pytest.raises(ApplicationError):
        services.webhook_update(actor=world.admin, webhook=webhook, vendor="wecom", secret="SECnew")
    services.webhook_update(actor=world.admin, webhook=webhook, vendor="wecom")
    # then
    assert Webhook.objects.values_list("vendor", "secret").get() == ("wecom", "")


def test_the_audit_trail_never_holds_the_secret(world):
    webhook = _create(world, secret="SECsupersecret")
    services.webhook_update(actor=world.admin, webhook=webhook, secret="SECother")
    assert "SECsupersecret" not in str(list(AuditEntry.objects.values_list("changes", flat=True)))
    assert "SECother" not in str(list(AuditEntry.objects.values_list("changes", flat=True)))


def test_an_inactive_webhook_gets_no_test_message(world):
    webhook = _create(world, is_active=False)
    with pytest.raises(ApplicationError):
        services.webhook_send_test(actor=world.admin, webhook=webhook)
    assert Delivery.objects.exists() is False


# ── webhooks: the pages ─────────────────────────────────────────────────────────────────────────


def test_admin_creates_a_webhook_on_the_page(client, world):
    # given
    client.force_login(world.admin)
    # when
    response = client.post(
        "/notifications/webhooks/new/",
        {
            "name": "研发群",
            "department": world.rd.pk,
            "vendor": "feishu",
            "url": "https://open.feishu.cn/open-apis/bot/v2/hook/x",
            "secret": "SECf",
            "groups": ["dispute", "process"],
            "is_active": "on",
        },
    )
    # then
    assert (response.status_code, response["Location"]) == (302, "/notifications/webhooks/")
    assert Webhook.objects.values_list("name", "department_id", "vendor", "secret", "groups", "is_active").get() == (
        "研发群",
        world.rd.pk,
        "feishu",
        "SECf",
        ["dispute", "process"],
        True,
    )


def test_the_page_shows_a_non_http_url_error_and_saves_nothing(client, world):
    # given
    client.force_login(world.admin)
    before = _rows()
    # when
    response = client.post(
        "/notifications/webhooks/new/",
        {"name": "x", "vendor": "wecom", "url": "ftp://example.cn/hook", "groups": ["dispute"], "is_active": "on"},
    )
    # then
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    assert (
        response.context["form"].errors["url"]
        == ["The webhook URL must be an http:// or https:// address (at most 500 characters)."]
        or "url" in response.context["form"].errors
    )
    assert _rows() == before


def test_the_edit_page_never_shows_the_secret(client, world):
    # given
    webhook = _create(world, secret="SECsupersecret")
    client.force_login(world.admin)
    # when
    html = client.get(f"/notifications/webhooks/{webhook.pk}/edit/").content.decode()
    list_html = client.get("/notifications/webhooks/").content.decode()
    # then
    assert "SECsupersecret" not in html
    assert "SECsupersecret" not in list_html
    assert 'name="clear_secret"' in html
    assert 'type="password" name="secret"' in html


def test_editing_with_an_empty_secret_keeps_it(client, world):
    # given
    webhook = _create(world, secret="SECkeep")
    client.force_login(world.admin)
    # when
    response = client.post(
        f"/notifications/webhooks/{webhook.pk}/edit/",
        {"name": "改名", "vendor": "dingtalk", "url": DINGTALK, "secret": "", "groups": ["dispute"], "is_active": "on"},
    )
    # then
    assert response.status_code == 302
    assert Webhook.objects.values_list("name", "secret").get() == ("改名", "SECkeep")


def test_deleting_removes_the_webhook(client, world):
    webhook = _create(world)
    client.force_login(world.admin)
    response = client.post(f"/notifications/webhooks/{webhook.pk}/delete/")
    assert response.status_code == 302
    assert Webhook.objects.exists() is False


def test_a_permanent_failure_shows_on_the_deliveries_page_to_admins_only(client, world):
    # given: a post that failed for good
    webhook = _create(world)
    failed = Delivery.objects.create(
        channel="webhook",
        webhook=webhook,
        kind="dispute.escalated",
        title="争议已升级",
        language="zh-hans",
        status="failed",
        attempts=5,
        last_error="errcode 310000: keywords not in content",
    )
    DeliveryAttempt.objects.create(
        delivery=failed,
        webhook=webhook,
        number=5,
        started_at=AT,
        outcome="error",
        http_status=200,
        error="errcode 310000: keywords not in content",
    )
    Delivery.objects.create(
        channel="webhook",
        webhook=webhook,
        kind="dispute.x",
        title="一条已送达的消息",
        language="zh-hans",
        status="sent",
    )
    client.force_login(world.admin)
    # when
    html = client.get("/notifications/deliveries/").content.decode()
    # then: failures are the default view
    assert f'data-delivery="{failed.pk}" data-status="failed"' in html
    assert "errcode 310000: keywords not in content" in html
    assert "一条已送达的消息" not in html.split('id="attempts"')[0]
    assert 'data-attempt="' in html
    # and nobody else sees it
    client.force_login(world.coordinator)
    assert client.get("/notifications/deliveries/").status_code == 403


def test_the_webhook_list_counts_failures(client, world):
    webhook = _create(world)
    Delivery.objects.create(
        channel="webhook", webhook=webhook, kind="dispute.x", title="t", language="zh-hans", status="failed"
    )
    client.force_login(world.admin)
    html = client.get("/notifications/webhooks/").content.decode()
    assert f'data-webhook="{webhook.pk}"' in html
    assert 'class="badge bg-red text-red-fg">1</a>' in html


def test_the_administration_menu_links_the_pages_for_admins_only(client, world):
    client.force_login(world.admin)
    html = client.get("/notifications/").content.decode()
    assert 'href="/notifications/webhooks/"' in html
    assert 'href="/notifications/deliveries/"' in html
    # a department's head finds their departments' group robots in the notification settings
    client.force_login(world.head)
    assert 'href="/notifications/webhooks/"' not in client.get("/notifications/").content.decode()
    assert 'href="/notifications/webhooks/"' in client.get("/notifications/settings/").content.decode()
    # and an employee manages none
    client.force_login(world.employee)
    assert 'href="/notifications/webhooks/"' not in client.get("/notifications/settings/").content.decode()


# ── a department's head and their department's group robots ───────────────────────────────────


def test_a_head_registers_webhooks_for_the_departments_they_head_only(world):
    # when: RD's head registers one for RD-HW (below RD)
    hook = services.webhook_create(
        actor=world.head, name="硬件群", vendor="wecom", url=WECOM, groups=["dispute"], department=world.rd_hw
    )
    # then
    assert hook.department == world.rd_hw
    # but not for the organization, nor for SALES: refused, nothing written
    before = _rows()
    for department in (None, world.sales):
        with pytest.raises(ApplicationError) as refused:
            services.webhook_create(
                actor=world.head, name="群", vendor="wecom", url=WECOM, groups=["dispute"], department=department
            )
        assert refused.value.code == "forbidden"
    assert _rows() == before


def test_a_head_sees_edits_and_removes_only_their_departments_webhooks(client, world):
    # given: the organization's webhook and RD's
    org_hook = _create(world, name="全公司群")
    rd_hook = _create(world, name="研发群", department=world.rd)
    client.force_login(world.head)
    # when
    listing = client.get("/notifications/webhooks/").content.decode()
    # then
    assert "研发群" in listing
    assert "全公司群" not in listing
    assert client.get(f"/notifications/webhooks/{org_hook.pk}/edit/").status_code == 404
    assert client.get(f"/notifications/webhooks/{rd_hook.pk}/edit/").status_code == 200
    # moving RD's webhook to the organization is refused and changes nothing
    with pytest.raises(ApplicationError):
        services.webhook_update(actor=world.head, webhook=rd_hook, department=None)
    rd_hook.refresh_from_db()
    assert rd_hook.department == world.rd
    # the form offers only the departments they head
    form = client.get("/notifications/webhooks/new/").content.decode()
    assert f'value="{world.rd_hw.pk}"' in form
    assert f'value="{world.sales.pk}"' not in form
    assert client.post(f"/notifications/webhooks/{rd_hook.pk}/delete/").status_code == 302
    assert not Webhook.objects.filter(pk=rd_hook.pk).exists()


def test_the_api_gives_a_head_their_departments_webhooks_only(client, world):
    _create(world, name="全公司群")
    rd_hook = _create(world, name="研发群", department=world.rd)
    client.force_login(world.head)
    listing = client.get("/api/v1/notify/webhooks/").json()
    assert [row["id"] for row in listing["results"]] == [rd_hook.pk]
    assert client.get("/api/v1/notify/deliveries/").status_code == 403


def test_the_test_button_records_a_delivery(client, world, django_capture_on_commit_callbacks):
    # given: a webhook no test will post to (the callbacks are not run)
    webhook = _create(world)
    client.force_login(world.admin)
    # when
    with clock.freeze(AT), django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/notifications/webhooks/{webhook.pk}/test/")
    # then
    assert response.status_code == 302
    assert Delivery.objects.values_list("webhook_id", "kind", "status").get() == (
        webhook.pk,
        "notify.webhook_test",
        "pending",
    )
    assert len(callbacks) == 1


# ── webhooks: the API ───────────────────────────────────────────────────────────────────────────


def test_the_api_creates_a_webhook_and_never_returns_the_secret(client, world):
    # given
    client.force_login(world.admin)
    # when
    created = client.post(
        WEBHOOKS_API,
        {
            "name": "研发群",
            "vendor": "dingtalk",
            "url": DINGTALK,
            "groups": ["dispute"],
            "secret": "SECapi",
            "department": "RD",
        },
        content_type="application/json",
    )
    # then
    assert created.status_code == 201
    body = created.json()
    assert "secret" not in body
    assert (body["has_secret"], body["department"], body["active"], body["include_subdepartments"]) == (
        True,
        "RD",
        True,
        False,
    )
    listed = client.get(WEBHOOKS_API).json()["results"]
    assert [w["id"] for w in listed] == [body["id"]]
    assert "SECapi" not in str(listed)
    assert Webhook.objects.get().secret == "SECapi"


def test_the_api_patch_without_secret_keeps_it(client, world):
    webhook = _create(world, secret="SECkeep")
    client.force_login(world.admin)
    response = client.patch(f"{WEBHOOKS_API}{webhook.pk}/", {"name": "新名"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["has_secret"] is True
    assert Webhook.objects.values_list("name", "secret").get() == ("新名", "SECkeep")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"url": "ftp://example.cn/hook"}, "url"),
        ({"vendor": "slack"}, "vendor"),
        ({"vendor": "wecom", "secret": "SECx"}, "secret"),
    ],
)
def test_the_api_refuses_invalid_webhooks_with_the_error_shape(client, world, values, field):
    # given
    client.force_login(world.admin)
    before = _rows()
    payload = {"name": "x", "vendor": "dingtalk", "url": DINGTALK, "groups": ["dispute"]} | values
    # when
    response = client.post(WEBHOOKS_API, payload, content_type="application/json")
    # then
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    assert _rows() == before


def test_the_api_lists_deliveries_with_their_attempts(client, world):
    webhook = _create(world)
    delivery = Delivery.objects.create(
        channel="webhook", webhook=webhook, kind="dispute.x", title="t", language="zh-hans", status="failed", attempts=1
    )
    DeliveryAttempt.objects.create(
        delivery=delivery, webhook=webhook, number=1, started_at=AT, outcome="error", http_status=502, error="HTTP 502"
    )
    client.force_login(world.admin)
    listed = client.get("/api/v1/notify/deliveries/", {"status": "failed"}).json()["results"]
    detail = client.get(f"/api/v1/notify/deliveries/{delivery.pk}/").json()
    assert [d["id"] for d in listed] == [delivery.pk]
    assert [(t["number"], t["outcome"], t["http_status"], t["error"]) for t in detail["tries"]] == [
        (1, "error", 502, "HTTP 502")
    ]
    assert client.get("/api/v1/notify/deliveries/", {"status": "sent"}).json()["results"] == []
