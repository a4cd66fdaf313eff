"""Scope, per role: who sees a notice, its attachments, its report, and in which lists it shows."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from xietong.attachments.models import Attachment
from xietong.notices import services
from xietong.notices.permissions import (
    access_notice,
    access_notice_report,
    can_publish_notices,
    notices_visible_to,
)
from xietong.notices.tests.factories import draft_notice, publish, rd_notice, sales_notice
from xietong.org.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

ROLES = ("employee", "liaison", "other_department", "head", "coordinator", "admin")


def _visible(world, role):
    return set(notices_visible_to(world.user(role)).values_list("title", flat=True))


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("employee", {"研发中心安全规范"}),
        ("liaison", {"研发中心安全规范"}),
        ("other_department", {"销售报价纪律"}),
        ("head", {"研发中心安全规范"}),
        ("coordinator", {"研发中心安全规范", "销售报价纪律", "年度协作计划（草稿）"}),
        ("admin", {"研发中心安全规范", "销售报价纪律", "年度协作计划（草稿）"}),
    ],
)
def test_each_role_sees_exactly_its_notices(world, role, expected):
    # given
    rd_notice(world), sales_notice(world), draft_notice(world)
    # when / then
    assert _visible(world, role) == expected


def test_a_lead_of_a_parent_department_sees_notices_received_in_his_subtree(world):
    # given: a notice to RD-HW only; the head of RD is not a recipient but leads RD (RD-HW's parent)
    notice = publish(world.coordinator, title="硬件部通知", departments=[world.rd_hw])
    # when / then
    assert access_notice(world.head, notice.pk) == notice
    _notice, scope = access_notice_report(world.head, notice.pk)
    assert scope == {world.rd.pk, world.rd_hw.pk}
    with pytest.raises(Http404):
        access_notice(world.other_department, notice.pk)


def test_a_draft_is_seen_only_by_its_author_and_managers(world):
    # given: a draft of the head's
    draft = publish(world.head, title="草稿", mode=services.SAVE_DRAFT)
    # then
    assert access_notice(world.head, draft.pk) == draft
    assert access_notice(world.coordinator, draft.pk) == draft
    for person in (world.employee, world.liaison, world.other_department):
        with pytest.raises(Http404):
            access_notice(person, draft.pk)


def test_unknown_and_forbidden_ids_look_the_same(world):
    notice = sales_notice(world)
    for pk in (notice.pk, 999_999):
        with pytest.raises(Http404):
            access_notice(world.employee, pk)


def test_a_plain_recipient_gets_no_report(world):
    notice = rd_notice(world)
    with pytest.raises(Http404):
        access_notice_report(world.employee, notice.pk)
    assert access_notice_report(world.coordinator, notice.pk)[1] is None
    assert access_notice_report(world.head, notice.pk)[1] is None  # the author sees every department


def test_who_may_publish(world):
    deputy = PersonFactory(username="deputy", department=world.sales)
    world.sales.deputy_liaison = deputy
    world.sales.save(update_fields=["deputy_liaison"])
    assert {r: can_publish_notices(world.user(r)) for r in ROLES} == {
        "employee": False,
        "liaison": True,
        "other_department": False,
        "head": True,
        "coordinator": True,
        "admin": True,
    }
    assert can_publish_notices(deputy) is True


def test_attachments_are_downloaded_only_by_those_who_see_the_notice(world, client):
    # given: a notice to SALES with a PDF
    pdf = SimpleUploadedFile("报价规则.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", content_type="application/pdf")
    notice = publish(world.coordinator, title="报价", departments=[world.sales], files=[pdf])
    attachment = Attachment.objects.get(object_id=str(notice.pk))
    url = f"/attachments/{attachment.pk}/"
    # when / then
    statuses = {}
    for role in ("employee", "other_department", "head", "coordinator"):
        client.force_login(world.user(role))
        statuses[role] = client.get(url).status_code
    assert statuses == {"employee": 404, "other_department": 200, "head": 404, "coordinator": 200}


def test_a_draft_attachment_is_not_downloaded_by_the_audience(world, client):
    pdf = SimpleUploadedFile("草稿.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", content_type="application/pdf")
    notice = publish(world.coordinator, title="草稿", mode=services.SAVE_DRAFT, files=[pdf])
    attachment = Attachment.objects.get(object_id=str(notice.pk))
    client.force_login(world.employee)
    assert client.get(f"/attachments/{attachment.pk}/").status_code == 404
