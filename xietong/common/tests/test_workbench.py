"""The start page's tiles: what waits for each person, counted in one query per tile whatever the data size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xietong.common import clock
from xietong.common.workbench import tiles_for
from xietong.notices.tests.factories import MONDAY_9, publish
from xietong.processes.tests.route_matrix_cases import hw_case, sales_case

pytestmark = pytest.mark.django_db


def tiles(user) -> dict[str, tuple[int, int]]:
    return {tile["key"]: (tile["total"], tile["urgent"]) for tile in tiles_for(user)}


def test_each_person_sees_what_waits_for_them(world):
    # given: a step waiting in RD-HW (the employee's department) and one in SALES; a notice to RD
    hw_case(world)
    sales_case(world)
    publish(world.head, title="研发中心安全规范", departments=[world.rd], at=MONDAY_9)
    # when: three working days later (the notice's two days have run out)
    with clock.freeze(MONDAY_9 + timedelta(days=3)):
        employee, other, coordinator = tiles(world.employee), tiles(world.other_department), tiles(world.coordinator)
    # then
    assert employee["notices.to_acknowledge"] == (1, 1)
    assert other["notices.to_acknowledge"] == (0, 0)
    assert employee["processes.my_work"][0] == 1
    assert other["processes.my_work"][0] == 1
    assert coordinator["processes.my_work"][0] == 2  # coordinators see every department's work


def test_the_start_page_shows_the_tiles_in_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    # given
    client.force_login(world.employee)
    hw_case(world)
    client.get(reverse("home"))  # warm the caches (organization, schedules)
    with CaptureQueriesContext(connection) as small:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    # when: more of everything
    for n in range(5):
        publish(world.head, title=f"通知{n}", departments=[world.rd])
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse("home"))
    # then
    html = response.content.decode()
    assert 'data-tile="notices.to_acknowledge"' in html
    assert reverse("notices:to_acknowledge") in html


def test_a_page_owner_sees_the_pages_past_their_review_date(world):
    # given: two company pages owned by the employee, due for review on 10 March and 30 June
    from datetime import date

    from xietong.knowledge.services import page_create, space_create

    with clock.freeze(MONDAY_9):
        space = space_create(actor=world.coordinator, name="协作制度与规范")
        for title, review_by in (("接口人工作指引", date(2026, 3, 10)), ("争议处理说明", date(2026, 6, 30))):
            page_create(actor=world.coordinator, space=space, title=title, owner=world.employee, review_by=review_by)
    # when: in April
    with clock.freeze(MONDAY_9 + timedelta(days=35)):
        employee, coordinator = tiles(world.employee), tiles(world.coordinator)
    # then
    assert employee["knowledge.my_reviews"] == (1, 0)
    assert coordinator["knowledge.my_reviews"] == (0, 0)
