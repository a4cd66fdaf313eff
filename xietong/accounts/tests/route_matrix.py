"""The accounts app's rows of the role × route matrix (tests/test_route_matrix.py).

Also the start page (``home``, from xietong.common, which has no route matrix of its own) and the
door to Django's admin site, which only organization administrators pass (``Person.is_staff``).
"""

from __future__ import annotations

from typing import Any

from rest_framework.authtoken.models import Token

from xietong.common.testing.routes import Route, admins, everyone, signed_in
from xietong.org.models import Person

PASSWORD = "pw-for-tests-1"  # xietong.org.tests.factories.PersonFactory


def _tokens(world: Any) -> list[tuple[int, str]]:
    return list(Token.objects.values_list("user_id", "key"))


def _employee_password(world: Any) -> str:
    return Person.objects.filter(pk=world.employee.pk).values_list("password", flat=True).get()


def _password_change(old: str) -> dict[str, str]:
    return {"old_password": old, "new_password1": "N3w-secret-pass", "new_password2": "N3w-secret-pass"}


ROUTES = [
    Route("home", expect=signed_in(200)),
    # Signing in: the page is for visitors; people already signed in are sent home.
    Route("accounts:login", expect=signed_in(302, anonymous=200)),
    Route(
        "accounts:login",
        method="post",
        data=lambda w: {"username": "employee", "password": PASSWORD},
        expect=everyone(302),
    ),
    Route(
        "accounts:login",
        method="post",
        label="wrong password",
        data=lambda w: {"username": "employee", "password": "wrong"},
        expect=signed_in(302, anonymous=200),
    ),
    # Signing out is a POST (Django refuses GET since 5.0); anyone may, signed in or not.
    Route("accounts:logout", method="post", expect=everyone(302)),
    Route("accounts:logout", label="GET", expect=everyone(405)),
    Route("accounts:password_change", expect=signed_in(200)),
    Route(
        "accounts:password_change",
        method="post",
        label="wrong old password",
        data=lambda w: {
            "old_password": "wrong",
            "new_password1": "N3w-secret-pass",
            "new_password2": "N3w-secret-pass",
        },
        expect=signed_in(200),
        state=_employee_password,
    ),
    Route(
        "accounts:password_change",
        method="post",
        data=lambda w: {
            "old_password": PASSWORD,
            "new_password1": "N3w-secret-pass",
            "new_password2": "N3w-secret-pass",
        },
        expect=signed_in(302),
        state=_employee_password,
    ),
    # The language switch works on the sign-in page too (it sets a cookie).
    Route("accounts:language", method="post", data=lambda w: {"language": "en", "next": "/"}, expect=everyone(302)),
    Route("accounts:language", label="GET", expect=everyone(405)),
    Route("accounts:api_token", expect=signed_in(200)),
    Route("accounts:api_token", method="post", expect=signed_in(302), state=_tokens),
    # Django's admin site (its own routes need no rows; this one checks who gets through the door).
    Route("admin:index", expect=admins(200, others=302)),
]
