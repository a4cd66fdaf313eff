"""The search sources of processes and cases (registered in ProcessesConfig.ready).

A process is found by everyone signed in once it has a published version, and by its editors
(coordinators, administrators) as a draft too, as ``access_process`` shows it; a case by those
``cases_visible_to`` lets see it. The services call ``search_index_on_commit`` when either changes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy

from xietong.processes.models import Case, Process, ProcessVersion
from xietong.processes.permissions import can_edit_processes, cases_visible_to
from xietong.search.registry import Entry, Source


def process_entries(pks: Sequence[int] | None) -> Iterator[tuple[int, Entry]]:
    qs = Process.objects.select_related("owner").order_by("pk")
    if pks is not None:
        qs = qs.filter(pk__in=pks)
    url = reverse("processes:process_detail", args=[123456789]).replace("123456789", "{}")
    for process in qs.iterator(chunk_size=2000):
        body = "\n".join(part for part in (process.description, process.owner.name if process.owner else "") if part)
        title = f"{process.code} {process.name}"
        yield process.pk, Entry(title=title, body=body, url=url.format(process.pk))


def processes_visible_to(user: Any) -> QuerySet[Process]:
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return Process.objects.none()
    if can_edit_processes(user):
        return Process.objects.all()
    published = ProcessVersion.objects.filter(process=OuterRef("pk"), published_at__isnull=False)
    return Process.objects.filter(Exists(published))


def case_entries(pks: Sequence[int] | None) -> Iterator[tuple[int, Entry]]:
    qs = Case.objects.select_related("process").order_by("pk")
    if pks is not None:
        qs = qs.filter(pk__in=pks)
    url = reverse("processes:case_detail", args=[123456789]).replace("123456789", "{}")
    for case in qs.iterator(chunk_size=2000):
        title = f"{case.ref} {case.title}".strip()
        body = "\n".join(part for part in (case.description, f"{case.process.code} {case.process.name}") if part)
        yield case.pk, Entry(title=title, body=body, url=url.format(case.pk))


PROCESSES = Source(
    kind="process",
    label=gettext_lazy("Processes"),
    entries=process_entries,
    visible=processes_visible_to,
    order=30,
)
CASES = Source(kind="case", label=gettext_lazy("Cases"), entries=case_entries, visible=cases_visible_to, order=40)
