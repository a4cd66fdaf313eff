"""Fixtures shared by every app's tests: a small organization with one person per role."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache(settings: Any, tmp_path: Any) -> Any:
    # Argon2 is what production uses (tested in accounts); tests hash with MD5 for speed.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Pages render without a collectstatic run; the live server serves static files from the finders.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Uploaded files go to a fresh directory per test.
    settings.MEDIA_ROOT = str(tmp_path / "files")
    # Background tasks run at once, in the test's process.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # Each test process has its own cache (the default file cache is shared by the processes of one
    # installation, and xdist's workers are separate installations).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


@dataclasses.dataclass
class World:
    """A small organization: GM ─ RD (─ RD-HW), SALES; one person per role."""

    org: Any
    gm: Any
    rd: Any
    rd_hw: Any
    sales: Any
    employee: Any  # staff in RD-HW
    head: Any  # head of RD
    liaison: Any  # liaison of RD
    other_department: Any  # staff in SALES
    coordinator: Any
    admin: Any

    def user(self, role: str) -> Any:
        return None if role == "anonymous" else getattr(self, role)


ROLES = ("anonymous", "employee", "other_department", "head", "coordinator", "admin")


@pytest.fixture
def world(db: Any) -> World:
    from xietong.org.tests.factories import DepartmentFactory, OrganizationFactory, PersonFactory

    org = OrganizationFactory()
    gm = DepartmentFactory(code="GM", name="总经办")
    rd = DepartmentFactory(code="RD", name="研发中心", parent=gm)
    rd_hw = DepartmentFactory(code="RD-HW", name="硬件研发部", parent=rd)
    sales = DepartmentFactory(code="SALES", name="销售部", parent=gm)
    head = PersonFactory(username="head", name="陈浩", department=rd, level="manager")
    liaison = PersonFactory(username="liaison", name="刘洋", department=rd)
    employee = PersonFactory(username="employee", name="王建国", department=rd_hw)
    other = PersonFactory(username="other", name="赵敏", department=sales)
    coordinator = PersonFactory(username="coordinator", name="李霞", department=gm, is_coordinator=True)
    admin = PersonFactory(username="admin", name="黎俊杰", department=gm, is_admin=True)
    rd.head, rd.liaison = head, liaison
    rd.save(update_fields=["head", "liaison"])
    return World(org, gm, rd, rd_hw, sales, employee, head, liaison, other, coordinator, admin)
