"""The org app's sections of the package: organization, departments, people, committees."""

from __future__ import annotations

import dataclasses
import secrets
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from xietong.common.bulk import insert_objects, update_objects
from xietong.common.worktime import Schedule, ScheduleError, cn_calendar
from xietong.org.models import Committee, Department, Organization, Person
from xietong.org.selectors import clear_org_caches
from xietong.packages.registry import ExportContext, ImportContext, SectionHandler, register

LEVELS = [choice.value for choice in Person.Level]
ROLES = ("admin", "coordinator")
SCHEDULE_KEYS = ("working_hours", "days", "holidays", "workdays")


def _read_schedule(ctx: ImportContext, path: str, value: Any) -> dict[str, Any] | None:
    """A schedule mapping, validated and normalised (Schedule.to_spec), or None with problems recorded."""
    if value is None:
        return None
    # The reader checks the keys first, so that a typo gets a "did you mean" like everywhere else.
    problems = len(ctx.reader.problems)
    spec = ctx.reader.mapping(path, value, required=(), optional=SCHEDULE_KEYS)
    if spec is None:
        return None
    try:
        schedule = Schedule.from_spec(spec, ctx.tz).to_spec()
    except ScheduleError as exc:
        for rel, message in exc.errors:
            ctx.error(f"{path}.{rel}" if rel else path, message)
        return None
    return schedule if len(ctx.reader.problems) == problems else None


def export_schedule(spec: dict[str, Any] | None, tz: str, ctx: ExportContext) -> dict[str, Any]:
    """A stored schedule as written by export: for ``days: cn`` the official days off and make-up
    days of every year from the earliest record to the year after the export, made explicit."""
    spec = Schedule.from_spec(spec or {}, tz).to_spec()
    if spec["days"] == "cn":
        holidays, workdays = set(spec["holidays"]), set(spec["workdays"])
        for year in range(ctx.first_year, ctx.today.year + 2):
            days_off, makeup = cn_calendar(year)
            holidays |= {d.isoformat() for d in days_off} - set(spec["workdays"])
            workdays |= {d.isoformat() for d in makeup} - set(spec["holidays"])
        spec["holidays"], spec["workdays"] = sorted(holidays), sorted(workdays)
    return spec


def _same_schedule(stored: dict[str, Any] | None, wanted: dict[str, Any] | None, tz: ZoneInfo) -> bool:
    """Whether two schedules give the same working days. With ``days: cn``, listed days that only
    repeat the official calendar change nothing: export lists them, and an exported file must match
    the schedule it came from."""

    def meaning(spec: dict[str, Any] | None) -> dict[str, Any] | None:
        if spec is None:
            return None
        try:
            spec = Schedule.from_spec(spec, tz).to_spec()
        except ScheduleError:
            return spec  # stored before a rule changed: compared as it is
        if spec["days"] == "cn":
            for key, index in (("holidays", 0), ("workdays", 1)):
                spec[key] = [d for d in spec[key] if date.fromisoformat(d) not in cn_calendar(int(d[:4]))[index]]
        return spec

    return meaning(stored) == meaning(wanted)


def _department_codes() -> list[str]:
    return list(Department.objects.values_list("code", flat=True))


def _member_usernames() -> list[str]:
    """People who belong to the organization: they have a department (accounts such as a
    superuser made with createsuperuser do not)."""
    return list(Person.objects.filter(department__isnull=False).values_list("username", flat=True))


def _changed(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [current.get(k), v] for k, v in wanted.items() if current.get(k) != v}


class OrganizationSection(SectionHandler):
    key = "organization"
    order = 10

    def read(self, ctx: ImportContext, path: str, value: Any) -> None:
        r = ctx.reader
        obj = r.mapping(path, value, required=("name",), optional=("timezone", "language", "schedule"))
        if obj is None:
            return
        tz_name = r.text(f"{path}.timezone", obj.get("timezone")) or "Asia/Shanghai"
        try:
            ctx.tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            ctx.error(
                f"{path}.timezone", _("“{tz}” is not a known IANA timezone such as Asia/Shanghai").format(tz=tz_name)
            )
        language = r.choice(f"{path}.language", obj.get("language", "zh-hans"), ["zh-hans", "en"])
        ctx.parsed[self.key] = {
            "name": r.text(f"{path}.name", obj.get("name"), max_length=200, required=True),
            "timezone": tz_name,
            "language": language,
            "schedule": _read_schedule(ctx, f"{path}.schedule", obj.get("schedule", {})),
        }

    def apply(self, ctx: ImportContext) -> None:
        transaction.on_commit(clear_org_caches)
        wanted = ctx.parsed[self.key]
        org = Organization.objects.filter(pk=1).first()
        if org is None:
            org = Organization.objects.create(pk=1, **wanted)
            ctx.record(self.key, wanted["name"], "create", {k: [None, v] for k, v in wanted.items()}, org)
            return
        current = {f: getattr(org, f) for f in wanted}
        if _same_schedule(current["schedule"], wanted["schedule"], ctx.tz):
            wanted = {**wanted, "schedule": current["schedule"]}
        changed = _changed(current, wanted)
        if changed:
            for field, (_old, new) in changed.items():
                setattr(org, field, new)
            org.save(update_fields=list(changed))
            ctx.record(self.key, wanted["name"], "update", changed, org)

    def export(self, ctx: ExportContext) -> Any:
        org = Organization.objects.filter(pk=1).first()
        if org is None:
            return None
        return {
            "name": org.name,
            "timezone": org.timezone,
            "language": org.language,
            "schedule": export_schedule(org.schedule, org.timezone, ctx),
        }


@dataclasses.dataclass
class _Dept:
    path: str
    code: str
    values: dict[str, Any]  # name, parent, schedule, is_active
    links: dict[str, str | None]  # head, liaison, deputy_liaison: usernames


class DepartmentsSection(SectionHandler):
    key = "departments"
    order = 20
    LINKS = ("head", "liaison", "deputy_liaison")

    def read(self, ctx: ImportContext, path: str, value: Any) -> None:
        r = ctx.reader
        ctx.load_existing("department", _department_codes)
        depts: list[_Dept] = []
        for item_path, item in r.items(path, value):
            obj = r.mapping(
                item_path,
                item,
                required=("code", "name"),
                optional=("parent", "head", "liaison", "deputy_liaison", "schedule", "active"),
            )
            if obj is None:
                continue
            code = r.code(f"{item_path}.code", obj.get("code"))
            name = r.text(f"{item_path}.name", obj.get("name"), max_length=200, required=True)
            parent = r.code(f"{item_path}.parent", obj["parent"]) if "parent" in obj else None
            links = {k: r.username(f"{item_path}.{k}", obj[k]) if k in obj else None for k in self.LINKS}
            active = r.boolean(f"{item_path}.active", obj["active"]) if "active" in obj else True
            schedule = _read_schedule(ctx, f"{item_path}.schedule", obj.get("schedule"))
            if code is None or not ctx.declare("department", code, f"{item_path}.code", label=_("department code")):
                continue
            depts.append(
                _Dept(
                    item_path,
                    code,
                    {
                        "name": name,
                        "parent": parent,
                        "schedule": schedule,
                        "is_active": active is not False,
                    },
                    links,
                )
            )
        ctx.parsed[self.key] = depts

    def check(self, ctx: ImportContext) -> None:
        ctx.load_existing("member", _member_usernames)
        depts: list[_Dept] = ctx.parsed[self.key]
        for d in depts:
            parent = d.values["parent"]
            if parent is not None and not ctx.exists("department", parent):
                ctx.error(f"{d.path}.parent", _("no department has the code “{code}”").format(code=parent))
            for link, username in d.links.items():
                if username is not None and not ctx.exists("member", username):
                    ctx.error(
                        f"{d.path}.{link}",
                        _(
                            "“{username}” is not a person of the organization (listed in people, with a department)"
                        ).format(username=username),
                    )
        self._check_cycles(ctx, depts)

    def _check_cycles(self, ctx: ImportContext, depts: list[_Dept]) -> None:
        parents: dict[str, str | None] = dict(Department.objects.values_list("code", "parent__code"))
        parents.update({d.code: d.values["parent"] for d in depts})
        paths = {d.code: d.path for d in depts}
        position = {code: i for i, code in enumerate(paths)}
        reported: set[str] = set()
        for start in paths:
            seen: list[str] = []
            node: str | None = start
            while node is not None and node not in seen and node not in reported:
                seen.append(node)
                node = parents.get(node)
            if node is not None and node in seen:
                cycle = seen[seen.index(node) :]
                reported.update(cycle)
                first = min(cycle, key=lambda c: position.get(c, len(position)))  # the first in the file
                ring = cycle[cycle.index(first) :] + cycle[: cycle.index(first)] + [first]
                ctx.error(
                    f"{paths.get(first, self.key)}.parent",
                    _("the parent links form a cycle: {cycle}").format(cycle=" → ".join(ring)),
                )
            reported.update(seen)

    def apply(self, ctx: ImportContext) -> None:
        transaction.on_commit(clear_org_caches)  # the cached schedules of the departments
        depts: list[_Dept] = ctx.parsed[self.key]
        existing = {d.code: d for d in Department.objects.select_related("parent")}
        new = [Department(code=d.code, name=d.values["name"]) for d in depts if d.code not in existing]
        Department.objects.bulk_create(new, batch_size=1000)
        by_code = {d.code: d for d in Department.objects.all()}
        updates: list[Department] = []
        for d in depts:
            obj = by_code[d.code]
            wanted = dict(d.values)
            before = existing.get(d.code)
            current: dict[str, Any] = {}
            if before is not None:
                current = {
                    "name": before.name,
                    "parent": before.parent.code if before.parent is not None else None,
                    "schedule": before.schedule,
                    "is_active": before.is_active,
                }
                if _same_schedule(before.schedule, wanted["schedule"], ctx.tz):
                    wanted["schedule"] = before.schedule
            changed = _changed(current, wanted)
            obj.name, obj.schedule, obj.is_active = wanted["name"], wanted["schedule"], wanted["is_active"]
            obj.parent = by_code[wanted["parent"]] if wanted["parent"] else None
            if changed:
                updates.append(obj)
                ctx.record(self.key, d.code, "update" if before else "create", changed, obj)
        update_objects(updates, ["name", "parent", "schedule", "is_active"])

    def apply_links(self, ctx: ImportContext) -> None:
        depts: list[_Dept] = ctx.parsed[self.key]
        usernames = {u for d in depts for u in d.links.values() if u}
        people = {p.username: p for p in Person.objects.filter(username__in=usernames)}
        stored = {
            d.code: d
            for d in Department.objects.filter(code__in=[x.code for x in depts]).select_related(
                "head", "liaison", "deputy_liaison"
            )
        }
        changes = {(c.section, c.key): c for c in ctx.changes if c.section == self.key}
        updates = []
        for d in depts:
            obj = stored[d.code]
            changed: dict[str, list[Any]] = {}
            for link, username in d.links.items():
                current = getattr(obj, link)
                if (current.username if current else None) != username:
                    changed[link] = [current.username if current else None, username]
                    setattr(obj, link, people[username] if username else None)
            if not changed:
                continue
            updates.append(obj)
            if (self.key, d.code) in changes:
                changes[(self.key, d.code)].fields.update(changed)
            else:
                ctx.record(self.key, d.code, "update", changed, obj)
        update_objects(updates, list(self.LINKS))

    def export(self, ctx: ExportContext) -> Any:
        org = Organization.objects.filter(pk=1).first()
        tz = org.timezone if org else "Asia/Shanghai"
        rows = list(Department.objects.select_related("parent", "head", "liaison", "deputy_liaison").order_by("code"))
        out = []
        for d in _tree_order(rows):
            item: dict[str, Any] = {"code": d.code, "name": d.name}
            if d.parent:
                item["parent"] = d.parent.code
            for link in self.LINKS:
                person = getattr(d, link)
                if person is not None:
                    item[link] = person.username
            if d.schedule is not None:
                item["schedule"] = export_schedule(d.schedule, tz, ctx)
            if not d.is_active:
                item["active"] = False
            out.append(item)
        return out


def _tree_order(rows: list[Department]) -> list[Department]:
    """Departments with every parent before its children (depth first, siblings by code)."""
    children: dict[int | None, list[Department]] = {}
    for d in rows:
        children.setdefault(d.parent_id, []).append(d)
    ordered: list[Department] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        d = stack.pop()
        ordered.append(d)
        stack.extend(reversed(children.get(d.pk, [])))
    return ordered


class PeopleSection(SectionHandler):
    key = "people"
    order = 30
    FIELDS = ("name", "department", "email", "title", "level", "is_admin", "is_coordinator", "is_active")

    def read(self, ctx: ImportContext, path: str, value: Any) -> None:
        r = ctx.reader
        ctx.load_existing("member", _member_usernames)
        people = []
        for item_path, item in r.items(path, value):
            obj = r.mapping(
                item_path,
                item,
                required=("username", "name", "department"),
                optional=("email", "title", "level", "roles", "active"),
            )
            if obj is None:
                continue
            username = r.username(f"{item_path}.username", obj.get("username"))
            email = r.text(f"{item_path}.email", obj.get("email"), max_length=254) or ""
            if email:
                try:
                    validate_email(email)
                except ValidationError:
                    ctx.error(f"{item_path}.email", _("“{email}” is not an e-mail address").format(email=email))
            roles = r.text_list(f"{item_path}.roles", obj.get("roles"))
            for i, role in enumerate(roles):
                r.choice(f"{item_path}.roles[{i}]", role, ROLES)
                if roles.index(role) != i:
                    ctx.error(f"{item_path}.roles[{i}]", _("the role “{role}” is listed twice").format(role=role))
            values = {
                "name": r.text(f"{item_path}.name", obj.get("name"), max_length=100, required=True),
                "department": r.code(f"{item_path}.department", obj.get("department")),
                "email": email,
                "title": r.text(f"{item_path}.title", obj.get("title"), max_length=100) or "",
                "level": r.choice(f"{item_path}.level", obj.get("level", "staff"), LEVELS),
                "is_admin": "admin" in roles,
                "is_coordinator": "coordinator" in roles,
                "is_active": (r.boolean(f"{item_path}.active", obj["active"]) if "active" in obj else True)
                is not False,
            }
            if username is None or not ctx.declare("member", username, f"{item_path}.username", label=_("username")):
                continue
            people.append((item_path, username, values))
        ctx.parsed[self.key] = people

    def check(self, ctx: ImportContext) -> None:
        ctx.load_existing("department", _department_codes)
        actor = ctx.actor
        for item_path, username, values in ctx.parsed[self.key]:
            code = values["department"]
            if code is not None and not ctx.exists("department", code):
                ctx.error(f"{item_path}.department", _("no department has the code “{code}”").format(code=code))
            # As in person_update: the importing administrator must not lock themself out.
            if (
                actor is not None
                and username == actor.username
                and (not values["is_active"] or (actor.is_admin and not values["is_admin"]))
            ):
                ctx.error(item_path, _("You cannot deactivate yourself or remove your own administrator role."))

    def apply(self, ctx: ImportContext) -> None:
        people = ctx.parsed[self.key]
        departments = dict(Department.objects.values_list("code", "pk"))
        existing = {
            p.username: p
            for p in Person.objects.filter(username__in=[u for _p, u, _v in people]).select_related("department")
        }
        created, updated = [], []
        for _path, username, values in people:
            wanted = {**values, "department": values["department"]}
            person = existing.get(username)
            if person is None:
                # What set_unusable_password() stores ("!" and 40 random characters), a hundred times
                # faster for a large import: one call to the system's random source per person.
                person = Person(username=username, password=UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20))
                current: dict[str, Any] = {}
                created.append(person)
            else:
                current = {f: getattr(person, f) for f in self.FIELDS if f != "department"}
                current["department"] = person.department.code if person.department else None
            changed = _changed(current, wanted)
            if not changed:
                continue
            for field in self.FIELDS:
                if field == "department":
                    person.department_id = departments[values["department"]]
                else:
                    setattr(person, field, values[field])
            if person.pk:
                updated.append(person)
            ctx.record(self.key, username, "update" if person.pk else "create", changed, person)
        insert_objects(created, assign_pks=True)
        update_objects(updated, list(self.FIELDS))

    def export(self, ctx: ExportContext) -> Any:
        out = []
        for p in Person.objects.filter(department__isnull=False).select_related("department").order_by("pk"):
            assert p.department is not None  # filtered above
            item: dict[str, Any] = {"username": p.username, "name": p.name, "department": p.department.code}
            if p.title:
                item["title"] = p.title
            if p.level != Person.Level.STAFF:
                item["level"] = p.level
            if p.email:
                item["email"] = p.email
            if p.roles:
                item["roles"] = p.roles
            if not p.is_active:
                item["active"] = False
            out.append(item)
        return out


class CommitteesSection(SectionHandler):
    key = "committees"
    order = 40

    def read(self, ctx: ImportContext, path: str, value: Any) -> None:
        r = ctx.reader
        ctx.load_existing("committee", lambda: Committee.objects.values_list("code", flat=True))
        committees = []
        for item_path, item in r.items(path, value):
            obj = r.mapping(item_path, item, required=("code", "name", "members"), optional=("chair",))
            if obj is None:
                continue
            code = r.code(f"{item_path}.code", obj.get("code"))
            members: list[str] = []
            problems_before = len(r.problems)
            for member_path, member in r.items(f"{item_path}.members", obj.get("members")):
                username = r.username(member_path, member)
                if username in members:
                    ctx.error(member_path, _("“{username}” is listed twice").format(username=username))
                elif username is not None:
                    members.append(username)
            if "members" in obj and not members and len(r.problems) == problems_before:
                ctx.error(f"{item_path}.members", _("a committee needs at least one member"))
            values = {
                "name": r.text(f"{item_path}.name", obj.get("name"), max_length=200, required=True),
                "chair": r.username(f"{item_path}.chair", obj["chair"]) if "chair" in obj else None,
                "members": members,
            }
            if code is None or not ctx.declare("committee", code, f"{item_path}.code", label=_("committee code")):
                continue
            committees.append((item_path, code, values))
        ctx.parsed[self.key] = committees

    def check(self, ctx: ImportContext) -> None:
        ctx.load_existing("member", _member_usernames)
        for item_path, _code, values in ctx.parsed[self.key]:
            if values["chair"] and not ctx.exists("member", values["chair"]):
                ctx.error(
                    f"{item_path}.chair",
                    _("“{username}” is not a person of the organization").format(username=values["chair"]),
                )
            for i, username in enumerate(values["members"]):
                if not ctx.exists("member", username):
                    ctx.error(
                        f"{item_path}.members[{i}]",
                        _("“{username}” is not a person of the organization").format(username=username),
                    )

    def apply(self, ctx: ImportContext) -> None:
        committees = ctx.parsed[self.key]
        usernames = {u for _p, _c, v in committees for u in [*v["members"], v["chair"]] if u}
        people = {p.username: p for p in Person.objects.filter(username__in=usernames)}
        existing = {
            c.code: c
            for c in Committee.objects.filter(code__in=[c for _p, c, _v in committees])
            .select_related("chair")
            .prefetch_related("members")
        }
        for _path, code, values in committees:
            committee = existing.get(code)
            current: dict[str, Any] = {}
            if committee is not None:
                current = {
                    "name": committee.name,
                    "chair": committee.chair.username if committee.chair else None,
                    "members": sorted(m.username for m in committee.members.all()),
                }
            wanted = {**values, "members": sorted(values["members"])}
            changed = _changed(current, wanted)
            if not changed:
                continue
            if committee is None:
                committee = Committee(code=code)
            committee.name = values["name"]
            committee.chair = people[values["chair"]] if values["chair"] else None
            action = "update" if committee.pk else "create"
            committee.save()
            committee.members.set([people[u] for u in values["members"]])
            ctx.record(self.key, code, action, changed, committee)

    def export(self, ctx: ExportContext) -> Any:
        out = []
        for c in Committee.objects.select_related("chair").prefetch_related("members").order_by("code"):
            item: dict[str, Any] = {"code": c.code, "name": c.name}
            if c.chair:
                item["chair"] = c.chair.username
            item["members"] = sorted(m.username for m in c.members.all())
            out.append(item)
        return out


for _handler in (OrganizationSection(), DepartmentsSection(), PeopleSection(), CommitteesSection()):
    register(_handler)
