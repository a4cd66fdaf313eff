"""The role × route matrix: every named route, requested by every role, answers an exact status.

Each app lists its rows in ``<app>/tests/route_matrix.py`` as ``ROUTES: list[Route]``;
``tests/test_route_matrix.py`` runs every row for every role and fails on any named route of the
URLconf that has no row. A row describes one request::

    Route(
        "org:department_edit",
        method="post",
        kwargs=lambda world: {"pk": world.rd.pk},
        data=lambda world: {"code": "RD", "name": "研发中心"},
        expect=managers(302),
        state=lambda world: Department.objects.filter(pk=world.rd.pk).values().get(),
    )

``world`` is the ``world`` fixture of the root conftest (a small organization with one person per
role). When a role is refused (401, 403, 404, 405, or an anonymous visitor sent to sign in), the
runner asserts that nothing was written: ``state(world)`` and the row counts of every model of the
project are the same before and after the request.

This module knows no app: it is framework, like ``common`` itself.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.apps import apps
from django.conf import settings
from django.http.response import HttpResponseBase
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# The roles of the root conftest's ``world`` fixture (conftest.ROLES), in the same order.
ROLES = ("anonymous", "employee", "other_department", "head", "coordinator", "admin")
SIGNED_IN = ROLES[1:]

# An id no fixture reaches: "guessing ids" rows request it and expect 404 from every signed-in role.
UNKNOWN_ID = 999_999

# Statuses that refuse the request; a refused request must change nothing.
REFUSED = frozenset({401, 403, 404, 405})

# Namespaces whose routes need no row: Django's admin site has its own permission system
# (``Person.is_staff`` is "organization administrator") and its own tests upstream.
UNCOVERED_NAMESPACES = frozenset({"admin"})

World = Any  # the conftest's World dataclass; typed loosely so the framework imports no fixture
Status = int


def _no_kwargs(world: World) -> dict[str, Any]:
    return {}


@dataclasses.dataclass(frozen=True)
class Route:
    """One request of the matrix and the exact status each role gets."""

    name: str  # a namespaced URL name, e.g. "org:department_detail" or "api:department-list"
    method: str = "get"
    kwargs: Callable[[World], dict[str, Any]] = _no_kwargs
    # GET: query parameters; POST/PATCH: the form (pages) or the JSON body (api: routes).
    data: Callable[[World], dict[str, Any]] | None = None
    expect: Mapping[str, Status] = dataclasses.field(default_factory=dict)
    label: str = ""  # tells several rows of one route apart in test ids, e.g. "unknown id"
    # Runs before the request with the role's client (e.g. puts a pending import in the session).
    prepare: Callable[[Client, World], None] | None = None
    # What a refused request must leave as it was (an object's fields, a password hash…).
    state: Callable[[World], Any] | None = None

    def __post_init__(self) -> None:
        if self.method not in ("get", "post", "patch", "put", "delete"):
            raise ValueError(f"{self.name}: unknown method {self.method!r}")
        if set(self.expect) != set(ROLES):
            raise ValueError(f"{self.name}: expect must give a status for exactly the roles {ROLES}")

    @property
    def is_api(self) -> bool:
        return self.name.startswith("api:")

    @property
    def id(self) -> str:
        label = f" {self.label}" if self.label else ""
        return f"{self.name} {self.method.upper()}{label}"

    def url(self, world: World) -> str:
        return reverse(self.name, kwargs=self.kwargs(world))

    def payload(self, world: World) -> dict[str, Any] | None:
        return self.data(world) if self.data is not None else None

    def send(self, client: Client, url: str, payload: dict[str, Any] | None) -> HttpResponseBase:
        """Send the request built by ``url(world)`` and ``payload(world)`` (build first: building may
        create the objects a row needs, which must not count as the request's writes)."""
        if self.method == "get":
            return client.get(url, payload)
        send = getattr(client, self.method)
        if self.is_api:
            return send(url, payload or {}, content_type="application/json")
        if self.method == "post":
            return client.post(url, payload or {})
        return send(url, urlencode(payload or {}, doseq=True), content_type="application/x-www-form-urlencoded")


# ── Expectations ────────────────────────────────────────────────────────────────────────────────


def by_role(
    *, anonymous: Status, employee: Status, other_department: Status, head: Status, coordinator: Status, admin: Status
) -> dict[str, Status]:
    return {
        "anonymous": anonymous,
        "employee": employee,
        "other_department": other_department,
        "head": head,
        "coordinator": coordinator,
        "admin": admin,
    }


def everyone(status: Status) -> dict[str, Status]:
    """Every role, signed in or not, gets ``status``."""
    return dict.fromkeys(ROLES, status)


def signed_in(status: Status, *, anonymous: Status = 302) -> dict[str, Status]:
    """Everyone who works here gets ``status``; anonymous visitors are sent to sign in (pages)."""
    return {"anonymous": anonymous} | dict.fromkeys(SIGNED_IN, status)


def managers(status: Status, *, anonymous: Status = 302, others: Status = 403) -> dict[str, Status]:
    """Coordinators and administrators (who edit the organization) get ``status``."""
    return signed_in(others, anonymous=anonymous) | {"coordinator": status, "admin": status}


def admins(status: Status, *, anonymous: Status = 302, others: Status = 403) -> dict[str, Status]:
    """Administrators only get ``status``."""
    return signed_in(others, anonymous=anonymous) | {"admin": status}


# ── Discovery ───────────────────────────────────────────────────────────────────────────────────


def matrix_modules(package: str = "xietong") -> list[str]:
    """The ``tests.route_matrix`` modules of the installed apps under ``package``."""
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith(f"{package}."):
            continue
        module = f"{config.name}.tests.route_matrix"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name not in (f"{config.name}.tests", module):
                raise  # the module exists but imports something missing: a real error
            continue
        found.append(module)
    return found


def collect_routes(package: str = "xietong") -> list[Route]:
    routes: list[Route] = []
    for module in matrix_modules(package):
        routes.extend(importlib.import_module(module).ROUTES)
    return routes


def _walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _walk(pattern.url_patterns, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            # DRF's format-suffix variants (``departments\.(?P<format>[a-z0-9]+)/?$``) share the
            # name of the route they extend, so one row covers both.
            yield f"{prefix}{pattern.name}", pattern


def named_routes() -> set[str]:
    """Every namespaced URL name of the URLconf, e.g. "org:department_detail", "api:department-list"."""
    return {name for name, _pattern in _walk(get_resolver().url_patterns, "")}


def routes_needing_rows() -> set[str]:
    return {name for name in named_routes() if name.split(":", 1)[0] not in UNCOVERED_NAMESPACES}


def routes_taking(parameter: str) -> set[str]:
    """The named routes whose own pattern captures ``parameter`` (e.g. "pk": detail and action routes)."""
    return {
        name
        for name, pattern in _walk(get_resolver().url_patterns, "")
        if parameter in pattern.pattern.regex.groupindex and name.split(":", 1)[0] not in UNCOVERED_NAMESPACES
    }


# ── Running a row ───────────────────────────────────────────────────────────────────────────────


def login_paths() -> set[str]:
    return {resolve_url(settings.LOGIN_URL), reverse("admin:login")}


def is_refusal(response: HttpResponseBase) -> bool:
    """Refused outright, or an anonymous visitor sent to the sign-in page."""
    if response.status_code in REFUSED:
        return True
    return response.status_code == 302 and urlsplit(response["Location"]).path in login_paths()


# Models outside the project whose rows a refused request must not touch either.
WATCHED_MODELS = ("authtoken.Token",)


def project_row_counts(package: str = "xietong") -> dict[str, int]:
    """The number of rows of every model of the project's apps (audit entries included), and of
    the ``WATCHED_MODELS``."""
    models = [m for m in apps.get_models() if m.__module__.startswith(f"{package}.") and not m._meta.proxy]
    for label in WATCHED_MODELS:
        try:
            models.append(apps.get_model(label))
        except LookupError:  # the app is not installed
            continue
    return {model._meta.label: model._default_manager.count() for model in models}
