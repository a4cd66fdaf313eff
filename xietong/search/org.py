"""The search sources of the organization: people and departments.

The org app lies below search (it may not import it), so search registers these two sources itself
and keeps them current with the "search.org" tick (services.org_tick) and ``xietong reindex``.
Everyone signed in sees the whole directory (xietong.org.permissions); accounts outside the
organization (no department) are found by administrators only, as their pages are.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy

from xietong.org.models import Department, Person
from xietong.org.permissions import is_admin
from xietong.search.registry import Entry, Source


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
