"""Who may see and act on processes and cases. Fetch-and-authorise in one call; unknown ids are 404.

- Everyone signed in browses the published process catalogue.
- Coordinators and administrators create, edit and publish processes.
- A case is seen by the people of its departments (responsible or cooperating in any step of its
  version), by the heads and liaisons of those departments' parents (they see their sub-tree), by
  leadership (level executive), coordinators and administrators.
- A case is opened by people of a department responsible for one of the process's steps (or a
  coordinator); a step is completed by its responsible department's people or its assignee.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404

from xietong.org.models import Department
from xietong.org.permissions import can_manage_org, is_admin, is_coordinator
from xietong.org.selectors import department_subtree_ids
from xietong.processes.models import Case, Process, ProcessVersion, Step, StepRun


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def sees_every_case(user: Any) -> bool:
    return is_admin(user) or is_coordinator(user) or (_signed_in(user) and user.level == "executive")


def can_edit_processes(user: Any) -> bool:
    return can_manage_org(user)


def led_department_ids(user: Any) -> set[int]:
    """The sub-trees of the departments a person heads or is (deputy) liaison for."""
    led = Department.objects.filter(Q(head=user) | Q(liaison=user) | Q(deputy_liaison=user), is_active=True)
    return department_subtree_ids(set(led.values_list("pk", flat=True)))


def user_department_ids(user: Any) -> set[int]:
    """The departments whose work a person sees: their own, and the sub-trees of those they lead."""
    if not _signed_in(user) or user.department_id is None:
        return set()
    return {user.department_id} | led_department_ids(user)


def cases_visible_to(user: Any) -> QuerySet[Case]:
    if not _signed_in(user):
        return Case.objects.none()
    if sees_every_case(user):
        return Case.objects.all()
    departments = user_department_ids(user)
    # the versions that involve them, as a subquery the database reads once (a few rows: steps are
    # few), so the cases are picked by their indexed version and not by a probe per case
    involved = Step.objects.filter(Q(responsible__in=departments) | Q(cooperating__in=departments)).values("version")
    if connection.vendor == "sqlite":
        # ``version_id + 0``: SQLite, without statistics, would pick the version index and sort every
        # visible case to show a page of 50, where reading the newest cases off the case list's
        # index and skipping the others stops after the page (PostgreSQL chooses by its statistics)
        return Case.objects.alias(version_key=F("version_id") + 0).filter(version_key__in=involved)
    return Case.objects.filter(version__in=involved)


def access_case(user: Any, pk: int) -> Case:
    """The case if the user may see it, else 404 (unknown and forbidden look the same)."""
    case = cases_visible_to(user).select_related("process", "version", "opened_by").filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def can_open_case(user: Any, process: Process) -> bool:
    if not _signed_in(user):
        return False
    if is_coordinator(user) or is_admin(user):
        return True
    return Step.objects.filter(
        version__process=process, version__published_at__isnull=False, responsible_id=user.department_id
    ).exists()


def can_complete_step(user: Any, run: StepRun) -> bool:
    return _signed_in(user) and (run.assignee_id == user.pk or run.responsible_id == user.department_id)


def can_steer_case(user: Any, case: Case, current: StepRun | None) -> bool:
    """Hold, resume, cancel, assign: the opener, the current step's department head or liaisons,
    coordinators and administrators."""
    if not _signed_in(user):
        return False
    if is_coordinator(user) or is_admin(user) or case.opened_by_id == user.pk:
        return True
    return current is not None and current.responsible_id in led_department_ids(user)


def access_process(user: Any, pk: int, action: str = "view") -> Process:
    """The process if the user may do ``action`` ("view" or "edit") with it. Unknown → 404; a process
    with only a draft → 404 for those who may not edit; "edit" on a visible one → 403 for them."""
    published = ProcessVersion.objects.filter(process=OuterRef("pk"), published_at__isnull=False)
    process = Process.objects.select_related("owner").annotate(is_published=Exists(published)).filter(pk=pk).first()
    if process is None:
        raise Http404
    may_edit = can_edit_processes(user)
    if not may_edit and not process.is_published:
        raise Http404
    if action != "view" and not may_edit:
        raise PermissionDenied
    return process


def require_process_editor(user: Any) -> None:
    if not _signed_in(user):
        raise Http404
    if not can_edit_processes(user):
        raise PermissionDenied
