"""The search sources of the organization: people and departments.

The org app lies below search (it may not import it), so search registers these two sources itself.
The org services send ``xietong.org.signals.org_changed`` inside their transaction; the receiver here
queues the entries the change makes stale (``stale_after_change``: the objects changed, and those whose
entry shows one of their names) with ``services.search_queue``, which re-reads them after the commit.
A package import is caught up by the refresh that follows every import; writes that go around the
services are repaired by ``xietong reindex``.
Everyone signed in sees the whole directory (xietong.org.permissions); accounts outside the
organization (no department) are found by administrators only, as their pages are.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy

from xietong.org.models import Department, Person
from xietong.org.permissions import is_admin
from xietong.search.registry import Entry, Source
from xietong.search.services import search_queue


def _url_pattern(name: str) -> str:
    """The URL of ``name`` for any pk, as a format string (reverse() once, not once per object)."""
    return reverse(name, args=[123456789]).replace("123456789", "{}")


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def person_entries(pks: Sequence[int] | None) -> Iterator[tuple[int, Entry]]:
    qs = Person.objects.select_related("department").order_by("pk")
    if pks is not None:
        qs = qs.filter(pk__in=pks)
    url = _url_pattern("org:person_detail")
    for person in qs.iterator(chunk_size=2000):
        department = person.department.name if person.department else ""
        body = " · ".join(part for part in (person.title, department, person.username, person.email) if part)
        yield person.pk, Entry(title=person.name, body=body, url=url.format(person.pk))


def people_visible_to(user: Any) -> QuerySet[Person]:
    if not _signed_in(user):
        return Person.objects.none()
    if is_admin(user):
        return Person.objects.all()
    return Person.objects.filter(department__isnull=False)


def department_entries(pks: Sequence[int] | None) -> Iterator[tuple[int, Entry]]:
    qs = Department.objects.select_related("parent", "head").order_by("pk")
    if pks is not None:
        qs = qs.filter(pk__in=pks)
    url = _url_pattern("org:department_detail")
    for department in qs.iterator(chunk_size=2000):
        parts = [department.code]
        if department.parent:
            parts.append(department.parent.name)
        if department.head:
            parts.append(department.head.name)
        yield (
            department.pk,
            Entry(
                title=department.name,
                body=" · ".join(parts),
                url=url.format(department.pk),
            ),
        )


def departments_visible_to(user: Any) -> QuerySet[Department]:
    if not _signed_in(user):
        return Department.objects.none()
    return Department.objects.all()


PEOPLE = Source(
    kind="person", label=gettext_lazy("People"), entries=person_entries, visible=people_visible_to, order=10
)
DEPARTMENTS = Source(
    kind="department",
    label=gettext_lazy("Departments"),
    entries=department_entries,
    visible=departments_visible_to,
    order=20,
)


# The fields of one object that show in the entry of another: a person's entry shows their
# department's name, a department's shows its parent's and its head's.
SHOWN_ELSEWHERE = frozenset({"name"})


def stale_after_change(kind: str, pks: Sequence[int], fields: Collection[str]) -> dict[str, set[int]]:
    """The entries that a change of these people or departments may have made stale: their own, and
    where one was renamed, the entries showing that name (a renamed department's members and
    sub-departments, the departments a renamed person heads). Read inside the changing transaction."""
    stale: dict[str, set[int]] = {"person": set(), "department": set()}
    stale[kind] |= set(pks)
    if not SHOWN_ELSEWHERE & set(fields):
        return stale
    if kind == "person":
        stale["department"] |= set(Department.objects.filter(head_id__in=pks).order_by().values_list("pk", flat=True))
    elif kind == "department":
        stale["department"] |= set(Department.objects.filter(parent_id__in=pks).order_by().values_list("pk", flat=True))
        stale["person"] |= set(Person.objects.filter(department_id__in=pks).order_by().values_list("pk", flat=True))
    return stale


def org_changed_receiver(sender: Any, *, kind: str, pks: Sequence[int], fields: Collection[str], **kwargs: Any) -> None:
    """Receiver of ``xietong.org.signals.org_changed`` (connected in SearchConfig.ready)."""
    search_queue(stale_after_change(kind, pks, fields))
