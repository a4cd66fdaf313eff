"""Reads of the organization that span relations; each costs a fixed number of queries."""

from __future__ import annotations

import dataclasses
import functools
import json
import uuid
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Prefetch, Q, QuerySet

from xietong.common.worktime import Schedule
from xietong.org.models import Committee, Department, Organization, Person

ORG_CACHE_KEY = "xietong:org:organization"
SCHEDULES_CACHE_KEY = "xietong:org:schedules"
SEARCH_LIMIT = 20


def clear_org_caches() -> None:
    cache.delete_many([ORG_CACHE_KEY, SCHEDULES_CACHE_KEY])


def organization_get() -> Organization | None:
    """The organization (cached briefly: the language middleware asks on every request)."""
    org = cache.get(ORG_CACHE_KEY)
    if org is None:
        org = Organization.objects.filter(pk=1).first()
        if org is not None:
            cache.set(ORG_CACHE_KEY, org, 30)
    return org


@functools.lru_cache(maxsize=256)
def _schedule(spec_json: str, tz: str) -> Schedule:
    return Schedule.from_spec(json.loads(spec_json), tz)


def build_schedule(spec: dict[str, Any] | None, tz: str) -> Schedule:
    """A stored schedule spec as a Schedule, parsed once per distinct spec (queues ask per row)."""
    return _schedule(json.dumps(spec or {}, sort_keys=True), tz)


def organization_schedule() -> Schedule:
    org = organization_get()
    if org is None:
        return build_schedule({}, "Asia/Shanghai")
    return build_schedule(org.schedule, org.timezone)


DepartmentTree = dict[int, tuple[int | None, dict[str, Any] | None]]


def nearest_schedule_spec(tree: DepartmentTree, department_id: int) -> dict[str, Any] | None:
    """The spec that times a department: its own, else the nearest ancestor's; None for the
    organization's (package-format.md, schedule)."""
    node: int | None = department_id
    seen: set[int] = set()
    while node is not None and node in tree and node not in seen:
        seen.add(node)
        parent, spec = tree[node]
        if spec is not None:
            return spec
        node = parent
    return None


@dataclasses.dataclass(frozen=True)
class _Tree:
    version: str
    parents: DepartmentTree
    children: dict[int | None, list[int]]


_memo: list[_Tree] = []  # this process's copy of the tree, valid while the shared version is the same


def _department_tree() -> _Tree:
    """The department tree, shared by the processes through the cache for 30 s and kept in each
    process as long as its version is current: a request asks a few times (scopes, schedules),
    and a 5,000-department tree takes milliseconds to unpickle. A change deletes the version
    (``clear_org_caches``), so every process rebuilds at its next question."""
    version = cache.get(SCHEDULES_CACHE_KEY)
    if version is not None and _memo and _memo[0].version == version:
        return _memo[0]
    parents: DepartmentTree = {
        pk: (parent, spec) for pk, parent, spec in Department.objects.values_list("pk", "parent_id", "schedule")
    }
    if version is None:
        version = uuid.uuid4().hex
        cache.set(SCHEDULES_CACHE_KEY, version, 30)
    children: dict[int | None, list[int]] = {}
    for pk, (parent, _spec) in parents.items():
        children.setdefault(parent, []).append(pk)
    tree = _Tree(version, parents, children)
    _memo[:] = [tree]
    return tree


def _department_tree_map() -> DepartmentTree:
    """pk -> (parent pk, own schedule) of every department."""
    return _department_tree().parents


def department_subtree_ids(roots: set[int]) -> set[int]:
    """The given departments and every department below them."""
    children = _department_tree().children
    found, stack = set(), list(roots)
    while stack:
        pk = stack.pop()
        if pk not in found:
            found.add(pk)
            stack.extend(children.get(pk, []))
    return found


def department_ancestor_ids(ids: set[int]) -> set[int]:
    """The given departments and every department above them."""
    tree = _department_tree_map()
    found: set[int] = set()
    for pk in ids:
        node: int | None = pk
        while node is not None and node not in found:
            found.add(node)
            node = tree[node][0] if node in tree else None
    return found


def department_schedule(department_id: int) -> Schedule:
    """The schedule that times work in a department: its own, else the nearest ancestor's, else the
    organization's (package-format.md, schedule)."""
    spec = nearest_schedule_spec(_department_tree_map(), department_id)
    if spec is None:
        return organization_schedule()
    org = organization_get()
    return build_schedule(spec, org.timezone if org else "Asia/Shanghai")


@dataclasses.dataclass
class TreeNode:
    department: Department
    depth: int
    children: list[TreeNode]


def department_tree(*, include_closed: bool = False) -> list[TreeNode]:
    """The department forest with heads, liaisons and member counts (one query)."""
    qs = (
        Department.objects.select_related("head", "liaison")
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        .order_by("code")
    )
    if not include_closed:
        qs = qs.filter(is_active=True)
    rows = list(qs)
    by_parent: dict[int | None, list[Department]] = {}
    ids = {d.pk for d in rows}
    for d in rows:
        by_parent.setdefault(d.parent_id if d.parent_id in ids else None, []).append(d)

    def build(parent: int | None, depth: int) -> list[TreeNode]:
        return [TreeNode(d, depth, build(d.pk, depth + 1)) for d in by_parent.get(parent, [])]

    return build(None, 0)


def flatten_tree(nodes: list[TreeNode]) -> list[TreeNode]:
    out: list[TreeNode] = []
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children))
    return out


def department_detail(pk: int) -> Department | None:
    return (
        Department.objects.select_related("parent", "head", "liaison", "deputy_liaison")
        .prefetch_related(
            Prefetch("members", queryset=Person.objects.order_by("-is_active", "name").select_related("department")),
            Prefetch(
                "children",
                queryset=Department.objects.select_related("head").annotate(
                    member_count=Count("members", filter=Q(members__is_active=True))
                ),
            ),
        )
        .filter(pk=pk)
        .first()
    )


def department_ancestors(department: Department) -> list[Department]:
    """Root first, excluding the department itself (one query)."""
    by_pk = {d.pk: d for d in Department.objects.only("pk", "code", "name", "parent_id")}
    chain: list[Department] = []
    node = by_pk.get(department.parent_id) if department.parent_id else None
    while node is not None and node not in chain:
        chain.append(node)
        node = by_pk.get(node.parent_id) if node.parent_id else None
    return list(reversed(chain))


def person_list(
    *, query: str = "", department: Department | None = None, include_inactive: bool = False
) -> QuerySet[Person]:
    qs = (
        Person.objects.select_related("department")
        .filter(department__isnull=False)
        .order_by("department__code", "name")
    )
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if department is not None:
        qs = qs.filter(department=department)
    if query:
        qs = qs.filter(_person_match(query))
    return qs


def _person_match(query: str) -> Q:
    return (
        Q(name__icontains=query) | Q(username__icontains=query) | Q(title__icontains=query) | Q(email__icontains=query)
    )


def person_detail(pk: int) -> Person | None:
    return (
        Person.objects.select_related("department", "department__head")
        .prefetch_related("headed_departments", "liaison_departments", "deputy_liaison_departments", "committees")
        .filter(pk=pk)
        .first()
    )


def committee_list() -> QuerySet[Committee]:
    return Committee.objects.select_related("chair").annotate(member_count=Count("members")).order_by("code")


def committee_detail(pk: int) -> Committee | None:
    return (
        Committee.objects.select_related("chair")
        .prefetch_related(Prefetch("members", queryset=Person.objects.select_related("department").order_by("name")))
        .filter(pk=pk)
        .first()
    )


def org_search(query: str, *, limit: int = SEARCH_LIMIT) -> dict[str, Any]:
    """People and departments whose name (or username, code, title) contains ``query``: any part,
    so a two-character Chinese query finds 王建国 by 建国. Two queries."""
    query = query.strip()
    if not query:
        return {"people": [], "departments": []}
    people = list(person_list(query=query)[:limit])
    departments = list(
        Department.objects.select_related("parent", "head")
        .filter(Q(name__icontains=query) | Q(code__icontains=query))
        .order_by("-is_active", "code")[:limit]
    )
    return {"people": people, "departments": departments}
