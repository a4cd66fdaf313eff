"""Who reads which space, who writes in it, and guessing ids of what one cannot read."""

from __future__ import annotations

import io

import pytest

from xietong.attachments.services import attachment_add
from xietong.knowledge.permissions import (
    can_manage_space,
    can_write_space,
    pages_visible_to,
    spaces_visible_to,
)
from xietong.knowledge.tests.factories import PageFactory, SpaceFactory
from xietong.org.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

ROLES = ("employee", "head", "liaison", "other_department", "coordinator", "admin")


@pytest.fixture
def spaces(world):
    return {
        "company": SpaceFactory(name="公司"),
        "rd_private": SpaceFactory(name="研发私有", department=world.rd, visibility="private"),
        "hw_private": SpaceFactory(name="硬件私有", department=world.rd_hw, visibility="private"),
        "sales_private": SpaceFactory(name="销售私有", department=world.sales, visibility="private"),
        "listed_rd": SpaceFactory(name="列给研发", department=world.sales, visibility="departments"),
    }


@pytest.fixture
def listed(spaces, world):
    spaces["listed_rd"].reader_departments.set([world.rd])
    return spaces


EXPECTED_READS = {
    # RD-HW is below RD: it reads RD's private space and what is listed for RD.
    "employee": {"company", "rd_private", "hw_private", "listed_rd"},
    # RD's head and liaison lead RD, so they read RD-HW's space too.
    "head": {"company", "rd_private", "hw_private", "listed_rd"},
    "liaison": {"company", "rd_private", "hw_private", "listed_rd"},
    "other_department": {"company", "sales_private", "listed_rd"},
    "coordinator": {"company", "rd_private", "hw_private", "sales_private", "listed_rd"},
    "admin": {"company", "rd_private", "hw_private", "sales_private", "listed_rd"},
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reads_exactly_its_spaces_and_their_pages(world, listed, role) -> None:
    # given
    names = {space.pk: key for key, space in listed.items()}
    pages = {PageFactory(space=space).pk: key for key, space in listed.items()}
    # when
    seen = {names[pk] for pk in spaces_visible_to(getattr(world, role)).values_list("pk", flat=True)}
    seen_pages = {pages[pk] for pk in pages_visible_to(getattr(world, role)).values_list("pk", flat=True)}
    # then
    assert seen == EXPECTED_READS[role]
    assert seen_pages == EXPECTED_READS[role]


def test_a_listed_department_reads_with_its_sub_departments_but_not_its_parent(world, spaces) -> None:
    # given: a space listed for RD-HW only
    spaces["listed_rd"].reader_departments.set([world.rd_hw])
    rd_staff = PersonFactory(department=world.rd)  # in RD, but leads nothing
    # then
    assert spaces_visible_to(world.employee).filter(pk=spaces["listed_rd"].pk).exists() is True
    assert spaces_visible_to(rd_staff).filter(pk=spaces["listed_rd"].pk).exists() is False
    assert spaces_visible_to(world.head).filter(pk=spaces["listed_rd"].pk).exists() is True  # leads RD's sub-tree


def test_anonymous_and_inactive_people_read_nothing(world, spaces) -> None:
    from django.contrib.auth.models import AnonymousUser

    world.employee.is_active = False
    world.employee.save(update_fields=["is_active"])
    assert spaces_visible_to(AnonymousUser()).exists() is False
    assert spaces_visible_to(world.employee).exists() is False
    assert pages_visible_to(AnonymousUser()).exists() is False


def test_named_editors_read_and_write_a_private_space(world, spaces) -> None:
    # given
    spaces["rd_private"].editors.set([world.other_department])
    # then
    assert spaces_visible_to(world.other_department).filter(pk=spaces["rd_private"].pk).exists() is True
    assert can_write_space(world.other_department, spaces["rd_private"]) is True


EXPECTED_WRITES = {
    "employee": {"hw_private"},
    "head": {"rd_private", "hw_private"},
    "liaison": {"rd_private", "hw_private"},
    "other_department": {"sales_private", "listed_rd"},
    "coordinator": {"company"},
    "admin": {"company", "rd_private", "hw_private", "sales_private", "listed_rd"},
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_writes_exactly_its_spaces(world, listed, role) -> None:
    # when
    writes = {key for key, space in listed.items() if can_write_space(getattr(world, role), space)}
    # then
    assert writes == EXPECTED_WRITES[role]


EXPECTED_MANAGES = {
    "employee": set(),
    "head": {"rd_private", "hw_private"},
    "liaison": set(),
    "other_department": set(),
    "coordinator": {"company", "rd_private", "hw_private", "sales_private", "listed_rd"},
    "admin": {"company", "rd_private", "hw_private", "sales_private", "listed_rd"},
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_manages_exactly_its_spaces(world, listed, role) -> None:
    # when
    manages = {key for key, space in listed.items() if can_manage_space(getattr(world, role), space)}
    # then
    assert manages == EXPECTED_MANAGES[role]


def test_guessing_ids_of_a_private_space_its_pages_versions_and_attachments_is_404(client, world, spaces) -> None:
    # given: SALES's private page, with a second version and an attachment
    page = PageFactory(space=spaces["sales_private"], owner=world.other_department)
    upload = io.BytesIO(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    upload.name = "报价.pdf"
    attachment = attachment_add(actor=world.other_department, owner=page, upload=upload)
    urls = [
        f"/knowledge/spaces/{spaces['sales_private'].pk}/",
        f"/knowledge/spaces/{spaces['sales_private'].pk}/pages/new/",
        f"/knowledge/pages/{page.pk}/",
        f"/knowledge/pages/{page.pk}/edit/",
        f"/knowledge/pages/{page.pk}/history/",
        f"/knowledge/pages/{page.pk}/versions/1/",
        f"/knowledge/pages/{page.pk}/diff/?from=1&to=1",
        f"/attachments/{attachment.pk}/",
        f"/api/v1/knowledge/spaces/{spaces['sales_private'].pk}/",
        f"/api/v1/knowledge/pages/{page.pk}/",
        f"/api/v1/knowledge/pages/{page.pk}/versions/",
        f"/api/v1/knowledge/pages/{page.pk}/versions/1/",
    ]
    # when: RD's head guesses them; then SALES's own person asks
    client.force_login(world.head)
    guessed = {url: client.get(url).status_code for url in urls}
    client.force_login(world.other_department)
    owned = {url: client.get(url).status_code for url in urls}
    # then
    assert set(guessed.values()) == {404}
    assert set(owned.values()) == {200}
    client.force_login(world.head)
    assert client.get(f"/knowledge/spaces/{spaces['sales_private'].pk}/edit/").status_code == 404
