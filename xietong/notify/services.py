"""Every write of notify: telling people something, and marking what they have read.

Apps call ``notify_on_commit`` from their services (the house rule: notifications go out after the
caller's transaction commits, so a rolled-back change tells nobody), or ``notify`` from work that
already runs after commit (tasks, management commands). Both are safe to call twice for one event
when given a ``dedupe_key``.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext

from xietong.audit.services import audit_record, creation_changes
from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.notify import channels, kinds
from xietong.notify.channels import Message
from xietong.notify.models import (
    DEDUPE_KEY_MAX_LENGTH,
    KIND_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    URL_MAX_LENGTH,
    Delivery,
    Notification,
    NotificationPreference,
    Webhook,
    is_internal_link,
)
from xietong.notify.permissions import can_manage_webhook_for
from xietong.org.models import Department, Person

# "<app>.<event>": lower case, at least one dot, e.g. "process.step_overdue".
KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


Text = str | Promise  # a lazy translation is written in each recipient's language


def _render(text: Text, params: Mapping[str, Any] | None) -> str:
    """``text`` in the active language, with ``params`` filled in."""
    return str(text).format(**params) if params else str(text)


def _message(*, kind: str, title: str, body: str, url: str, dedupe_key: str | None) -> Message:
    """The message, checked. Mistakes here are the calling app's bugs: ValueError, at the call."""
    if len(kind) > KIND_MAX_LENGTH or not KIND_PATTERN.match(kind):
        raise ValueError(f"notification kind {kind!r}: use '<app>.<event>' in lower case (at most 64)")
    if url and (len(url) > URL_MAX_LENGTH or not is_internal_link(url)):
        raise ValueError(f"notification url {url!r}: use a path on this site, e.g. '/org/people/3/'")
    if dedupe_key is not None and not (0 < len(dedupe_key) <= DEDUPE_KEY_MAX_LENGTH):
        raise ValueError(f"notification dedupe_key {dedupe_key!r}: 1 to {DEDUPE_KEY_MAX_LENGTH} characters, or None")
    title = " ".join(title.split())
    if not title:
        raise ValueError("a notification needs a title")
    if len(title) > TITLE_MAX_LENGTH:  # titles quote user data (a case name…): shorten, do not fail
        title = title[: TITLE_MAX_LENGTH - 1] + "…"
    return Message(kind=kind, title=title, body=body.strip(), url=url, dedupe_key=dedupe_key)


def _recipient_ids(recipients: Iterable[Person | int]) -> list[int]:
    return sorted({r if isinstance(r, int) else r.pk for r in recipients})


def notify(
    *,
    recipients: Iterable[Person | int],
    kind: str,
    title: Text,
    body: Text = "",
    url: str = "",
    dedupe_key: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> int:
    """Tell ``recipients`` (people or their ids) something; return how many notifications are new.

    People who left (inactive) are skipped. With a ``dedupe_key``, a person who already has a
    notification with that key gets no other, whoever sent it and however often: a rerun returns 0,
    and a concurrent caller neither raises nor duplicates (the one that loses such a race may count
    a notification the other wrote). Runs inside the caller's transaction if
    there is one. Costs one query to find the active recipients, one more with a ``dedupe_key``,
    and one insert per 500 recipients.

    ``title`` and ``body`` may be lazy translations with ``{placeholders}`` filled from ``params``:
    each recipient then reads them in their own language (their choice, else the organization's).
    """
    _message(kind=kind, title=_render(title, params), body=_render(body, params), url=url, dedupe_key=dedupe_key)
    ids = _recipient_ids(recipients)
    if not ids:
        return 0
    created = 0
    with transaction.atomic(savepoint=False):
        people = Person.objects.filter(pk__in=ids, is_active=True).order_by("pk").values_list("pk", "language")
        by_language: dict[str, list[int]] = {}
        for pk, language in people:
            by_language.setdefault(language or _default_language(), []).append(pk)
        others = channels.others()
        for language, active in sorted(by_language.items()):
            message = _message_in(
                language, kind=kind, title=title, body=body, url=url, dedupe_key=dedupe_key, params=params
            )
            created += channels.in_app().deliver(recipient_ids=active, message=message)
            for channel in others:
                if not getattr(channel, "once_per_message", False):
                    channel.deliver(recipient_ids=active, message=message)
        everyone = sorted(pk for active in by_language.values() for pk in active)
        once = [channel for channel in others if getattr(channel, "once_per_message", False)]
        if once and everyone:
            language = _default_language()
            message = _message_in(
                language, kind=kind, title=title, body=body, url=url, dedupe_key=dedupe_key, params=params
            )
            for channel in once:
                channel.deliver(recipient_ids=everyone, message=message)
    return created


def _message_in(
    language: str,
    *,
    kind: str,
    title: Text,
    body: Text,
    url: str,
    dedupe_key: str | None,
    params: Mapping[str, Any] | None,
) -> Message:
    with translation.override(language):
        message = _message(
            kind=kind, title=_render(title, params), body=_render(body, params), url=url, dedupe_key=dedupe_key
        )
    return dataclasses.replace(message, language=language)


def _default_language() -> str:
    from xietong.org.selectors import organization_get

    org = organization_get()
    return org.language if org is not None else settings.LANGUAGE_CODE


def notify_on_commit(
    *,
    recipients: Iterable[Person | int],
    kind: str,
    title: Text,
    body: Text = "",
    url: str = "",
    dedupe_key: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> None:
    """``notify`` once the caller's transaction commits (nothing if it rolls back).

    The arguments are checked now, so a mistake fails where it was made; the recipients are
    remembered by id. A failure after the commit is logged, not raised: the caller's change is
    already saved and must not look failed.
    """
    _message(kind=kind, title=_render(title, params), body=_render(body, params), url=url, dedupe_key=dedupe_key)
    ids = _recipient_ids(recipients)
    if not ids:
        return
    transaction.on_commit(
        functools.partial(
            notify,
            recipients=ids,
            kind=kind,
            title=title,
            body=body,
            url=url,
            dedupe_key=dedupe_key,
            params=dict(params) if params else None,
        ),
        robust=True,
    )


def notification_mark_read(*, person: Person, ids: Iterable[int] | None = None) -> int:
    """Mark ``person``'s unread notifications read: those with these ids (others' ids are ignored),
    or all of them when ``ids`` is None. Returns how many were unread. One UPDATE."""
    unread = Notification.objects.filter(recipient=person, read_at__isnull=True)
    if ids is not None:
        wanted = list(ids)
        if not wanted:
            return 0
        unread = unread.filter(pk__in=wanted)
    return unread.update(read_at=clock.now())


def notification_mark_one_read(*, notification: Notification) -> Notification:
    """Mark one notification read (fetch it with ``permissions.access_notification``). Reading it
    again keeps the first time it was read."""
    if notification.read_at is not None:
        return notification
    now = clock.now()
    if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now):
        notification.read_at = now
    else:  # read meanwhile (another tab, the API): keep that time
        notification.refresh_from_db(fields=["read_at"])
    return notification


# ── Preferences ─────────────────────────────────────────────────────────────────────────────────


@transaction.atomic
def notification_preferences_set(*, person: Person, email_groups: Iterable[str]) -> dict[str, bool]:
    """Choose e-mail for these groups of kinds and in-app only for every other registered group.

    Raises ApplicationError for a group nobody registered (and changes nothing). Returns the
    choices now in force, {group: also by e-mail}.
    """
    wanted = set(email_groups)
    registered = {group for group, _label in kinds.kind_groups()}
    unknown = sorted(wanted - registered)
    if unknown:
        raise ApplicationError(
            gettext("Unknown kind of notification: {groups}.").format(groups=", ".join(unknown)),
            field_errors={
                "email_groups": [gettext("Choose among: {groups}.").format(groups=", ".join(sorted(registered)))]
            },
        )
    before = dict(
        NotificationPreference.objects.filter(person=person, group__in=registered).values_list("group", "email")
    )
    after = {group: group in wanted for group in sorted(registered)}
    NotificationPreference.objects.filter(person=person, group__in=registered).delete()
    NotificationPreference.objects.bulk_create(
        NotificationPreference(person=person, group=group, email=True) for group in sorted(wanted)
    )
    changes = {
        group: [before.get(group, False), email] for group, email in after.items() if before.get(group, False) != email
    }
    if changes:
        audit_record(actor=person, obj=person, action="notification_preferences", changes=changes)
    return after


# ── Webhooks ────────────────────────────────────────────────────────────────────────────────────

WEBHOOK_FIELDS = ("name", "department", "include_subdepartments", "vendor", "url", "groups", "is_active")
NAME_MAX_LENGTH = 100
SECRET_MAX_LENGTH = 200


def _webhook_errors(values: Mapping[str, Any], *, secret: str) -> dict[str, list[str]]:
    """What is wrong with a webhook's values, by field (empty: nothing)."""
    errors: dict[str, list[str]] = {}
    name = values["name"]
    if not name or len(name) > NAME_MAX_LENGTH:
        errors["name"] = [gettext("Give the webhook a name (at most 100 characters).")]
    vendor = values["vendor"]
    if vendor not in Webhook.Vendor.values:
        errors["vendor"] = [
            gettext("Unknown vendor “{vendor}”: choose wecom, dingtalk or feishu.").format(vendor=vendor)
        ]
    url = values["url"]
    parts = urlsplit(url) if isinstance(url, str) else None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or len(url) > URL_MAX_LENGTH
        or any(ch.isspace() for ch in url)
    ):
        errors["url"] = [gettext("The webhook URL must be an http:// or https:// address (at most 500 characters).")]
    if secret and vendor == Webhook.Vendor.WECOM:
        errors["secret"] = [gettext("WeCom group robots do not sign messages: leave the secret empty.")]
    elif len(secret) > SECRET_MAX_LENGTH:
        errors["secret"] = [gettext("The secret is too long (at most 200 characters).")]
    groups = values["groups"]
    registered = {group for group, _label in kinds.kind_groups()}
    if not isinstance(groups, list | tuple) or not groups:
        errors["groups"] = [gettext("Choose at least one kind of notification.")]
    elif unknown := sorted({str(g) for g in groups} - registered):
        errors["groups"] = [gettext("Unknown kind of notification: {groups}.").format(groups=", ".join(unknown))]
    department = values["department"]
    if department is not None and not department.is_active:
        errors["department"] = [gettext("This department is closed.")]
    return errors


def _webhook_values(values: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    cleaned["name"] = " ".join(str(cleaned.get("name") or "").split())
    cleaned["url"] = str(cleaned.get("url") or "").strip()
    cleaned["groups"] = (
        sorted(set(cleaned["groups"])) if isinstance(cleaned.get("groups"), list | tuple) else cleaned.get("groups")
    )
    return cleaned


def _audit_values(webhook: Webhook) -> dict[str, Any]:
    return {f: getattr(webhook, f) for f in WEBHOOK_FIELDS} | {"secret": "set" if webhook.secret else ""}


@transaction.atomic
def webhook_create(
    *,
    actor: Person,
    name: str,
    vendor: str,
    url: str,
    groups: list[str],
    secret: str = "",
    department: Department | None = None,
    include_subdepartments: bool = False,
    is_active: bool = True,
) -> Webhook:
    """Register a group-robot webhook for the organization (no department) or a department.

    Raises ApplicationError (with field errors) for a URL that is not http(s), an unknown vendor,
    a secret on WeCom, no or unknown kinds; nothing is written then.
    """
    if not can_manage_webhook_for(actor, department.pk if department is not None else None):
        raise ApplicationError(
            gettext("Administrators register the organization's webhooks; a head, those of the departments they head."),
            code="forbidden",
        )
    values = _webhook_values(
        {
            "name": name,
            "department": department,
            "include_subdepartments": include_subdepartments and department is not None,
            "vendor": vendor,
            "url": url,
            "groups": groups,
            "is_active": is_active,
        }
    )
    secret = (secret or "").strip()
    if errors := _webhook_errors(values, secret=secret):
        raise ApplicationError(gettext("The webhook was not saved: see the errors below."), field_errors=errors)
    now = clock.now()
    webhook = Webhook.objects.create(**values, secret=secret, created_at=now, updated_at=now)
    audit_record(actor=actor, obj=webhook, action="create", changes=creation_changes(_audit_values(webhook)))
    return webhook


@transaction.atomic
def webhook_update(
    *,
    actor: Person,
    webhook: Webhook,
    secret: str | None = None,
    clear_secret: bool = False,
    **changes: Any,
) -> Webhook:
    """Change a webhook. ``secret`` None or "" keeps the stored one (it is never shown back);
    ``clear_secret`` removes it; switching to WeCom removes it too. Same errors as creating."""
    unknown = set(changes) - set(WEBHOOK_FIELDS)
    if unknown:
        raise TypeError(f"webhook_update: unknown fields {sorted(unknown)}")
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    values = _webhook_values({f: changes.get(f, getattr(webhook, f)) for f in WEBHOOK_FIELDS})
    target = values["department"]
    if not (
        can_manage_webhook_for(actor, webhook.department_id)
        and can_manage_webhook_for(actor, target.pk if target is not None else None)
    ):
        raise ApplicationError(
            gettext("Administrators register the organization's webhooks; a head, those of the departments they head."),
            code="forbidden",
        )
    if values["department"] is None:
        values["include_subdepartments"] = False
    new_secret = (secret or "").strip()
    if new_secret:
        stored = new_secret
    elif clear_secret or values["vendor"] == Webhook.Vendor.WECOM:
        stored = ""
    else:
        stored = webhook.secret
    if errors := _webhook_errors(values, secret=new_secret or stored):
        raise ApplicationError(gettext("The webhook was not saved: see the errors below."), field_errors=errors)
    before = _audit_values(webhook)
    for field, value in values.items():
        setattr(webhook, field, value)
    secret_changed = stored != webhook.secret
    webhook.secret = stored
    webhook.updated_at = clock.now()
    webhook.save()
    after = _audit_values(webhook)
    diff = {f: [before[f], after[f]] for f in after if before[f] != after[f]}
    if secret_changed:
        diff["secret"] = [before["secret"], "changed" if stored else ""]
    if diff:
        audit_record(actor=actor, obj=webhook, action="update", changes=diff)
    return webhook


@transaction.atomic
def webhook_delete(*, actor: Person, webhook: Webhook) -> None:
    """Remove a webhook, with its deliveries and their attempts."""
    if not can_manage_webhook_for(actor, webhook.department_id):
        raise ApplicationError(gettext("You may not remove this webhook."), code="forbidden")
    audit_record(actor=actor, obj=webhook, action="delete", changes={"name": [webhook.name, None]})
    Webhook.objects.filter(pk=webhook.pk).delete()


@transaction.atomic
def webhook_send_test(*, actor: Person, webhook: Webhook) -> Delivery:
    """Post a test message to ``webhook`` (after commit, like every post; see the deliveries page)."""
    if not can_manage_webhook_for(actor, webhook.department_id):
        raise ApplicationError(gettext("You may not test this webhook."), code="forbidden")
    if not webhook.is_active:
        raise ApplicationError(gettext("This webhook is inactive: activate it before sending a test message."))
    from xietong.notify.delivery import send_on_commit

    language = _default_language()
    with translation.override(language):
        title = gettext("Test message from xietong")
        body = gettext("If this message arrives in the group chat, the webhook “{name}” works.").format(
            name=webhook.name
        )
    now = clock.now()
    delivery = Delivery.objects.create(
        channel=Delivery.Channel.WEBHOOK,
        webhook=webhook,
        kind="notify.webhook_test",
        title=title,
        body=body,
        url="/notifications/",
        language=language,
        created_at=now,
        next_attempt_at=now,
    )
    audit_record(actor=actor, obj=webhook, action="test", changes={})
    send_on_commit([delivery.pk])
    return delivery


@transaction.atomic
def delivery_retry(*, actor: Person, delivery: Delivery) -> Delivery:
    """Try a failed delivery once more, now (after commit). Raises ApplicationError unless it failed."""
    from xietong.notify.delivery import send_on_commit

    now = clock.now()
    if not Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.FAILED).update(
        status=Delivery.Status.PENDING, next_attempt_at=now
    ):
        raise ApplicationError(gettext("Only a failed delivery can be tried again."))
    delivery.refresh_from_db()
    subject = delivery.webhook if delivery.webhook_id is not None else delivery.recipient
    if subject is not None:
        audit_record(actor=actor, obj=subject, action="delivery_retry", changes={"delivery": [None, delivery.pk]})
    send_on_commit([delivery.pk])
    return delivery
