"""DRF permission classes that delegate to the apps' permission functions."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from xietong.org.permissions import is_admin


def _is_member(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


class ReadForMembersWriteForAdmins(BasePermission):
    """Signed-in active people read; only organization admins write.

    A write to one object (PATCH, or an action on /<pk>/…) is decided after the object was looked
    up, in ``has_object_permission``: an unknown id is then 404 for every signed-in role, as on
    the pages, so ids cannot be probed. Every detail route of a viewset that uses this class must
    therefore call ``get_object()`` (DRF's update and retrieve do).
    """

    def has_permission(self, request: Any, view: Any) -> bool:
        if not _is_member(request.user):
            return False
        if request.method in SAFE_METHODS:
            return True
        lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk")
        if lookup in getattr(view, "kwargs", {}):
            return True  # one object: decided by has_object_permission once it is found
        return is_admin(request.user)

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return request.method in SAFE_METHODS or is_admin(request.user)
