"""Notifications: what a person was told, and whether they have read it.

notify delivers; it does not decide. The apps choose who is told what (and the ``kind``, e.g.
"process.step_overdue"); this app stores it in the person's inbox and sends it through the other
channels (e-mail, WeCom, DingTalk, Feishu: preferences, webhooks and the outbox below). It imports
no domain app.
"""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.db import models
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.common import clock

KIND_MAX_LENGTH = 64
TITLE_MAX_LENGTH = 200
URL_MAX_LENGTH = 500
DEDUPE_KEY_MAX_LENGTH = 200


def is_internal_link(url: str) -> bool:
    """A path on this site ("/org/people/3/"): no scheme, no host, not "//host" nor "/\\host", and
    no spaces or control characters (which browsers drop or reinterpret)."""
    if not url.startswith("/") or any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in url):
        return False
    return url_has_allowed_host_and_scheme(url, allowed_hosts=None)


class Notification(models.Model):
    """One message in one person's inbox (the in-app channel). Unread while ``read_at`` is null."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # the inbox index and the dedupe constraint both start with the recipient
    )
    # "<app>.<event>", chosen by the app that notifies (e.g. "process.step_overdue").
    kind = models.CharField(_("kind"), max_length=KIND_MAX_LENGTH)
    title = models.CharField(pgettext_lazy("notification", "title"), max_length=TITLE_MAX_LENGTH)  # not a job title
    body = models.TextField(_("body"), blank=True)
    # A link inside xietong ("/processes/cases/12/"), never to another site.
    url = models.CharField(_("link"), max_length=URL_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Same recipient and key: one notification, however often (and by however many workers) the
    # event is reported. Null, not "": NULLs never collide in the unique constraint, "" would.
    dedupe_key = models.CharField(  # noqa: DJ001  # null means "no key", see above
        _("deduplication key"), max_length=DEDUPE_KEY_MAX_LENGTH, null=True, blank=True
    )

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The inbox and the bell: one person's (unread) notifications, newest first.
            models.Index(fields=("recipient", "read_at", "-created_at"), name="notify_notification_inbox"),
        ]
        constraints = [
            # NULL keys never collide (SQL NULLs are distinct), so only keyed notifications are deduplicated.
            models.UniqueConstraint(
                fields=("recipient", "dedupe_key"),
                name="notify_notification_unique_dedupe_key",
                violation_error_message=_("This person has already been sent this notification."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def link(self) -> str:
        """Where opening the notification leads: its url if it is internal, else "" (checked again
        on the way out, whatever wrote the row)."""
        return self.url if is_internal_link(self.url) else ""


# ── Channels beside the inbox: preferences, webhooks and the outbox ─────────────────────────────


class NotificationPreference(models.Model):
    """One person's choice for one group of kinds ("process", "dispute"…): also by e-mail, or not.

    No row means the default: in the app only.
    """

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        db_index=False,  # the unique constraint starts with the person
    )
    group = models.CharField(_("kind of notification"), max_length=32)
    email = models.BooleanField(_("also by e-mail"), default=False)

    class Meta:
        ordering = ("person", "group")
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=("person", "group"),
                name="notify_notificationpreference_unique_group",
                violation_error_message=_("This person already has a preference for this kind of notification."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.group}: {'e-mail' if self.email else 'in-app'}"


class Webhook(models.Model):
    """A group-robot webhook (WeCom, DingTalk, Feishu) of the organization or of one department.

    The secret (DingTalk and Feishu signing) is written, never shown back.
    """

    class Vendor(models.TextChoices):
        WECOM = "wecom", _("WeCom group robot")
        DINGTALK = "dingtalk", _("DingTalk custom robot")
        FEISHU = "feishu", _("Feishu / Lark custom robot")

    name = models.CharField(_("name"), max_length=100)
    # Null: the organization's webhook (every message of its groups); else a department's.
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    include_subdepartments = models.BooleanField(_("include sub-departments"), default=False)
    vendor = models.CharField(_("vendor"), max_length=16, choices=Vendor)
    url = models.CharField(_("webhook URL"), max_length=URL_MAX_LENGTH)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    groups = models.JSONField(_("kinds of notification"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        ordering = ("name", "pk")
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(vendor="wecom") | models.Q(secret=""),
                name="notify_webhook_wecom_has_no_secret",
                violation_error_message=_("WeCom group robots do not sign messages: leave the secret empty."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_secret(self) -> bool:
        return bool(self.secret)


class Delivery(models.Model):
    """One message to send out of the process: an e-mail to a person, or a post to a webhook.

    Written inside the notifying transaction (the outbox), sent after commit by a task and retried
    by the tick ``notify.deliveries``. Each attempt claims the row with a conditional UPDATE on
    ``attempts``, so several workers never send the same attempt twice.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WEBHOOK = "webhook", _("Webhook")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    channel = models.CharField(_("channel"), max_length=16, choices=Channel)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the dedupe constraint starts with the recipient
    )
    webhook = models.ForeignKey(
        Webhook,
        verbose_name=_("webhook"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,  # the dedupe constraint starts with the webhook
    )
    kind = models.CharField(_("kind"), max_length=KIND_MAX_LENGTH)
    title = models.CharField(pgettext_lazy("notification", "title"), max_length=TITLE_MAX_LENGTH)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=URL_MAX_LENGTH, blank=True)
    language = models.CharField(_("language"), max_length=8)
    dedupe_key = models.CharField(  # noqa: DJ001  # null means "no key", as on Notification
        _("deduplication key"), max_length=DEDUPE_KEY_MAX_LENGTH, null=True, blank=True
    )
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=clock.now)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [
            # The tick: pending deliveries whose next attempt is due.
            models.Index(fields=("status", "next_attempt_at"), name="notify_delivery_due"),
        ]
        constraints = [
            # One e-mail per person and key, one post per webhook and key (NULLs never collide).
            models.UniqueConstraint(
                fields=("recipient", "dedupe_key"), name="notify_delivery_unique_recipient_dedupe_key"
            ),
            models.UniqueConstraint(fields=("webhook", "dedupe_key"), name="notify_delivery_unique_webhook_dedupe_key"),
            models.CheckConstraint(
                condition=(
                    models.Q(channel="email", recipient__isnull=False, webhook__isnull=True)
                    | models.Q(channel="webhook", recipient__isnull=True, webhook__isnull=False)
                ),
                name="notify_delivery_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.title}"


class DeliveryAttempt(models.Model):
    """One try at sending a delivery: when, how long, and what came back."""

    class Outcome(models.TextChoices):
        SENDING = "sending", _("Sending")
        SUCCESS = "success", _("Success")
        ERROR = "error", _("Error")

    delivery = models.ForeignKey(Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="tries")
    # Copied from the delivery: the rate limit counts a webhook's recent attempts on one index.
    webhook = models.ForeignKey(
        Webhook, verbose_name=_("webhook"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started at"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome, default=Outcome.SENDING)
    http_status = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    response = models.TextField(_("response"), blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)

    class Meta:
        ordering = ("-started_at", "-pk")
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        indexes = [models.Index(fields=("webhook", "started_at"), name="notify_attempt_rate")]
        constraints = [
            models.UniqueConstraint(fields=("delivery", "number"), name="notify_deliveryattempt_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number} {self.outcome}"
