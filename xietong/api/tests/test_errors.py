"""Every API error has one shape: {"error": {"status", "code", "message", "fields"?}} (xietong/api/errors.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext
from rest_framework import exceptions

from xietong.api.errors import exception_handler
from xietong.common.exceptions import ApplicationError
from xietong.org.api.views import DepartmentViewSet

pytestmark = pytest.mark.django_db


def zh(message: str, **values: Any) -> str:
    with translation.override("zh-hans"):
        return gettext(message).format(**values)


def _handle(exc: Exception) -> tuple[int, Any]:
    with translation.override("zh-hans"):
        response = exception_handler(exc, {"view": DepartmentViewSet()})
    assert response is not None
    return response.status_code, response.data


def test_an_unknown_id_is_not_found(client, world):
    # given
    client.force_login(world.employee)
    # when
    response = client.get("/api/v1/org/departments/999999/")
    # then
    assert response.status_code == 404
    assert response.json() == {"error": {"status": 404, "code": "not_found", "message": zh("Not found.")}}


def test_an_id_that_is_not_a_number_is_not_found(client, world):
    # given
    client.force_login(world.employee)
    # when
    department = client.get("/api/v1/org/departments/abc/")
    person = client.get("/api/v1/org/people/abc/")
    # then
    assert (department.status_code, person.status_code) == (404, 404)
    assert person.json()["error"]["code"] == "not_found"


def test_a_method_the_route_does_not_have_is_405(client, world):
    # given
    client.force_login(world.admin)
    # when
    response = client.delete(f"/api/v1/org/departments/{world.rd.pk}/")
    # then
    assert response.status_code == 405
    assert response.json() == {
        "error": {
            "status": 405,
            "code": "method_not_allowed",
            "message": zh('Method "{method}" not allowed.', method="DELETE"),
        }
    }


def test_malformed_json_is_a_parse_error(client, world):
    # given
    client.force_login(world.admin)
    # when
    response = client.post("/api/v1/org/departments/", "{not json", content_type="application/json")
    # then
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["status"], error["code"], sorted(error)) == (400, "parse_error", ["code", "message", "status"])


def test_an_audit_query_without_its_parameters_names_both(client, world):
    # given
    client.force_login(world.admin)
    # when
    response = client.get("/api/v1/audit/entries/")
    # then
    assert response.status_code == 400
    required = [zh("This field is required.")]
    assert response.json() == {
        "error": {
            "status": 400,
            "code": "invalid",
            "message": zh("The request is not valid."),
            "fields": {"model": required, "object_id": required},
        }
    }


def test_a_service_refusal_without_fields_has_no_fields_key():
    # when
    status, data = _handle(ApplicationError("Nope.", code="closed"))
    # then
    assert (status, data) == (400, {"error": {"status": 400, "code": "closed", "message": "Nope."}})


def test_service_field_errors_use_the_names_the_caller_sent():
    # given: services report model fields; the serializer calls is_active "active"
    exc = ApplicationError("Bad.", field_errors={"is_active": ["a"], "__all__": ["b"], "name": ["c"]})
    # when
    status, data = _handle(exc)
    # then
    assert status == 400
    assert data["error"]["fields"] == {"active": ["a"], "non_field_errors": ["b"], "name": ["c"]}


def test_a_model_validation_error_becomes_an_invalid_request_with_its_fields():
    # when
    status, data = _handle(DjangoValidationError({"is_active": ["a"], "code": ["b"]}))
    # then
    assert (status, data) == (
        400,
        {
            "error": {
                "status": 400,
                "code": "invalid",
                "message": zh("The request is not valid."),
                "fields": {"active": ["a"], "code": ["b"]},
            }
        },
    )


def test_a_validation_error_without_fields_lands_in_non_field_errors():
    # when
    status, data = _handle(DjangoValidationError(["one", "two"]))
    # then
    assert status == 400
    assert data["error"]["fields"] == {"non_field_errors": ["one", "two"]}


def test_nested_serializer_errors_are_flattened_to_strings():
    # when
    status, data = _handle(exceptions.ValidationError({"members": {0: ["x"]}, "schedule": ["y"]}))
    # then
    assert status == 400
    assert data["error"]["fields"] == {"members": {"0": ["x"]}, "schedule": ["y"]}


@pytest.mark.parametrize(
    ("exc", "status", "code", "message"),
    [
        (Http404(), 404, "not_found", "Not found."),
        (PermissionDenied(), 403, "permission_denied", "You do not have permission to perform this action."),
        (exceptions.Throttled(), 429, "throttled", "Request was throttled."),
    ],
)
def test_django_and_drf_refusals_share_the_shape(exc, status, code, message):
    # when
    got = _handle(exc)
    # then
    assert got == (status, {"error": {"status": status, "code": code, "message": zh(message)}})


def test_an_unexpected_exception_is_left_to_django():
    # when
    with translation.override("zh-hans"):
        response = exception_handler(ValueError("boom"), {"view": DepartmentViewSet()})
    # then
    assert response is None
