"""Every API error has one shape:

    {"error": {"status": 400, "code": "invalid", "message": "…", "fields": {"name": ["…"]}}}

``fields`` is present only for validation errors. Messages are in the caller's language.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from xietong.common.exceptions import ApplicationError


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(k): _flatten(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_flatten(v) for v in detail]
    return str(detail)


def _api_field_names(errors: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """Errors keyed by model field (as services and ``full_clean`` report them) keyed by the names
    the caller sent instead: ``is_active`` → ``active`` when the serializer renames it, and
    ``__all__`` → ``non_field_errors``."""
    names: dict[str, str] = {NON_FIELD_ERRORS: api_settings.NON_FIELD_ERRORS_KEY}
    view = context.get("view")
    get_serializer_class = getattr(view, "get_serializer_class", None)
    if get_serializer_class is not None:
        try:
            fields = get_serializer_class()().fields
        except AssertionError:  # DRF: the view has no serializer_class; keep the model's names
            fields = {}
        names |= {field.source: name for name, field in fields.items() if field.source != name}
    return {names.get(key, key): value for key, value in errors.items()}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        body: dict[str, Any] = {"status": 400, "code": exc.code, "message": str(exc.message)}
        if exc.field_errors:
            body["fields"] = _flatten(_api_field_names(exc.field_errors, context))
        return Response({"error": body}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(_api_field_names(exc.message_dict, context))
        else:
            exc = exceptions.ValidationError(exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = _flatten(exc.detail)
        body = {"status": response.status_code, "code": "invalid", "message": _("The request is not valid.")}
        body["fields"] = detail if isinstance(detail, dict) else {"non_field_errors": detail}
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        body = {
            "status": response.status_code,
            "code": code if isinstance(code, str) else "error",
            "message": _flatten(getattr(exc, "detail", str(exc))),
        }
    response.data = {"error": body}
    return response


# ── Refusals and ids, shared by every app's API views ──────────────────────────────────────────


class Forbidden(exceptions.PermissionDenied):
    """A service refused the caller: 403 with the service's own message and the code "forbidden"."""

    default_code = "forbidden"


@contextmanager
def refusals_as_403() -> Iterator[None]:
    """Run a service call; its refusal of the caller (ApplicationError with code "forbidden") becomes a
    403, any other ApplicationError a 400 (through the exception handler)."""
    try:
        yield
    except ApplicationError as exc:
        if exc.code == "forbidden":
            raise Forbidden(detail=str(exc.message), code="forbidden") from exc
        raise


def url_pk(value: Any) -> int:
    """A URL id as an int; anything else is an id nobody has (0), hence 404."""
    text = str(value)
    return int(text) if text.isdigit() else 0
