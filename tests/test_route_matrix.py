"""Every named route × every role → the exact status code; a refused request changes nothing.

The rows live next to each app in ``<app>/tests/route_matrix.py`` (see xietong/common/testing/routes.py).
"""

from __future__ import annotations

import pytest

from xietong.common.testing.routes import (
    ROLES,
    SIGNED_IN,
    UNKNOWN_ID,
    Route,
    collect_routes,
    is_refusal,
    named_routes,
    project_row_counts,
    routes_needing_rows,
    routes_taking,
)

pytestmark = pytest.mark.django_db

ROUTES = collect_routes()


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path) -> None:
    settings.DATA_DIR = tmp_path  # pending imports and other files stay inside the test


@pytest.mark.parametrize(
    ("route", "role"),
    [pytest.param(route, role, id=f"{route.id} as {role}") for route in ROUTES for role in ROLES],
)
def test_role_gets_exact_status(client, world, route: Route, role: str) -> None:
    # given
    user = world.user(role)
    if user is not None:
        client.force_login(user)
    if route.prepare is not None:
        route.prepare(client, world)
    url, payload = route.url(world), route.payload(world)
    rows_before = project_row_counts()
    state_before = route.state(world) if route.state is not None else None
    # when
    response = route.send(client, url, payload)
    # then
    assert response.status_code == route.expect[role], f"{route.id} as {role}: {response.status_code}"
    if is_refusal(response):
        assert project_row_counts() == rows_before
        assert (route.state(world) if route.state is not None else None) == state_before


def test_every_role_of_the_matrix_is_someone_in_the_world(world) -> None:
    # when
    users = [world.user(role) for role in ROLES]
    # then: anonymous is nobody; every other role is a different, active person
    assert users[0] is None
    assert len({user.pk for user in users[1:] if user.is_active}) == len(ROLES) - 1


def test_every_named_route_has_a_row() -> None:
    # given
    covered = {route.name for route in ROUTES}
    # when
    missing = sorted(routes_needing_rows() - covered)
    # then
    assert missing == [], f"named routes without a row in any <app>/tests/route_matrix.py: {missing}"


def test_every_row_names_an_existing_route() -> None:
    # given
    existing = named_routes()
    # when
    stale = sorted({route.name for route in ROUTES} - existing)
    # then
    assert stale == []


def test_every_route_taking_an_id_has_an_unknown_id_row(world) -> None:
    # given: the routes whose URL takes a pk (detail, edit and action routes)
    with_pk = routes_taking("pk")
    # when
    guessed = {route.name for route in ROUTES if route.kwargs(world).get("pk") in (UNKNOWN_ID, str(UNKNOWN_ID))}
    # then
    assert sorted(with_pk - guessed) == []


# Refused to every non-administrator before any lookup (403 whatever the id), so guessing ids tells
# them nothing either; administrators get 404 for an unknown id.
REFUSED_BEFORE_LOOKUP = {"audit:object_log"}


def test_guessing_an_id_gets_404_for_every_signed_in_role(world) -> None:
    # given
    rows = [route for route in ROUTES if route.kwargs(world).get("pk") in (UNKNOWN_ID, str(UNKNOWN_ID))]
    # when
    statuses = {route.id: sorted({route.expect[role] for role in SIGNED_IN}) for route in rows}
    # then
    assert statuses == {route.id: [403, 404] if route.name in REFUSED_BEFORE_LOOKUP else [404] for route in rows}
