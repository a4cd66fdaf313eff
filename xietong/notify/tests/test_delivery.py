"""E-mail and group-robot delivery, against a local HTTP receiver (no test reaches the internet).

Payloads and signatures are checked byte for byte; the expected signatures are computed here, from
the vendors' published algorithms, not with the code under test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.common.ticks import run_ticks
from xietong.notify import delivery as engine
from xietong.notify import services
from xietong.notify.models import Delivery, DeliveryAttempt, Notification, NotificationPreference, Webhook
from xietong.notify.tests.receiver import FEISHU_OK, WECOM_OK
from xietong.org.tests.factories import PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kind_groups", "site")]

AT = datetime(2025, 3, 7, 15, 30, 12, tzinfo=ZoneInfo("Asia/Shanghai"))
SECRET = "SEC0123456789abcdef"


def _webhook(world: Any, receiver: Any, *, vendor: str = "wecom", path: str = "/hook?key=k1", **values: Any) -> Webhook:
    defaults = {"name": f"{vendor} 群", "groups": ["dispute", "process"], "department": None}
    return services.webhook_create(actor=world.admin, vendor=vendor, url=f"{receiver.url}{path}", **(defaults | values))


def _notify(capture: Any, recipients: list[Any], **values: Any) -> None:
    message = {
        "kind": "dispute.escalated",
        "title": "争议“交付延期”已升级",
        "body": "请在两个工作日内决定。",
        "url": "/disputes/7/",
    } | values
    with capture(execute=True):
        services.notify(recipients=recipients, **message)


def _dump(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _open_label(language: str = "zh-hans") -> str:
    with translation.override(language):
        return gettext("Open in xietong")


# ── payloads and signatures, per vendor ─────────────────────────────────────────────────────────


def test_wecom_gets_its_markdown_message_byte_for_byte(world, receiver, django_capture_on_commit_callbacks):
    # given
    webhook = _webhook(world, receiver, vendor="wecom", path="/cgi-bin/webhook/send?key=693a91f6")
    # when
    with clock.freeze(AT):
        _notify(django_capture_on_commit_callbacks, [world.employee])
    # then
    content = (
        f"**争议“交付延期”已升级**\n\n请在两个工作日内决定。\n\n[{_open_label()}](https://xt.example.cn/disputes/7/)"
    )
    [request] = receiver.requests
    assert request.path == "/cgi-bin/webhook/send?key=693a91f6"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.body == _dump({"msgtype": "markdown", "markdown": {"content": content}})
    sent = Delivery.objects.get(webhook=webhook)
    assert (sent.status, sent.attempts, sent.sent_at) == (Delivery.Status.SENT, 1, AT)
    attempt = DeliveryAttempt.objects.get(delivery=sent)
    assert (attempt.outcome, attempt.http_status, attempt.started_at, attempt.error) == ("success", 200, AT, "")
    assert json.loads(attempt.response) == {"errcode": 0, "errmsg": "ok"}
    assert attempt.duration_ms is not None


def test_dingtalk_gets_a_signed_markdown_message(world, receiver, django_capture_on_commit_callbacks):
    # given
    _webhook(world, receiver, vendor="dingtalk", path="/robot/send?access_token=tok", secret=SECRET)
    # when
    with clock.freeze(AT):
        _notify(django_capture_on_commit_callbacks, [world.employee])
    # then: timestamp in milliseconds; HMAC-SHA256 keyed with the secret over timestamp + "\n" + secret
    timestamp = 1741332612000
    assert int(AT.timestamp() * 1000) == timestamp
    digest = hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    sign = quote(base64.b64encode(digest).decode(), safe="")
    [request] = receiver.requests
    assert request.path == f"/robot/send?access_token=tok&timestamp={timestamp}&sign={sign}"
    text = (
        f"#### 争议“交付延期”已升级\n\n请在两个工作日内决定。\n\n[{_open_label()}](https://xt.example.cn/disputes/7/)"
    )
    assert request.body == _dump({"msgtype": "markdown", "markdown": {"title": "争议“交付延期”已升级", "text": text}})
    # and DingTalk's own check passes: the decoded sign is the HMAC of what it receives
    query = parse_qs(urlsplit(request.path).query)
    expected = hmac.new(SECRET.encode(), f"{query['timestamp'][0]}\n{SECRET}".encode(), hashlib.sha256).digest()
    assert base64.b64decode(query["sign"][0]) == expected


def test_dingtalk_without_a_secret_is_not_signed(world, receiver, django_capture_on_commit_callbacks):
    # given
    _webhook(world, receiver, vendor="dingtalk", path="/robot/send?access_token=tok")
    # when
    with clock.freeze(AT):
        _notify(django_capture_on_commit_callbacks, [world.employee])
    # then
    assert [r.path for r in receiver.requests] == ["/robot/send?access_token=tok"]


def test_feishu_gets_a_signed_post_message(world, receiver, django_capture_on_commit_callbacks):
    # given
    receiver.default = FEISHU_OK
    _webhook(world, receiver, vendor="feishu", path="/open-apis/bot/v2/hook/0a1b", secret=SECRET)
    # when
    with clock.freeze(AT):
        _notify(django_capture_on_commit_callbacks, [world.employee])
    # then: timestamp in seconds; the HMAC *key* is timestamp + "\n" + secret, the message empty
    timestamp = 1741332612
    sign = base64.b64encode(hmac.new(f"{timestamp}\n{SECRET}".encode(), b"", hashlib.sha256).digest()).decode()
    [request] = receiver.requests
    assert request.path == "/open-apis/bot/v2/hook/0a1b"
    assert request.body == _dump(
        {
            "timestamp": str(timestamp),
            "sign": sign,
            "msg_type": "post",
            "content": {
                "post": {
                    "zh_cn": {
                        "title": "争议“交付延期”已升级",
                        "content": [
                            [{"tag": "text", "text": "请在两个工作日内决定。"}],
                            [{"tag": "a", "text": _open_label(), "href": "https://xt.example.cn/disputes/7/"}],
                        ],
                    }
                }
            },
        }
    )
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_feishu_error_code_is_a_failure(world, receiver, django_capture_on_commit_callbacks):
    # given: Feishu answers 200 with a non-zero code (e.g. a bad signature)
    receiver.answer(
        (200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"})
    )
    receiver.default = FEISHU_OK
    _webhook(world, receiver, vendor="feishu", path="/open-apis/bot/v2/hook/0a1b", secret=SECRET)
    # when
    with clock.freeze(AT):
        _notify(django_capture_on_commit_callbacks, [world.employee])
    # then
    sent = Delivery.objects.get()
    assert (sent.status, sent.attempts, sent.next_attempt_at) == ("pending", 1, AT + timedelta(minutes=1))
    assert sent.last_error.startswith("code 19021: sign match fail")


# ── who receives what ───────────────────────────────────────────────────────────────────────────


def test_a_message_goes_to_the_organizations_and_the_recipients_departments_webhooks_once_each(
    world, receiver, django_capture_on_commit_callbacks
):
    # given
    org = _webhook(world, receiver, name="全公司", path="/org")
    rd = _webhook(world, receiver, name="研发中心", department=world.rd, path="/rd")
    rd_tree = _webhook(
        world, receiver, name="研发中心及下属", department=world.rd, include_subdepartments=True, path="/rd-tree"
    )
    _webhook(world, receiver, name="销售部", department=world.sales, path="/sales")
    _webhook(world, receiver, name="只收流程", groups=["process"], path="/process-only")
    _webhook(world, receiver, name="停用", is_active=False, path="/inactive")
    # when: the employee (RD-HW, below RD) and the head (RD) are told
    with clock.freeze(AT):
        _notify(django_capture_on_commit_callbacks, [world.employee, world.head])
    # then
    assert sorted(r.path for r in receiver.requests) == ["/org", "/rd", "/rd-tree"]
    assert sorted(Delivery.objects.values_list("webhook_id", flat=True)) == sorted([org.pk, rd.pk, rd_tree.pk])


def test_a_department_webhook_without_sub_departments_misses_people_below(
    world, receiver, django_capture_on_commit_callbacks
):
    # given
    _webhook(world, receiver, department=world.rd, path="/rd")
    _webhook(world, receiver, department=world.rd, include_subdepartments=True, path="/rd-tree")
    # when
    with clock.freeze(AT):
        _notify(django_capture_on_commit_callbacks, [world.employee])
    # then
    assert [r.path for r in receiver.requests] == ["/rd-tree"]


def test_a_kind_nobody_registered_goes_to_no_webhook_and_no_email(world, receiver, django_capture_on_commit_callbacks):
    # given
    _webhook(world, receiver)
    NotificationPreference.objects.create(person=world.employee, group="survey", email=True)
    # when
    with clock.freeze(AT):
        _notify(django_capture_on_commit_callbacks, [world.employee], kind="survey.opened")
    # then
    assert (receiver.requests, len(mail.outbox), Delivery.objects.count()) == ([], 0, 0)
    assert Notification.objects.filter(recipient=world.employee).count() == 1


def test_recipients_in_several_languages_make_one_post_in_the_organizations_language(
    world, receiver, django_capture_on_commit_callbacks
):
    # given
    world.other_department.language = "en"
    world.other_department.save(update_fields=["language"])
    _webhook(world, receiver)
    # when
    with clock.freeze(AT):
        _notify(
            django_capture_on_commit_callbacks,
            [world.employee, world.other_department],
            title=gettext_lazy("{case} is completed"),
            params={"case": "SO-1"},
            body="",
        )
    # then
    [request] = receiver.requests
    assert request.json()["markdown"]["content"].startswith("**SO-1 已完成**")


# ── idempotence and transactions ────────────────────────────────────────────────────────────────


def test_notifying_twice_with_one_key_sends_one_email_and_one_post(world, receiver, django_capture_on_commit_callbacks):
    # given
    world.employee.email = "wang@example.cn"
    world.employee.save(update_fields=["email"])
    services.notification_preferences_set(person=world.employee, email_groups=["dispute"])
    _webhook(world, receiver)
    # when
    with clock.freeze(AT):
        _notify(django_capture_on_commit_callbacks, [world.employee], dedupe_key="dispute:7:escalated:2")
        _notify(django_capture_on_commit_callbacks, [world.employee], dedupe_key="dispute:7:escalated:2")
    # then
    assert len(mail.outbox) == 1
    assert len(receiver.requests) == 1
    assert Delivery.objects.count() == 2
    assert Notification.objects.count() == 1


class Refused(Exception):
    pass


def _in_a_failing_transaction(work: Any) -> None:
    with transaction.atomic():
        work()
        raise Refused


def test_a_rolled_back_transaction_sends_nothing(world, receiver, django_capture_on_commit_callbacks):
    # given
    world.employee.email = "wang@example.cn"
    world.employee.save(update_fields=["email"])
    services.notification_preferences_set(person=world.employee, email_groups=["dispute"])
    _webhook(world, receiver)

    # when
    with clock.freeze(AT), django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Refused):
        _in_a_failing_transaction(
            lambda: services.notify(recipients=[world.employee], kind="dispute.escalated", title="t", url="/d/7/")
        )
    # then
    assert (callbacks, receiver.requests, mail.outbox) == ([], [], [])
    assert (Delivery.objects.count(), Notification.objects.count()) == (0, 0)


def test_notify_on_commit_inside_a_rolled_back_transaction_sends_nothing(
    world, receiver, django_capture_on_commit_callbacks
):
    # given
    _webhook(world, receiver)
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Refused):
        _in_a_failing_transaction(
            lambda: services.notify_on_commit(recipients=[world.employee], kind="dispute.escalated", title="t")
        )
    # then
    assert (callbacks, receiver.requests, Delivery.objects.count()) == ([], [], 0)


# ── retries, back-off, failure ──────────────────────────────────────────────────────────────────


def test_a_failed_post_is_retried_with_back_off_until_it_succeeds(world, receiver, django_capture_on_commit_callbacks):
    # given: a server error, then a vendor error code, then success
    receiver.answer((500, b"upstream down"), (200, {"errcode": 45009, "errmsg": "api freq out of limit"}), WECOM_OK)
    _webhook(world, receiver)
    # when / then: attempt 1 fails, the next is due one minute later
    with clock.freeze(AT):
        _notify(django_capture_on_commit_callbacks, [world.employee])
    sent = Delivery.objects.get()
    assert (sent.status, sent.attempts, sent.next_attempt_at, sent.last_error) == (
        "pending",
        1,
        AT + timedelta(minutes=1),
        "HTTP 500",
    )
    # not yet due: nothing happens
    assert run_ticks(now=AT + timedelta(seconds=59))["notify.deliveries"]["retry"] == 0
    assert len(receiver.requests) == 1
    # attempt 2 fails with the vendor's code; the pause doubles
    assert run_ticks(now=AT + timedelta(minutes=1))["notify.deliveries"] == {
        "sent": 0,
        "retry": 1,
        "failed": 0,
        "waiting": 0,
    }
    sent.refresh_from_db()
    assert (sent.attempts, sent.next_attempt_at) == (2, AT + timedelta(minutes=3))
    # attempt 3 succeeds
    with clock.freeze(AT + timedelta(minutes=3)):
        assert run_ticks()["notify.deliveries"] == {"sent": 1, "retry": 0, "failed": 0, "waiting": 0}
    sent.refresh_from_db()
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 3, "")
    attempts = list(
        DeliveryAttempt.objects.filter(delivery=sent)
        .order_by("number")
        .values_list("number", "outcome", "http_status", "error", "started_at")
    )
    assert attempts == [
        (1, "error", 500, "HTTP 500", AT),
        (2, "error", 200, "errcode 45009: api freq out of limit", AT + timedelta(minutes=1)),
        (3, "success", 200, "", AT + timedelta(minutes=3)),
    ]
    assert DeliveryAttempt.objects.get(delivery=sent, number=1).response == "upstream down"
    assert len(receiver.requests) == 3
    # and the same body each time
    assert len({r.body for r in receiver.requests}) == 1


def test_a_network_error_is_recorded_and_retried(world, django_capture_on_commit_callbacks, kind_groups):
    # given: a port where nobody listens
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    services.webhook_create(
        actor=world.admin, name="无人", vendor="wecom", url=f"http://127.0.0.1:{port}/hook", groups=["dispute"]
    )
    # when
    with clock.freeze(AT):
        _notify(django_capture_on_commit_callbacks, [world.employee])
    # then
    attempt = DeliveryAttempt.objects.get()
    assert (attempt.outcome, attempt.http_status) == ("error", None)
    assert attempt.error.startswith("network error:")
    assert Delivery.objects.get().next_attempt_at == AT + timedelta(minutes=1)


def test_after_the_last_attempt_the_delivery_fails_and_admins_see_it(
    world, receiver, client, django_capture_on_commit_callbacks
):
    # given: the vendor always refuses
    receiver.default = (200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    _webhook(world, receiver)
    with clock.freeze(AT):
        _notify(django_capture_on_commit_callbacks, [world.employee])
    # when: each retry when due (1, 2, 4, 8 minutes apart)
    at = AT
    for pause in (1, 2, 4, 8):
        at += timedelta(minutes=pause)
        run_ticks(now=at)
    # then
    failed = Delivery.objects.get()
    assert (failed.status, failed.attempts, failed.last_error) == ("failed", 5, "errcode 93000: invalid webhook url")
    assert len(receiver.requests) == engine.MAX_ATTEMPTS == 5
    assert run_ticks(now=at + timedelta(days=1))["notify.deliveries"] == {
        "sent": 0,
        "retry": 0,
        "failed": 0,
        "waiting": 0,
    }
    assert len(receiver.requests) == 5
    # and the deliveries page shows it to administrators, with the vendor's answer
    client.force_login(world.admin)
    html = client.get("/notifications/deliveries/").content.decode()
    assert f'data-delivery="{failed.pk}" data-status="failed"' in html
    assert html.count("errcode 93000: invalid webhook url") == 6  # the delivery's last error and its 5 attempts
    client.force_login(world.head)
    assert client.get("/notifications/deliveries/").status_code == 403


@pytest.mark.parametrize(("attempt", "pause"), [(1, 1), (2, 2), (3, 4), (4, 8), (7, 60), (20, 60)])
def test_back_off_doubles_up_to_an_hour(attempt, pause):
    assert engine.backoff(attempt) == timedelta(minutes=pause)


# ── rate limits ─────────────────────────────────────────────────────────────────────────────────


def test_the_21st_wecom_message_within_a_minute_waits(world, receiver, django_capture_on_commit_callbacks):
    # given
    webhook = _webhook(world, receiver)
    # when: 21 messages at the same instant
    with clock.freeze(AT):
        for n in range(21):
            _notify(django_capture_on_commit_callbacks, [world.employee], title=f"消息{n}")
    # then: 20 went out; the 21st waits for the first to leave the window, without using an attempt
    assert len(receiver.requests) == 20
    waiting = Delivery.objects.get(webhook=webhook, status="pending")
    assert (waiting.title, waiting.attempts, waiting.next_attempt_at) == ("消息20", 0, AT + timedelta(minutes=1))
    assert run_ticks(now=AT + timedelta(seconds=59))["notify.deliveries"]["waiting"] == 0  # not due yet
    assert len(receiver.requests) == 20
    # when the minute has passed, it goes
    assert run_ticks(now=AT + timedelta(minutes=1))["notify.deliveries"]["sent"] == 1
    assert len(receiver.requests) == 21
    assert receiver.requests[-1].json()["markdown"]["content"].startswith("**消息20**")


def test_the_rate_limit_is_per_webhook(world, receiver, django_capture_on_commit_callbacks):
    # given: two robots, 21 messages
    _webhook(world, receiver, path="/a")
    _webhook(world, receiver, path="/b", vendor="dingtalk")
    # when
    with clock.freeze(AT):
        for n in range(21):
            _notify(django_capture_on_commit_callbacks, [world.employee], title=f"消息{n}")
    # then
    paths = [r.path for r in receiver.requests]
    assert (paths.count("/a"), paths.count("/b")) == (20, 20)
    assert Delivery.objects.filter(status="pending").count() == 2


def test_feishu_sends_at_most_five_a_second(world, receiver, django_capture_on_commit_callbacks):
    # given
    receiver.default = FEISHU_OK
    _webhook(world, receiver, vendor="feishu", path="/open-apis/bot/v2/hook/x")
    # when
    with clock.freeze(AT):
        for n in range(6):
            _notify(django_capture_on_commit_callbacks, [world.employee], title=f"消息{n}")
    # then
    assert len(receiver.requests) == 5
    assert Delivery.objects.get(status="pending").next_attempt_at == AT + timedelta(seconds=1)
    run_ticks(now=AT + timedelta(seconds=1))
    assert len(receiver.requests) == 6


# ── e-mail ──────────────────────────────────────────────────────────────────────────────────────


def test_email_goes_to_who_chose_it_in_their_language_with_the_absolute_link(world, django_capture_on_commit_callbacks):
    # given: the employee (organization's Chinese) and the other (English) chose e-mail for processes;
    # the head did not; the liaison chose it but has no address
    for person, email, language in (
        (world.employee, "wang@example.cn", ""),
        (world.other_department, "zhao@example.cn", "en"),
        (world.head, "chen@example.cn", ""),
        (world.liaison, "", ""),
    ):
        person.email, person.language = email, language
        person.save(update_fields=["email", "language"])
    for person in (world.employee, world.other_department, world.liaison):
        services.notification_preferences_set(person=person, email_groups=["process"])
    # when
    with clock.freeze(AT):
        _notify(
            django_capture_on_commit_callbacks,
            [world.employee, world.other_department, world.head, world.liaison],
            kind="process.case_completed",
            title=gettext_lazy("{case} is completed"),
            params={"case": "SO-1"},
            body="",
            url="/processes/cases/12/",
        )
    # then
    sent = {m.to[0]: m for m in mail.outbox}
    assert sorted(sent) == ["wang@example.cn", "zhao@example.cn"]
    assert (sent["wang@example.cn"].subject, sent["zhao@example.cn"].subject) == ("SO-1 已完成", "SO-1 is completed")
    for message in sent.values():
        assert "https://xt.example.cn/processes/cases/12/" in message.body
        assert "https://xt.example.cn/notifications/settings/" in message.body
        assert message.from_email == "xietong <noreply@localhost>"
    with translation.override("en"):
        assert gettext("Open in xietong:") in sent["zhao@example.cn"].body
    assert Delivery.objects.filter(channel="email", status="sent").count() == 2


def test_email_only_for_the_chosen_group(world, django_capture_on_commit_callbacks):
    # given
    world.employee.email = "wang@example.cn"
    world.employee.save(update_fields=["email"])
    services.notification_preferences_set(person=world.employee, email_groups=["process"])
    # when
    with clock.freeze(AT):
        _notify(django_capture_on_commit_callbacks, [world.employee], kind="dispute.escalated")
    # then
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=world.employee).count() == 1


def test_by_default_nobody_gets_email(world, django_capture_on_commit_callbacks):
    # given
    world.employee.email = "wang@example.cn"
    world.employee.save(update_fields=["email"])
    # when
    with clock.freeze(AT):
        _notify(django_capture_on_commit_callbacks, [world.employee])
    # then
    assert (mail.outbox, Delivery.objects.count()) == ([], 0)


def test_an_smtp_failure_is_retried(world, settings, django_capture_on_commit_callbacks):
    # given: a mail server that refuses the first time
    settings.EMAIL_BACKEND = "xietong.notify.tests.test_delivery.FlakyBackend"
    FlakyBackend.failures = 1
    world.employee.email = "wang@example.cn"
    world.employee.save(update_fields=["email"])
    services.notification_preferences_set(person=world.employee, email_groups=["dispute"])
    # when
    with clock.freeze(AT):
        _notify(django_capture_on_commit_callbacks, [world.employee])
    first = Delivery.objects.get()
    run_ticks(now=AT + timedelta(minutes=1))
    # then
    assert (first.attempts, first.last_error) == (1, "SMTPServerDisconnected: refused")
    assert Delivery.objects.get().status == "sent"
    assert len(mail.outbox) == 1


def test_a_person_who_left_before_the_retry_is_given_up(world, django_capture_on_commit_callbacks, settings):
    # given
    settings.EMAIL_BACKEND = "xietong.notify.tests.test_delivery.FlakyBackend"
    FlakyBackend.failures = 1
    world.employee.email = "wang@example.cn"
    world.employee.save(update_fields=["email"])
    services.notification_preferences_set(person=world.employee, email_groups=["dispute"])
    with clock.freeze(AT):
        _notify(django_capture_on_commit_callbacks, [world.employee])
    # when
    world.employee.is_active = False
    world.employee.save(update_fields=["is_active"])
    run_ticks(now=AT + timedelta(minutes=1))
    # then
    gone = Delivery.objects.get()
    assert (gone.status, gone.attempts, mail.outbox) == ("failed", 2, [])


class FlakyBackend:
    """A mail backend that fails ``failures`` times, then delivers to Django's test outbox."""

    failures = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        import smtplib

        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("refused")
        mail.outbox.extend(messages)
        return len(messages)


# ── the test message ────────────────────────────────────────────────────────────────────────────


def test_the_test_message_is_posted(world, receiver, django_capture_on_commit_callbacks):
    # given
    webhook = _webhook(world, receiver, groups=["process"])
    # when
    with clock.freeze(AT), django_capture_on_commit_callbacks(execute=True):
        services.webhook_send_test(actor=world.admin, webhook=webhook)
    # then
    [request] = receiver.requests
    assert request.json()["markdown"]["content"].startswith("**")
    assert Delivery.objects.get().kind == "notify.webhook_test"
    assert Delivery.objects.get().status == "sent"


# ── several workers ─────────────────────────────────────────────────────────────────────────────


def test_an_attempt_already_claimed_is_not_made_again(world, receiver, django_capture_on_commit_callbacks):
    # given: a delivery that failed once and is due
    receiver.answer((500, b""))
    _webhook(world, receiver)
    with clock.freeze(AT):
        _notify(django_capture_on_commit_callbacks, [world.employee])
    pk = Delivery.objects.get().pk
    due = AT + timedelta(minutes=1)
    # when: two workers try it one after the other at the same instant
    first = engine.delivery_attempt(pk, now=due)
    second = engine.delivery_attempt(pk, now=due)
    # then
    assert (first, second) == ("sent", "skipped")
    assert len(receiver.requests) == 2


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_workers_ticking_at_once_post_each_message_once(world, receiver, kind_groups):
    # given: five waiting deliveries
    webhook = services.webhook_create(
        actor=world.admin, name="群", vendor="wecom", url=f"{receiver.url}/h", groups=["dispute"]
    )
    for n in range(5):
        Delivery.objects.create(
            channel="webhook", webhook=webhook, kind="dispute.x", title=f"m{n}", language="zh-hans", next_attempt_at=AT
        )
    results: list[dict[str, int]] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            start.wait()
            results.append(engine.deliveries_tick(now=AT + timedelta(seconds=1)))
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert sorted(r.json()["markdown"]["content"] for r in receiver.requests) == [f"**m{n}**" for n in range(5)]
    assert sum(r["sent"] for r in results) == 5
    assert DeliveryAttempt.objects.count() == 5


@pytest.mark.parametrize("scale", [1, 5])
def test_notify_costs_the_same_queries_whatever_the_number_of_recipients(
    world, receiver, django_assert_num_queries, scale
):
    # given: an organization and a department webhook, and recipients who chose e-mail
    from xietong.org.selectors import department_subtree_ids, organization_get

    _webhook(world, receiver, path="/org")
    _webhook(world, receiver, department=world.rd, include_subdepartments=True, path="/rd")
    people = [PersonFactory(department=world.rd_hw, email=f"p{n}@example.cn") for n in range(10 * scale)]
    for person in people[::2]:
        services.notification_preferences_set(person=person, email_groups=["dispute"])
    organization_get(), department_subtree_ids({world.rd.pk})  # both cached briefly, as on most requests
    # when: the people, the inbox insert, the preferences and the e-mail insert, the webhooks, the
    # recipients' departments and the posts' insert (sent after commit: not run here)
    with django_assert_num_queries(7):
        services.notify(recipients=people, kind="dispute.escalated", title="t", url="/disputes/7/")
    # then
    assert Delivery.objects.filter(channel="email").count() == 5 * scale
    assert Delivery.objects.filter(channel="webhook").count() == 2


def test_an_admin_tries_a_failed_delivery_again_and_it_goes(
    world, receiver, client, django_capture_on_commit_callbacks
):
    # given: a post that failed five times
    receiver.default = (500, b"down")
    _webhook(world, receiver)
    with clock.freeze(AT):
        _notify(django_capture_on_commit_callbacks, [world.employee])
    at = AT
    for pause in (1, 2, 4, 8):
        at += timedelta(minutes=pause)
        run_ticks(now=at)
    failed = Delivery.objects.get()
    assert failed.status == "failed"
    # when: the vendor is back and an admin presses "try again"
    receiver.default = WECOM_OK
    client.force_login(world.admin)
    with clock.freeze(at + timedelta(hours=1)), django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/notifications/deliveries/{failed.pk}/retry/")
    # then
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, len(receiver.requests)) == ("sent", 6, 6)


def test_only_a_failed_delivery_can_be_tried_again(world, receiver):
    # given
    webhook = _webhook(world, receiver)
    sent = Delivery.objects.create(
        channel="webhook", webhook=webhook, kind="dispute.x", title="t", language="zh-hans", status="sent"
    )
    # when / then
    with pytest.raises(ApplicationError):
        services.delivery_retry(actor=world.admin, delivery=sent)
    assert Delivery.objects.get().status == "sent"
