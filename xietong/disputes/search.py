"""The search source of disputes (registered in DisputesConfig.ready): a dispute is found by its
reference, title, description, outcome (the agreed resolution or the binding decision, so that a
decision is found again as a precedent) and the reasoning of a decision, by those who may see it
(``disputes_visible_to``). The services call ``search_index_on_commit`` when one changes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext_lazy

from xietong.disputes.models import Dispute, DisputeEvent
from xietong.disputes.permissions import disputes_visible_to
from xietong.search.registry import Entry, Source


def dispute_entries(pks: Sequence[int] | None) -> Iterator[tuple[int, Entry]]:
    decisions = DisputeEvent.objects.filter(kind=DisputeEvent.Kind.DECIDE).order_by("at", "pk")
    qs = Dispute.objects.prefetch_related("parties", Prefetch("events", queryset=decisions, to_attr="decisions"))
    qs = qs.order_by("pk")
    if pks is not None:
        qs = qs.filter(pk__in=pks)
    url = reverse("disputes:detail", args=[123456789]).replace("123456789", "{}")
    for dispute in qs.iterator(chunk_size=2000):
        parties = "、".join(d.name for d in dispute.parties.all())
        reasons = [event.note for event in dispute.decisions]
        body = "\n".join(part for part in (dispute.description, dispute.outcome, *reasons, parties) if part)
        yield dispute.pk, Entry(title=f"{dispute.ref} {dispute.title}", body=body, url=url.format(dispute.pk))


DISPUTES = Source(
    kind="dispute",
    label=gettext_lazy("Disputes"),
    entries=dispute_entries,
    visible=disputes_visible_to,
    order=45,
)
