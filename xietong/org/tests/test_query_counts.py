"""The organization's pages and API lists cost a fixed number of queries whatever its size.

Each page is measured on the ``world`` grown by a small amount (scale 1) and by five times as much
(scale 5); both must cost exactly the same, stated number of queries. The count includes what every
signed-in request costs: the session, the person, and the organization (for its language).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from xietong.org.models import Committee, Department, Person
from xietong.org.tests.factories import CommitteeFactory, DepartmentFactory, PersonFactory

pytestmark = pytest.mark.django_db

SCALES = (1, 5)
# Every full page costs one COUNT more for the notification bell (xietong.notify).


def grow(world: Any, scale: int) -> None:
    """Add ``scale`` × (4 departments of 3 people, 2 committees, 2 people in RD, 1 who left RD).

    Half the new departments sit under RD (more children on its page); world.head also heads, or is
    liaison or deputy liaison of, some of them and chairs every committee (more links on their page).
    """
    for i in range(4 * scale):
        department = DepartmentFactory(code=f"X{i:03d}", name=f"新部门{i}", parent=world.rd if i % 2 else world.gm)
        staff = [PersonFactory(department=department, title="工程师", email=f"x{i}-{n}@example.cn") for n in range(3)]
        department.head = world.head if i % 4 == 0 else staff[0]
        department.liaison = world.head if i % 4 == 1 else staff[1]
        department.deputy_liaison = world.head if i % 4 == 2 else staff[2]
        department.save(update_fields=["head", "liaison", "deputy_liaison"])
    for i in range(2 * scale):
        members = [world.head, *Person.objects.filter(department__code=f"X{i:03d}")]
        CommitteeFactory(code=f"C{i:03d}", chair=world.head, members=members)
    for _ in range(2 * scale):
        PersonFactory(department=world.rd)
    PersonFactory.create_batch(scale, department=world.rd, is_active=False)


def _committee(world: Any) -> str:
    return f"/org/committees/{Committee.objects.get(code='C000').pk}/"


# (what, who asks, the URL, the exact number of queries)
PAGES: list[tuple[str, str, Callable[[Any], str], int]] = [
    ("department tree", "employee", lambda w: "/org/", 5),
    ("department tree with closed departments", "employee", lambda w: "/org/?closed=1", 5),
    ("department page", "employee", lambda w: f"/org/departments/{w.rd.pk}/", 9),
    ("department page as an administrator", "admin", lambda w: f"/org/departments/{w.rd.pk}/", 9),
    ("people list", "employee", lambda w: "/org/people/", 6),
    ("people list with people who left", "employee", lambda w: "/org/people/?inactive=1", 6),
    ("person page", "employee", lambda w: f"/org/people/{w.head.pk}/", 9),
    ("person page as an administrator", "admin", lambda w: f"/org/people/{w.head.pk}/", 9),
    ("committee list", "employee", lambda w: "/org/committees/", 5),
    ("committee page", "employee", _committee, 6),
    ("search", "employee", lambda w: "/org/search/?q=员工", 6),
    ("department form", "coordinator", lambda w: f"/org/departments/{w.rd.pk}/edit/", 11),
    ("person form", "admin", lambda w: f"/org/people/{w.head.pk}/edit/", 10),
    ("committee form", "coordinator", lambda w: _committee(w) + "edit/", 8),
    ("API department list", "employee", lambda w: "/api/v1/org/departments/", 5),
    ("API people list", "employee", lambda w: "/api/v1/org/people/", 5),
    ("API committee list", "employee", lambda w: "/api/v1/org/committees/", 6),
]


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize(("what", "role", "url", "queries"), PAGES, ids=[page[0] for page in PAGES])
def test_page_costs_a_fixed_number_of_queries(
    client, world, django_assert_num_queries, scale, what, role, url, queries
):
    # given
    grow(world, scale)
    client.force_login(world.user(role))
    target = url(world)
    # when
    with django_assert_num_queries(queries):
        response = client.get(target)
    # then
    assert response.status_code == 200


def test_the_larger_organization_is_five_times_the_smaller():
    # given: the claim the counts above rest on
    # when
    small, large = SCALES
    # then
    assert large == 5 * small


def test_grow_adds_what_it_says(world):
    # given
    departments, people, committees = Department.objects.count(), Person.objects.count(), Committee.objects.count()
    # when
    grow(world, 5)
    # then
    assert Department.objects.count() - departments == 20
    assert Person.objects.count() - people == 20 * 3 + 10 + 5
    assert Committee.objects.count() - committees == 10
    assert Department.objects.filter(parent=world.rd).count() == 1 + 10
    assert Department.objects.filter(head=world.head).count() == 1 + 5


def test_the_department_tree_is_read_once_and_again_after_a_change(world, django_assert_num_queries):
    # given the tree read once
    from xietong.org.selectors import clear_org_caches, department_subtree_ids
    from xietong.org.services import department_create

    assert department_subtree_ids({world.rd.pk}) == {world.rd.pk, world.rd_hw.pk}
    # then asking again costs no query
    with django_assert_num_queries(0):
        assert department_subtree_ids({world.gm.pk}) >= {world.rd.pk, world.sales.pk}
    # and a new department shows once the change cleared the shared version
    new = department_create(actor=world.admin, code="RD-SW", name="软件研发部", parent=world.rd)
    clear_org_caches()  # what the service does on commit
    assert new.pk in department_subtree_ids({world.rd.pk})
