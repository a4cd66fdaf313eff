"""The knowledge services: spaces, pages and their versions, deletion, and the review flags."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from xietong.attachments.selectors import attachments_for
from xietong.audit.models import AuditEntry
from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.knowledge import services
from xietong.knowledge.models import Page, PageVersion, Space
from xietong.knowledge.tests.factories import PageFactory, SpaceFactory
from xietong.notify.models import Notification
from xietong.processes.tests.route_matrix_cases import hw_case, sales_case

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)


# ── Spaces ──────────────────────────────────────────────────────────────────────────────────────


def test_coordinator_creates_a_company_space_audited(world) -> None:
    # when
    space = services.space_create(actor=world.coordinator, name=" 公司制度 ", description="规章")
    # then
    space.refresh_from_db()
    assert (space.name, space.department_id, space.visibility) == ("公司制度", None, "company")
    assert AuditEntry.objects.get(object_id=str(space.pk), action="create").actor_id == world.coordinator.pk


def test_head_creates_spaces_for_the_departments_they_head_and_below(world) -> None:
    # when
    rd = services.space_create(actor=world.head, name="研发", department=world.rd, visibility="private")
    hw = services.space_create(actor=world.head, name="硬件", department=world.rd_hw, visibility="private")
    # then
    assert {rd.department_id, hw.department_id} == {world.rd.pk, world.rd_hw.pk}


@pytest.mark.parametrize(
    ("role", "department"),
    [("head", None), ("head", "sales"), ("employee", "rd_hw"), ("liaison", "rd"), ("other_department", None)],
)
def test_others_may_not_create_spaces(world, role, department) -> None:
    # when
    with pytest.raises(ApplicationError) as refused:
        services.space_create(
            actor=getattr(world, role), name="x", department=getattr(world, department) if department else None
        )
    # then
    assert refused.value.code == "forbidden"
    assert Space.objects.exists() is False


def test_a_private_space_needs_a_department_and_listed_readers_need_departments(world) -> None:
    # when
    with pytest.raises(ApplicationError) as private:
        services.space_create(actor=world.admin, name="x", visibility="private")
    with pytest.raises(ApplicationError) as listed:
        services.space_create(actor=world.admin, name="x", visibility="departments")
    with pytest.raises(ApplicationError) as unnamed:
        services.space_create(actor=world.admin, name="  ")
    # then
    assert set(private.value.field_errors) == {"visibility"}
    assert set(listed.value.field_errors) == {"reader_departments"}
    assert set(unnamed.value.field_errors) == {"name"}
    assert Space.objects.exists() is False


def test_space_update_changes_readers_and_reindexes_its_pages(world, indexed) -> None:
    # given
    space = SpaceFactory(department=world.rd, visibility="private")
    page = PageFactory(space=space)
    # when
    services.space_update(
        actor=world.head, space=space, name="研发共享", visibility="departments", reader_departments=[world.sales]
    )
    # then
    space.refresh_from_db()
    assert (space.name, space.visibility) == ("研发共享", "departments")
    assert list(space.reader_departments.values_list("code", flat=True)) == ["SALES"]
    assert indexed == [("page", [page.pk])]


def test_only_an_empty_space_is_deleted(world) -> None:
    # given
    full = SpaceFactory(department=world.rd, visibility="private")
    PageFactory(space=full)
    empty = SpaceFactory(department=world.rd, visibility="private")
    # when
    with pytest.raises(ApplicationError):
        services.space_delete(actor=world.head, space=full)
    services.space_delete(actor=world.head, space=empty)
    # then
    assert list(Space.objects.values_list("pk", flat=True)) == [full.pk]


# ── Pages ───────────────────────────────────────────────────────────────────────────────────────


def test_page_create_writes_version_one_and_indexes_it(world, indexed) -> None:
    # given
    space = SpaceFactory(department=world.rd, visibility="private")
    # when
    with clock.freeze(NOW):
        page = services.page_create(
            actor=world.liaison, space=space, title="评审规范", body="## 背景\n\n内容", summary="初稿"
        )
    # then
    version = PageVersion.objects.get(page=page)
    assert (version.number, version.title, version.body, version.summary, version.author_id) == (
        1,
        "评审规范",
        "## 背景\n\n内容",
        "初稿",
        world.liaison.pk,
    )
    assert (page.owner_id, page.review_by) == (world.liaison.pk, date(2026, 8, 29))  # 180 days on
    assert indexed == [("page", [page.pk])]


def test_page_create_refused_outside_the_writers(world) -> None:
    # given: RD's space; RD-HW reads it but does not write it; the coordinator writes company spaces only
    space = SpaceFactory(department=world.rd, visibility="private")
    # when / then
    for actor in (world.employee, world.coordinator, world.other_department):
        with pytest.raises(ApplicationError) as refused:
            services.page_create(actor=actor, space=space, title="x")
        assert refused.value.code == "forbidden"
    assert Page.objects.exists() is False


def test_named_editors_write_in_a_space(world) -> None:
    # given
    space = SpaceFactory(department=world.rd, visibility="private")
    space.editors.set([world.other_department])
    # when
    page = services.page_create(actor=world.other_department, space=space, title="协作说明")
    # then
    assert page.space_id == space.pk


def test_page_owner_must_read_the_space_and_the_case_must_be_visible(world) -> None:
    # given
    space = SpaceFactory(department=world.rd, visibility="private")
    # when
    with pytest.raises(ApplicationError) as owner:
        services.page_create(actor=world.head, space=space, title="x", owner=world.other_department)
    with pytest.raises(ApplicationError) as case:
        services.page_create(actor=world.head, space=space, title="x", case=sales_case(world))
    with pytest.raises(ApplicationError) as past:
        services.page_create(actor=world.head, space=space, title="x", review_by=date(2020, 1, 1))
    # then
    assert (set(owner.value.field_errors), set(case.value.field_errors), set(past.value.field_errors)) == (
        {"owner"},
        {"case"},
        {"review_by"},
    )
    assert Page.objects.exists() is False


def test_page_links_a_visible_case(world) -> None:
    # given
    space = SpaceFactory(department=world.rd, visibility="private")
    case = hw_case(world)
    # when
    page = services.page_create(actor=world.head, space=space, title="复盘", template="retrospective", case=case)
    # then
    page.refresh_from_db()
    assert (page.case_id, page.template) == (case.pk, "retrospective")


def test_every_save_makes_a_new_version(world, indexed) -> None:
    # given
    page = PageFactory(space=SpaceFactory(department=world.rd, visibility="private"), owner=world.liaison)
    # when
    with clock.freeze(NOW):
        services.page_update(actor=world.head, page=page, title="新标题", body="新内容", summary="改写", base_version=1)
        services.page_update(actor=world.liaison, page=page, title="新标题", body="再改", base_version=2)
    # then
    page.refresh_from_db()
    versions = list(
        PageVersion.objects.filter(page=page).order_by("number").values_list("number", "title", "body", "author")
    )
    assert versions == [
        (1, page.versions.get(number=1).title, "## 背景\n\n内容", world.liaison.pk),
        (2, "新标题", "新内容", world.head.pk),
        (3, "新标题", "再改", world.liaison.pk),
    ]
    assert (page.version, page.body, page.updated_by_id, page.updated_at) == (3, "再改", world.liaison.pk, NOW)
    assert indexed == [("page", [page.pk]), ("page", [page.pk])]


def test_a_stale_editor_is_refused_and_nothing_changes(world) -> None:
    # given: someone saved version 2 while another edited version 1
    page = PageFactory(space=SpaceFactory(department=world.rd, visibility="private"), owner=world.liaison)
    services.page_update(actor=world.head, page=page, title=page.title, body="二", base_version=1)
    # when
    with pytest.raises(ApplicationError) as refused:
        services.page_update(actor=world.liaison, page=page, title=page.title, body="覆盖", base_version=1)
    # then
    assert refused.value.code == "conflict"
    page.refresh_from_db()
    assert (page.version, page.body, page.versions.count()) == (2, "二", 2)


def test_an_unchanged_save_is_refused(world) -> None:
    # given
    page = PageFactory(space=SpaceFactory(department=world.rd, visibility="private"), owner=world.liaison)
    # when
    with pytest.raises(ApplicationError) as refused:
        services.page_update(actor=world.liaison, page=page, title=page.title, body=page.body)
    # then
    assert refused.value.code == "unchanged"
    assert page.versions.count() == 1


def test_the_owner_edits_their_page_even_without_writing_the_space(world) -> None:
    # given: a company page owned by an RD-HW employee (only coordinators write company spaces)
    page = PageFactory(space=SpaceFactory(), owner=world.employee)
    # when
    services.page_update(actor=world.employee, page=page, title="更新", body="x")
    with pytest.raises(ApplicationError):
        services.page_update(actor=world.other_department, page=page, title="别人", body="y")
    # then
    page.refresh_from_db()
    assert (page.title, page.version) == ("更新", 2)


def test_page_update_with_attachments(world) -> None:
    # given
    page = PageFactory(space=SpaceFactory(department=world.rd, visibility="private"), owner=world.liaison)
    upload = io.BytesIO(b"meeting notes\n")
    upload.name = "纪要.txt"
    # when
    services.page_update(actor=world.liaison, page=page, title=page.title, body=page.body, files=[upload])
    # then
    assert [a.filename for a in attachments_for(page)] == ["纪要.txt"]
    assert page.versions.count() == 2


def test_page_delete_by_owner_or_space_manager_only(world, indexed) -> None:
    # given
    space = SpaceFactory(department=world.rd, visibility="private")
    mine, theirs = PageFactory(space=space, owner=world.employee), PageFactory(space=space, owner=world.liaison)
    # when
    services.page_delete(actor=world.employee, page=mine)
    with pytest.raises(ApplicationError):
        services.page_delete(actor=world.employee, page=theirs)
    services.page_delete(actor=world.head, page=theirs)
    # then
    assert Page.objects.exists() is False
    assert PageVersion.objects.exists() is False
    assert indexed == [("page", [mine.pk]), ("page", [theirs.pk])]


# ── Reviews ─────────────────────────────────────────────────────────────────────────────────────


def test_review_tick_flags_each_overdue_page_to_its_owner_exactly_once(
    world, django_capture_on_commit_callbacks
) -> None:
    # given: one page past its date, one due today (not past), one in the future
    space = SpaceFactory()
    overdue = PageFactory(space=space, owner=world.liaison, review_by=date(2026, 3, 1), title="旧规范")
    PageFactory(space=space, owner=world.liaison, review_by=date(2026, 3, 2))
    PageFactory(space=space, owner=world.head, review_by=date(2026, 6, 1))
    # when: the tick runs three times (as several workers would)
    with clock.freeze(NOW), django_capture_on_commit_callbacks(execute=True):
        results = [services.review_tick(now=NOW) for _ in range(3)]
    # then
    assert results == [{"flagged": 1}, {"flagged": 0}, {"flagged": 0}]
    notification = Notification.objects.get()
    assert (notification.recipient_id, notification.kind, notification.url) == (
        world.liaison.pk,
        "knowledge.page_review_due",
        f"/knowledge/pages/{overdue.pk}/",
    )
    assert "旧规范" in notification.title


def test_a_new_review_date_is_flagged_again_once_it_passes(world, django_capture_on_commit_callbacks) -> None:
    # given: flagged once, then the owner moves the date; it passes again
    page = PageFactory(space=SpaceFactory(), owner=world.liaison, review_by=date(2026, 3, 1))
    with django_capture_on_commit_callbacks(execute=True):
        services.review_tick(now=NOW)
        services.page_update(
            actor=world.liaison, page=page, title=page.title, body=page.body, review_by=date(2026, 4, 1)
        )
        # when
        before = services.review_tick(now=datetime(2026, 3, 20, 9, 0, tzinfo=TZ))
        after = services.review_tick(now=datetime(2026, 4, 2, 9, 0, tzinfo=TZ))
    # then
    assert (before, after) == ({"flagged": 0}, {"flagged": 1})
    assert Notification.objects.filter(recipient=world.liaison).count() == 2


def test_a_claimed_page_is_not_flagged_by_a_second_worker(world, django_capture_on_commit_callbacks) -> None:
    # given: another worker has claimed the page (its conditional UPDATE won) before this one
    page = PageFactory(space=SpaceFactory(), owner=world.liaison, review_by=date(2026, 3, 1))
    Page.objects.filter(pk=page.pk).update(review_flagged_for=date(2026, 3, 1))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = services.review_tick(now=NOW)
    # then
    assert result == {"flagged": 0}
    assert Notification.objects.exists() is False


def test_the_review_tick_is_registered() -> None:
    from xietong.common.ticks import _ticks

    assert _ticks["knowledge.reviews"] is services.review_tick


def test_confirming_a_page_current_moves_its_review_date_without_a_version(
    world, django_capture_on_commit_callbacks
) -> None:
    # given: a page past its date, already flagged to its owner
    page = PageFactory(space=SpaceFactory(), owner=world.liaison, review_by=date(2026, 3, 1))
    with django_capture_on_commit_callbacks(execute=True):
        services.review_tick(now=NOW)
    # when
    with clock.freeze(NOW):
        services.page_confirm_current(actor=world.liaison, page=page)
        with pytest.raises(ApplicationError) as refused:
            services.page_confirm_current(actor=world.other_department, page=page)
    # then
    page.refresh_from_db()
    assert (page.review_by, page.version, page.versions.count()) == (date(2026, 8, 29), 1, 1)
    assert refused.value.code == "forbidden"
    assert AuditEntry.objects.filter(object_id=str(page.pk), action="review").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.review_tick(now=datetime(2026, 8, 30, 9, 0, tzinfo=TZ)) == {"flagged": 1}
