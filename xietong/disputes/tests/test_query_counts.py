"""The dispute lists, the queue, a dispute's page and the dashboard cost a fixed number of queries
whatever the number of disputes, events and proposals.

Each is measured with a small data set (scale 1) and one five times as large (scale 5), both larger
than a page for the lists, and both must cost exactly the stated number of queries. The count
includes what every signed-in request costs: the session, the person, and the organization.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from xietong.disputes.models import Confirmation, Dispute, DisputeEvent, Proposal
from xietong.disputes.tests.conftest import Disputes
from xietong.disputes.tests.factories import DisputeFactory, at

pytestmark = pytest.mark.django_db

SCALES = (1, 5)


def grow(d: Disputes, scale: int) -> Dispute:
    """``scale`` × 30 disputes between RD and SALES at levels 1 to 3 (a third of them overdue or
    closed), each with two events; the first one also gets ``scale`` × 10 comments and ``scale``
    proposals with a confirmation each. Returns that first dispute."""
    w = d.world
    opened = at("2026-02-02T09:00")
    disputes = []
    for i in range(30 * scale):
        closed = i % 3 == 2
        dispute = DisputeFactory(
            ladder=d.ladder,
            raised_by=w.employee,
            parties=[w.rd, w.sales],
            level=1 + i % 3,
            opened_at=opened + timedelta(hours=i),
            level_entered_at=opened + timedelta(hours=i),
            due_at=opened + timedelta(days=1 if i % 2 else 60),
            state="resolved" if closed else "open",
            closed_at=opened + timedelta(days=2) if closed else None,
            outcome="双方同意" if closed else "",
        )
        disputes.append(dispute)
    DisputeEvent.objects.bulk_create(
        DisputeEvent(dispute=dispute, kind=kind, at=dispute.opened_at, actor=w.employee, level=1, note="说明")
        for dispute in disputes
        for kind in ("raised", "comment")
    )
    first = disputes[0]
    DisputeEvent.objects.bulk_create(
        DisputeEvent(dispute=first, kind="comment", at=first.opened_at, actor=actor, level=1, note=f"意见{i}")
        for i in range(10 * scale)
        for actor in (w.head, d.sales_head)
    )
    for i in range(scale):
        proposal = Proposal.objects.create(
            dispute=first,
            department=w.sales,
            proposed_by=d.sales_head,
            text=f"方案{i}",
            at=first.opened_at,
            level=1,
            state="pending" if i == scale - 1 else "superseded",
        )
        Confirmation.objects.create(proposal=proposal, department=w.rd, person=w.head, at=first.opened_at)
    return first


# (what, the URL (``{pk}``: the first dispute), who asks, the exact number of queries). A list page:
# session, person, the department tree (visibility), the paginator's count, the page, its parties, the
# ladders and their levels (level names), the bell's count.
PAGES: list[tuple[str, str, str, int]] = [
    ("list", "/disputes/", "coordinator", 8),
    ("list, every state, searched", "/disputes/?state=all&q=争议", "head", 10),
    ("list, overdue", "/disputes/?overdue=1", "head", 8),
    ("my disputes", "/disputes/mine/", "employee", 10),
    ("my queue", "/disputes/queue/", "head", 9),
    ("dispute page", "/disputes/{pk}/", "head", 18),
    ("dashboard", "/disputes/dashboard/", "coordinator", 25),
    ("dashboard, a head's", "/disputes/dashboard/", "head", 11),
    ("API list", "/api/v1/disputes/disputes/", "head", 6),
    ("API queue", "/api/v1/disputes/disputes/?queue=true", "head", 5),
    ("API dispute", "/api/v1/disputes/disputes/{pk}/", "head", 14),
]


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize(("what", "url", "who", "queries"), PAGES, ids=[page[0] for page in PAGES])
def test_page_costs_a_fixed_number_of_queries(client, d, django_assert_num_queries, scale, what, url, who, queries):
    # given
    first = grow(d, scale)
    client.force_login(getattr(d.world, who))
    client.get("/disputes/ladders/")  # the organization is now cached, as on every request but the first
    ContentType.objects.get_for_models(Dispute, DisputeEvent)  # so are the attachments' owner types
    # when
    with django_assert_num_queries(queries):
        response = client.get(url.format(pk=first.pk))
    # then
    assert response.status_code == 200


def test_grow_makes_what_it_says(d: Any):
    # when
    first = grow(d, 5)
    # then
    assert Dispute.objects.count() == 150
    assert Dispute.objects.filter(state="open").count() == 100
    assert DisputeEvent.objects.filter(dispute=first).count() == 2 + 100
    assert list(Proposal.objects.filter(dispute=first).values_list("state", flat=True)).count("pending") == 1
