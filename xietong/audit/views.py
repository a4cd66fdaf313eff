"""Administrators read the audit trail of one object."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from xietong.audit.selectors import audit_entries_for
from xietong.org.permissions import is_admin


@login_required
def object_log(request: HttpRequest, model: str, pk: str) -> HttpResponse:
    if not is_admin(request.user):
        raise PermissionDenied
    try:
        model_class = apps.get_model(model)
    except (LookupError, ValueError) as exc:
        raise Http404 from exc
    try:
        obj = model_class._default_manager.filter(pk=pk).first()
    except (ValueError, ValidationError) as exc:  # "abc" for an integer pk, a malformed UUID…
        raise Http404 from exc
    if obj is None:
        raise Http404
    page = Paginator(audit_entries_for(obj), 50).get_page(request.GET.get("page"))
    return render(request, "audit/object_log.html", {"object": obj, "page": page})
