"""The API door's own rows of the role × route matrix (tests/test_route_matrix.py): the token
exchange and the OpenAPI schema with its two documentation pages. The org and audit APIs have their
rows in their apps' matrices.
"""

from __future__ import annotations

from typing import Any

from rest_framework.authtoken.models import Token

from xietong.common.testing.routes import Route, everyone, signed_in

PASSWORD = "pw-for-tests-1"  # xietong.org.tests.factories.PersonFactory


def _tokens(world: Any) -> list[tuple[int, str]]:
    return list(Token.objects.values_list("user_id", "key"))


ROUTES = [
    # Anyone holding a username and password exchanges them for that person's token.
    Route(
        "api:token",
        method="post",
        data=lambda w: {"username": "employee", "password": PASSWORD},
        expect=everyone(200),
    ),
    Route(
        "api:token",
        method="post",
        label="wrong password",
        data=lambda w: {"username": "employee", "password": "wrong"},
        expect=everyone(400),
        state=_tokens,
    ),
    Route("api:token", label="GET", expect=everyone(405)),
    Route("api:schema", expect=signed_in(200, anonymous=403)),
    Route("api:docs", expect=signed_in(200)),
    Route("api:redoc", expect=signed_in(200)),
]
