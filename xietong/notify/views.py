"""The inbox (opening a notification marks it read and follows its link), a person's channel
preferences, and the administrators' webhook and delivery pages."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from xietong.common.exceptions import ApplicationError
from xietong.common.views import add_service_errors
from xietong.notify import kinds, selectors, services
from xietong.notify.forms import PreferencesForm, WebhookForm
from xietong.notify.permissions import (
    access_delivery,
    access_notification,
    access_webhook,
    can_manage_webhooks,
    can_see_deliveries,
    require_deliveries,
    require_webhook_manager,
    webhooks_visible_to,
)
from xietong.org.models import Person

PAGE_SIZE = 50


def _person(request: HttpRequest) -> Person:
    return cast(Person, request.user)  # every view here is login_required


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    notifications = selectors.notification_inbox(person=_person(request), unread_only=unread_only)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    # The unread count (the bell, and whether "mark all as read" is offered) comes from the
    # context processor: one COUNT for the whole page.
    return render(request, "notify/inbox.html", {"page": page, "unread_only": unread_only})


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    marked = services.notification_mark_read(person=_person(request))
    if marked:
        messages.success(
            request,
            ngettext("%(n)s notification marked as read.", "%(n)s notifications marked as read.", marked)
            % {"n": marked},
        )
    return HttpResponseRedirect(reverse("notify:inbox"))


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notification read and go where it points.

    A GET, so that the inbox entries are plain links (open in a new tab, copy the address); what it
    changes is harmless and only the person's own: the first time they read it. Only a path on
    this site is followed; anything else (another site, "//host", "javascript:") leads back to the
    inbox, so a notification cannot be used to send someone elsewhere.
    """
    notification = access_notification(request.user, pk)
    services.notification_mark_one_read(notification=notification)
    return HttpResponseRedirect(notification.link or reverse("notify:inbox"))


# ── Preferences (every person, their own) ───────────────────────────────────────────────────────


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Per group of kinds: in the app only, or also by e-mail."""
    person = _person(request)
    rows = selectors.notification_preferences_of(person)
    form = PreferencesForm(request.POST or None, preferences=rows)
    if request.method == "POST" and form.is_valid():
        try:
            services.notification_preferences_set(person=person, email_groups=form.email_groups())
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your notification settings are saved."))
            return HttpResponseRedirect(reverse("notify:preferences"))
    return render(
        request,
        "notify/preferences.html",
        {"form": form, "has_email": bool(person.email), "manages_webhooks": can_manage_webhooks(person)},
    )


# ── Webhooks and deliveries (administrators) ────────────────────────────────────────────────────


@login_required
@require_GET
def webhook_list(request: HttpRequest) -> HttpResponse:
    require_webhook_manager(request.user)
    hooks = list(selectors.webhook_list(webhooks_visible_to(request.user)))
    labels = dict(kinds.kind_groups())
    for hook in hooks:
        hook.group_labels = [labels.get(g, g) for g in hook.groups or []]  # type: ignore[attr-defined]  # for the template
    return render(
        request,
        "notify/webhook_list.html",
        {"webhooks": hooks, "can_see_deliveries": can_see_deliveries(request.user)},
    )


def _webhook_values(form: WebhookForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "department": data["department"],
        "include_subdepartments": data["include_subdepartments"],
        "vendor": data["vendor"],
        "url": data["url"],
        "groups": list(data["groups"]),
        "is_active": data["is_active"],
    }


@login_required
def webhook_create(request: HttpRequest) -> HttpResponse:
    require_webhook_manager(request.user)
    form = WebhookForm(request.POST or None, manager=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            webhook = services.webhook_create(
                actor=_person(request), secret=form.cleaned_data["secret"], **_webhook_values(form)
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Webhook “{name}” added.").format(name=webhook.name))
            return HttpResponseRedirect(reverse("notify:webhook_list"))
    return render(request, "notify/webhook_form.html", {"form": form})


@login_required
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = access_webhook(request.user, pk)
    form = WebhookForm(request.POST or None, webhook=webhook, manager=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            webhook = services.webhook_update(
                actor=_person(request),
                webhook=webhook,
                secret=form.cleaned_data["secret"],
                clear_secret=form.cleaned_data.get("clear_secret", False),
                **_webhook_values(form),
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Webhook “{name}” saved.").format(name=webhook.name))
            return HttpResponseRedirect(reverse("notify:webhook_list"))
    return render(request, "notify/webhook_form.html", {"form": form, "webhook": webhook})


@login_required
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = access_webhook(request.user, pk)
    if request.method == "POST":
        services.webhook_delete(actor=_person(request), webhook=webhook)
        messages.success(request, _("Webhook “{name}” removed.").format(name=webhook.name))
        return HttpResponseRedirect(reverse("notify:webhook_list"))
    return render(request, "notify/webhook_delete.html", {"webhook": webhook})


@login_required
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = access_webhook(request.user, pk)
    try:
        services.webhook_send_test(actor=_person(request), webhook=webhook)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("A test message to “{name}” is on its way: a failure shows in the list below.").format(name=webhook.name),
        )
    return HttpResponseRedirect(reverse("notify:webhook_list"))


@login_required
@require_POST
def delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = access_delivery(request.user, pk)
    try:
        services.delivery_retry(actor=_person(request), delivery=delivery)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The delivery is being tried again."))
    return HttpResponseRedirect(reverse("notify:deliveries"))


DELIVERY_FILTERS = ("failed", "pending", "sent", "all")


@login_required
@require_GET
def deliveries(request: HttpRequest) -> HttpResponse:
    """Failed deliveries first (the default filter), then any status; and the latest attempts."""
    require_deliveries(request.user)
    shown = request.GET.get("status", "failed")
    if shown not in DELIVERY_FILTERS:
        shown = "failed"
    rows = selectors.delivery_list(status=None if shown == "all" else shown)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/deliveries.html",
        {
            "page": page,
            "shown": shown,
            "filters": DELIVERY_FILTERS,
            "counts": selectors.delivery_status_counts(),
            "attempts": selectors.delivery_attempts_recent(),
        },
    )
