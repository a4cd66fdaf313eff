"""Who may read and write knowledge spaces and pages. Fetch-and-authorise in one call: an unknown
page and a page one may not read are both 404, so ids cannot be probed.

Reading a space:
- everyone signed in, for a company space (``visibility == company``);
- for "listed departments": the people of those departments and of their sub-departments, and
  of the space's own department (if it has one);
- for "private": the people of the space's department and of its sub-departments;
- in every case, the heads and (deputy) liaisons of a department above those (they see their
  sub-tree, as for cases), the space's named editors, and those who see every case (administrators,
  coordinators and leadership: ``processes.permissions.sees_every_case``), so that the coordinator
  who creates a department's space sees it, and an administrator can hand pages over when an owner
  leaves.

Creating and managing spaces (name, readers, editors, deletion): administrators and coordinators
(any space), and a department's head for that department's spaces and its sub-departments'.

Writing pages in a space (create, edit): administrators; for a company-wide space, coordinators;
for a department's space, that department's people, and the heads and liaisons of it or of a
department above it; in every space its named editors. A page's owner always edits their page, and
may delete it, as may whoever manages the space.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from xietong.knowledge.models import Page, PageVersion, Space
from xietong.org.models import Department
from xietong.org.permissions import is_admin, is_coordinator
from xietong.org.selectors import department_ancestor_ids, department_subtree_ids
from xietong.processes.permissions import sees_every_case, user_department_ids


def signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def reach(user: Any) -> set[int]:
    """The departments whose readers include ``user``: their own and those above it, and the
    departments they lead with those above them (a space listing D is read by D's sub-tree)."""
    return department_ancestor_ids(user_department_ids(user))


def spaces_visible_to(user: Any) -> QuerySet[Space]:
    if not signed_in(user):
        return Space.objects.none()
    if sees_every_case(user):
        return Space.objects.all()
    departments = reach(user)
    listed = Space.reader_departments.through.objects.filter(space=OuterRef("pk"), department__in=departments)
    editor = Space.editors.through.objects.filter(space=OuterRef("pk"), person=user.pk)
    return Space.objects.filter(
        Q(visibility=Space.Visibility.COMPANY)
        | Q(department__in=departments)  # a department's space is always read by that department
        | Q(Exists(listed), visibility=Space.Visibility.DEPARTMENTS)
        | Q(Exists(editor))
    )


def pages_visible_to(user: Any) -> QuerySet[Page]:
    if not signed_in(user):
        return Page.objects.none()
    if sees_every_case(user):
        return Page.objects.all()
    return Page.objects.filter(space__in=spaces_visible_to(user).values("pk"))


def access_space(user: Any, pk: int) -> Space:
    """The space if ``user`` may read it, else 404 (unknown and unseen alike)."""
    space = spaces_visible_to(user).select_related("department").filter(pk=pk).first()
    if space is None:
        raise Http404
    return space


def access_page(user: Any, pk: int) -> Page:
    """The page if ``user`` may read its space, else 404 (unknown and unseen alike)."""
    page = (
        pages_visible_to(user)
        .select_related("space", "space__department", "owner", "updated_by", "case", "case__process")
        .filter(pk=pk)
        .first()
    )
    if page is None:
        raise Http404
    return page


def access_page_version(user: Any, page_pk: int, number: int) -> PageVersion:
    """A version of a page ``user`` may read, else 404."""
    page = access_page(user, page_pk)
    version = PageVersion.objects.select_related("author").filter(page=page, number=number).first()
    if version is None:
        raise Http404
    version.page = page
    return version


def can_create_spaces(user: Any, department: Department | None = None) -> bool:
    """May ``user`` create (and manage) a space of ``department`` (None: company-wide)? Without a
    department given: may they create any space at all."""
    if not signed_in(user):
        return False
    if is_admin(user) or is_coordinator(user):
        return True
    headed = set(Department.objects.filter(head=user, is_active=True).values_list("pk", flat=True))
    if not headed or department is None:
        return False  # company-wide spaces are the coordinators' and administrators'
    return department.pk in department_subtree_ids(headed)


def may_create_any_space(user: Any) -> bool:
    if not signed_in(user):
        return False
    return is_admin(user) or is_coordinator(user) or Department.objects.filter(head=user, is_active=True).exists()


def manageable_departments(user: Any) -> QuerySet[Department]:
    """The departments whose spaces ``user`` may create."""
    if is_admin(user) or is_coordinator(user):
        return Department.objects.filter(is_active=True)
    headed = set(Department.objects.filter(head=user, is_active=True).values_list("pk", flat=True))
    return Department.objects.filter(pk__in=department_subtree_ids(headed) if headed else set(), is_active=True)


def can_manage_space(user: Any, space: Space) -> bool:
    return can_create_spaces(user, space.department)


def can_write_space(user: Any, space: Space) -> bool:
    """May ``user`` create pages in ``space`` and edit any of its pages? (They must read it too.)"""
    if not signed_in(user):
        return False
    if is_admin(user):
        return True
    if space.department_id is None and is_coordinator(user):
        return True
    if space.department_id is not None and space.department_id in user_department_ids(user):
        return True
    return Space.editors.through.objects.filter(space=space, person=user.pk).exists()


def can_edit_page(user: Any, page: Page) -> bool:
    return signed_in(user) and (page.owner_id == user.pk or can_write_space(user, page.space))


def can_delete_page(user: Any, page: Page) -> bool:
    return signed_in(user) and (page.owner_id == user.pk or can_manage_space(user, page.space))
