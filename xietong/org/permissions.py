"""Who may see and change the organization. Fetch-and-authorise in one call: unknown ids are 404."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from xietong.org.models import Committee, Department, Person
from xietong.org.selectors import committee_detail, department_detail, person_detail


def is_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and (user.is_admin or user.is_superuser))


def is_coordinator(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_coordinator)


def can_manage_org(user: Any) -> bool:
    """Admins and coordinators edit departments, people and committees."""
    return is_admin(user) or is_coordinator(user)


def _require_signed_in(user: Any) -> None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise Http404


def _authorise(user: Any, action: str) -> None:
    _require_signed_in(user)
    if action == "view":
        return  # the organization directory is open to everyone who works here
    if action in ("edit", "create") and can_manage_org(user):
        return
    if action in ("set_password", "set_active", "audit", "admin") and is_admin(user):
        return
    raise PermissionDenied


# The access_* functions look the object up before checking the action, so an unknown id is 404 for
# every signed-in role (ids cannot be probed). An existing object may then be refused (403): everyone
# signed in sees the whole directory, so that reveals nothing.


def access_department(user: Any, pk: int, action: str = "view") -> Department:
    _require_signed_in(user)
    department = department_detail(pk)
    if department is None:
        raise Http404
    _authorise(user, action)
    return department


def access_person(user: Any, pk: int, action: str = "view") -> Person:
    _require_signed_in(user)
    person = person_detail(pk)
    if person is None or (person.department_id is None and not is_admin(user)):
        raise Http404  # accounts outside the organization (a superuser) are not in the directory
    _authorise(user, action)
    return person


def access_committee(user: Any, pk: int, action: str = "view") -> Committee:
    _require_signed_in(user)
    committee = committee_detail(pk)
    if committee is None:
        raise Http404
    _authorise(user, action)
    return committee


def require(user: Any, action: str) -> None:
    """Authorise an action that is not about one object (creating, importing)."""
    _authorise(user, action)
