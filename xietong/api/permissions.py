"""DRF permission classes that delegate to the apps' permission functions."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission


class ReadForMembersWriteForAdmins(BasePermission):
    """Signed-in active people read; only organization admins write."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if request.method in SAFE_METHODS:
            return True
        return bool(user.is_admin or user.is_superuser)
