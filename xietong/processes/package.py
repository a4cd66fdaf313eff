"""The processes app's sections of the package: ``processes`` and ``records.cases``.

A process's steps are versioned: a published version never changes. An import publishes the
file's steps as a new version when they differ from the stored current one (package-format.md,
``processes``), creates the older versions the file lists that are not stored yet, and refuses
anything that would change a published version. Cases are identified by (process, ref); a
re-import replaces a case's step runs when they differ. Due instants that the file does not give
are computed on the responsible department's schedule as the import leaves it (metrics.md).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Min, Prefetch, Q
from django.utils.translation import gettext as _

from xietong.common import clock
from xietong.common.bulk import insert_objects, instance_factory, update_objects
from xietong.common.worktime import Schedule, parse_duration
from xietong.org.models import Department, Organization, Person
from xietong.org.selectors import DepartmentTree, build_schedule, nearest_schedule_spec, organization_get
from xietong.packages.document import Problem
from xietong.packages.importer import ImportFailed
from xietong.packages.registry import ExportContext, ImportContext, SectionHandler, register
from xietong.processes import selectors
from xietong.processes.models import Case, Process, ProcessVersion, Step, StepRun

PROCESS_REQUIRED = ("code", "name", "steps")
PROCESS_OPTIONAL = ("description", "owner", "version", "previous_versions")
STEP_REQUIRED = ("code", "name", "responsible", "time_limit")
STEP_OPTIONAL = ("cooperating", "inputs", "outputs")
CASE_REQUIRED = ("process", "ref", "opened_at", "steps")
CASE_OPTIONAL = ("title", "version")
RUN_REQUIRED = ("step", "started_at")
RUN_OPTIONAL = ("completed_at", "due_at", "assignee")
CHUNK = 1000  # refs per query when reading stored cases
TIME_LIMIT_LENGTH = Step._meta.get_field("time_limit").max_length or 16
# The longest working day there is (24 hours): a time limit that fits in a timedelta on it fits on any schedule.
_LONGEST_DAY = Schedule(
    working_hours=((0, 24 * 60),), days="all", holidays=frozenset(), workdays=frozenset(), tz=ZoneInfo("UTC")
)


# --- reading helpers --------------------------------------------------------------------------------------


def _department_codes() -> list[str]:
    return list(Department.objects.values_list("code", flat=True))


def _member_usernames() -> list[str]:
    """People of the organization: they have a department (a superuser made on the command line has none)."""
    return list(Person.objects.filter(department__isnull=False).values_list("username", flat=True))


def _process_codes() -> list[str]:
    return list(Process.objects.values_list("code", flat=True))


def _canonical_limit(text: str) -> str:
    """A time limit as canonical text (``2.0d`` → ``2d``), or as stored when it does not parse."""
    try:
        return str(parse_duration(text))
    except ValueError:
        return text


_new_run = instance_factory(StepRun)
_new_case = instance_factory(Case)


def _when(moment: datetime, tz: ZoneInfo) -> str:
    """An instant as messages and export write it: ISO 8601 in the organization's timezone."""
    return moment.astimezone(tz).isoformat()


def _changed(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [current.get(k), v] for k, v in wanted.items() if current.get(k) != v}


def _read_time_limit(ctx: ImportContext, path: str, value: Any) -> str | None:
    """A step's time limit as canonical text, or None with the problem recorded."""
    if value is None:
        return None  # the mapping reported the missing key
    text = ctx.reader.text(path, value)
    if text is None:
        return None
    try:
        duration = parse_duration(text)
        duration.to_timedelta(_LONGEST_DAY)  # refuses a limit too long to compute with
    except ValueError as exc:
        ctx.error(path, str(exc))
        return None
    canonical = str(duration)
    if len(canonical) > TIME_LIMIT_LENGTH:
        ctx.error(
            path,
            _("“{text}” is too long for a time limit (at most {length} characters)").format(
                text=text, length=TIME_LIMIT_LENGTH
            ),
        )
        return None
    return canonical


# --- processes -------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Step:
    path: str
    code: str | None
    name: str | None
    responsible: str | None
    cooperating: list[tuple[str, str]]  # (path, department code)
    inputs: list[str]
    outputs: list[str]
    time_limit: str | None  # canonical text

    def signature(self) -> tuple[Any, ...]:
        """What "the same step" compares (cooperating as a set, the time limit as canonical text)."""
        return (
            self.code,
            self.name,
            self.responsible,
            frozenset(code for _path, code in self.cooperating),
            tuple(self.inputs),
            tuple(self.outputs),
            self.time_limit,
        )


def _stored_signature(step: Step) -> tuple[Any, ...]:
    return (
        step.code,
        step.name,
        step.responsible.code,
        frozenset(d.code for d in step.cooperating.all()),
        tuple(step.inputs),
        tuple(step.outputs),
        _canonical_limit(step.time_limit),
    )


@dataclasses.dataclass
class _Version:
    path: str  # where a problem with the version as a whole is reported
    number: int | None  # None: the current steps of a process given without ``version``
    steps: list[_Step]
    valid: bool  # every step was read without a problem

    def signature(self) -> list[tuple[Any, ...]]:
        return [s.signature() for s in self.steps]


@dataclasses.dataclass
class _Process:
    path: str
    code: str
    values: dict[str, Any]  # name, description, owner (department code or None)
    current: _Version
    previous: list[_Version]
    # Set by check():
    number: int | None = None  # the current version after this import (None when it cannot be known)
    stored: int | None = None  # the stored current version before it
    publish: list[_Version] = dataclasses.field(default_factory=list)  # the versions this import creates

    def versions(self) -> list[_Version]:
        return [self.current, *self.previous]

    def step_codes(self, number: int) -> list[str | None] | None:
        """The step codes of version ``number`` as the file gives them, or None if it does not."""
        if number == self.number:
            return [s.code for s in self.current.steps]
        for version in self.previous:
            if version.number == number:
                return [s.code for s in version.steps]
        return None


def _read_steps(ctx: ImportContext, path: str, value: Any) -> _Version:
    """An ordered, non-empty list of steps (its ``path`` and ``number`` are set by the caller)."""
    r = ctx.reader
    problems = len(r.problems)
    steps: list[_Step] = []
    first_paths: dict[str, str] = {}
    for step_path, item in r.items(path, value):
        obj = r.mapping(step_path, item, required=STEP_REQUIRED, optional=STEP_OPTIONAL)
        if obj is None:
            continue
        code = r.code(f"{step_path}.code", obj["code"]) if "code" in obj else None
        name = r.text(f"{step_path}.name", obj["name"], max_length=200, required=True) if "name" in obj else None
        responsible = r.code(f"{step_path}.responsible", obj["responsible"]) if "responsible" in obj else None
        cooperating: list[tuple[str, str]] = []
        for coop_path, coop in r.items(f"{step_path}.cooperating", obj.get("cooperating")):
            department = r.code(coop_path, coop)
            if department is None:
                continue
            if department == responsible:
                ctx.error(
                    coop_path,
                    _("“{code}” is the responsible department of this step; it cannot also be cooperating").format(
                        code=department
                    ),
                )
            elif department in (c for _p, c in cooperating):
                ctx.error(coop_path, _("“{code}” is listed twice").format(code=department))
            else:
                cooperating.append((coop_path, department))
        inputs = r.text_list(f"{step_path}.inputs", obj.get("inputs"))
        outputs = r.text_list(f"{step_path}.outputs", obj.get("outputs"))
        time_limit = _read_time_limit(ctx, f"{step_path}.time_limit", obj.get("time_limit"))
        if code is not None:
            first = first_paths.setdefault(code, f"{step_path}.code")
            if first != f"{step_path}.code":
                ctx.error(
                    f"{step_path}.code",
                    _("the step code “{code}” is used twice in these steps (first at {first})").format(
                        code=code, first=first
                    ),
                )
        steps.append(_Step(step_path, code, name, responsible, cooperating, inputs, outputs, time_limit))
    if isinstance(value, list) and not value:
        ctx.error(path, _("list at least one step"))
    return _Version(path, None, steps, valid=bool(steps) and len(r.problems) == problems)


class ProcessesSection(SectionHandler):
    key = "processes"
    order = 50

    def read(self, ctx: ImportContext, path: str, value: Any) -> None:
        r = ctx.reader
        ctx.load_existing("process", _process_codes)
        processes: list[_Process] = []
        for item_path, item in r.items(path, value):
            obj = r.mapping(item_path, item, required=PROCESS_REQUIRED, optional=PROCESS_OPTIONAL)
            if obj is None:
                continue
            code = r.code(f"{item_path}.code", obj["code"]) if "code" in obj else None
            values = {
                "name": r.text(f"{item_path}.name", obj["name"], max_length=200, required=True)
                if "name" in obj
                else None,
                "description": r.text(f"{item_path}.description", obj.get("description")) or "",
                "owner": r.code(f"{item_path}.owner", obj["owner"]) if "owner" in obj else None,
            }
            number = r.integer(f"{item_path}.version", obj["version"], minimum=1) if "version" in obj else None
            current = _read_steps(ctx, f"{item_path}.steps", obj.get("steps"))
            current.path, current.number = (f"{item_path}.version" if "version" in obj else item_path), number
            current.valid = current.valid and ("version" not in obj or number is not None)
            previous = self._read_previous(ctx, item_path, obj, number)
            if code is None or not ctx.declare("process", code, f"{item_path}.code", label=_("process code")):
                continue
            # A step code is unique in the file, except that the versions of one process share theirs.
            first_paths: dict[str, str] = {}
            for version in [current, *previous]:
                for step in version.steps:
                    if step.code is not None:
                        first_paths.setdefault(step.code, f"{step.path}.code")
            for step_code, step_path in first_paths.items():
                ctx.declare("step", step_code, step_path, label=_("step code"))
            processes.append(_Process(item_path, code, values, current, previous))
        ctx.parsed[self.key] = processes

    def _read_previous(
        self, ctx: ImportContext, item_path: str, obj: dict[str, Any], number: int | None
    ) -> list[_Version]:
        r = ctx.reader
        path = f"{item_path}.previous_versions"
        if "previous_versions" in obj and "version" not in obj:
            ctx.error(path, _("previous_versions needs the version number of the current steps: add “version”"))
        previous: list[_Version] = []
        first_paths: dict[int, str] = {}
        for prev_path, item in r.items(path, obj.get("previous_versions")):
            prev = r.mapping(prev_path, item, required=("version", "steps"))
            if prev is None:
                continue
            prev_number = r.integer(f"{prev_path}.version", prev["version"], minimum=1) if "version" in prev else None
            version = _read_steps(ctx, f"{prev_path}.steps", prev.get("steps"))
            version.path, version.number = f"{prev_path}.version", prev_number
            version.valid = version.valid and prev_number is not None
            if prev_number is not None:
                first = first_paths.setdefault(prev_number, version.path)
                if number is not None and prev_number >= number:
                    ctx.error(
                        version.path,
                        _("version {previous} is not lower than the process's version {version}").format(
                            previous=prev_number, version=number
                        ),
                    )
                    continue
                if first != version.path:
                    ctx.error(
                        version.path,
                        _("version {version} is listed twice (first at {first})").format(
                            version=prev_number, first=first
                        ),
                    )
                    continue
            previous.append(version)
        return previous

    def check(self, ctx: ImportContext) -> None:
        ctx.load_existing("department", _department_codes)
        processes: list[_Process] = ctx.parsed[self.key]
        for p in processes:
            owner = p.values["owner"]
            if owner is not None and not ctx.exists("department", owner):
                ctx.error(f"{p.path}.owner", _("no department has the code “{code}”").format(code=owner))
            for version in p.versions():
                for step in version.steps:
                    references = [(f"{step.path}.responsible", step.responsible), *step.cooperating]
                    for ref_path, code in references:
                        if code is not None and not ctx.exists("department", code):
                            ctx.error(ref_path, _("no department has the code “{code}”").format(code=code))
        self._check_step_codes_of_other_processes(ctx, processes)
        self._plan_versions(ctx, processes)

    def _check_step_codes_of_other_processes(self, ctx: ImportContext, processes: list[_Process]) -> None:
        """A step code the file gives one process must not be a stored step of another process
        (published versions keep their steps: the clash would stay, and export would write it)."""
        owners: dict[str, tuple[str, str]] = {}  # step code -> (process code, first path in the file)
        for p in processes:
            for version in p.versions():
                for step in version.steps:
                    if step.code is not None:
                        owners.setdefault(step.code, (p.code, f"{step.path}.code"))
        rows = (
            Step.objects.filter(code__in=list(owners))
            .values_list("code", "version__process__code")
            .order_by("code", "version__process__code")
            .distinct()
        )
        reported: set[str] = set()
        for step_code, process_code in rows:
            owner, path = owners[step_code]
            if process_code != owner and step_code not in reported:
                reported.add(step_code)
                ctx.error(
                    path,
                    _("the step code “{code}” is already used by the process “{process}”").format(
                        code=step_code, process=process_code
                    ),
                )

    def _plan_versions(self, ctx: ImportContext, processes: list[_Process]) -> None:
        """Decide, against the stored versions, which versions each process's import creates."""
        published: dict[str, dict[int, list[tuple[Any, ...]]]] = {}
        drafts: dict[str, int] = {}
        for stored in selectors.versions_with_steps(process_codes=[p.code for p in processes]):
            if stored.published_at is None:
                drafts[stored.process.code] = stored.number
            else:
                signature = [_stored_signature(step) for step in stored.steps.all()]
                published.setdefault(stored.process.code, {})[stored.number] = signature
        for p in processes:
            versions = published.get(p.code, {})
            p.stored = max(versions, default=None)
            self._plan_current(ctx, p, versions)
            for version in p.previous:
                if version.number is None:
                    continue
                if version.number not in versions:
                    p.publish.append(version)
                elif version.valid and version.signature() != versions[version.number]:
                    ctx.error(
                        version.path,
                        _(
                            "version {version} of the process “{code}” is already published with other steps; "
                            "a published version never changes"
                        ).format(version=version.number, code=p.code),
                    )
            draft = drafts.get(p.code)
            blocked = [v.number for v in p.publish if draft is not None and v.number is not None and v.number >= draft]
            if blocked:
                ctx.error(
                    p.current.path,
                    _(
                        "the process “{code}” has an unpublished draft (version {draft}); publish or discard it "
                        "before importing version {version}"
                    ).format(code=p.code, draft=draft, version=max(blocked)),
                )

    def _plan_current(self, ctx: ImportContext, p: _Process, versions: dict[int, list[tuple[Any, ...]]]) -> None:
        """The rules of package-format.md (processes) for the current steps."""
        current, stored = p.current, p.stored
        same = stored is not None and current.signature() == versions[stored]
        if current.number is None:  # publish the steps as the next version when they differ
            if stored is None:
                current.number = p.number = 1
                p.publish.append(current)
            elif current.valid:
                p.number = stored if same else stored + 1
                if not same:
                    current.number = p.number
                    p.publish.append(current)
            return
        wanted = current.number
        if stored is None or wanted > stored:
            p.number = wanted
            p.publish.append(current)
        elif wanted == stored:
            p.number = wanted
            if current.valid and not same:
                ctx.error(
                    current.path,
                    _(
                        "version {version} of the process “{code}” is already published with other steps, and a "
                        "published version never changes: give the next version, {next}, or leave out “version”"
                    ).format(version=wanted, code=p.code, next=stored + 1),
                )
        else:
            ctx.error(
                current.path,
                _(
                    "the process “{code}” is at version {stored}: import version {stored} with the same steps, "
                    "or a higher version"
                ).format(code=p.code, stored=stored),
            )

    def apply(self, ctx: ImportContext) -> None:
        processes: list[_Process] = ctx.parsed[self.key]
        departments = dict(Department.objects.values_list("code", "pk"))
        existing = {
            p.code: p for p in Process.objects.filter(code__in=[p.code for p in processes]).select_related("owner")
        }
        created = {
            p.code: Process(
                code=p.code,
                name=p.values["name"],
                description=p.values["description"],
                owner_id=departments[p.values["owner"]] if p.values["owner"] else None,
            )
            for p in processes
            if p.code not in existing
        }
        Process.objects.bulk_create(list(created.values()), batch_size=1000)
        now = clock.now()
        updated: list[Process] = []
        new_versions: list[tuple[_Version, ProcessVersion]] = []
        actor = ctx.actor if getattr(ctx.actor, "pk", None) else None
        for p in processes:
            before = existing.get(p.code)
            obj = before or created[p.code]
            changed: dict[str, list[Any]] = {}
            if before is not None:
                current = {
                    "name": before.name,
                    "description": before.description,
                    "owner": before.owner.code if before.owner else None,
                }
                changed = _changed(current, p.values)
                if changed:
                    obj.name, obj.description = p.values["name"], p.values["description"]
                    obj.owner_id = departments[p.values["owner"]] if p.values["owner"] else None
                    obj.updated_at = now
                    updated.append(obj)
            else:
                changed = {k: [None, v] for k, v in p.values.items() if v not in (None, "")}
            for version in p.publish:
                assert version.number is not None  # checked
                new_versions.append(
                    (version, ProcessVersion(process=obj, number=version.number, published_at=now, published_by=actor))
                )
            if p.number != p.stored:
                changed["version"] = [p.stored, p.number]
            older = sorted(v.number for v in p.publish if v is not p.current and v.number is not None)
            if older:
                changed["previous_versions"] = [None, older]
            if changed:
                ctx.record(self.key, p.code, "update" if before else "create", changed, obj)
        Process.objects.bulk_update(updated, ["name", "description", "owner", "updated_at"], batch_size=1000)
        ProcessVersion.objects.bulk_create([pv for _v, pv in new_versions], batch_size=1000)
        steps: list[tuple[_Step, Step]] = []
        for version, pv in new_versions:
            for position, step in enumerate(version.steps):
                assert step.code is not None  # the import stops before apply on any problem
                assert step.name is not None
                assert step.responsible is not None
                assert step.time_limit is not None
                steps.append(
                    (
                        step,
                        Step(
                            version=pv,
                            position=position,
                            code=step.code,
                            name=step.name,
                            responsible_id=departments[step.responsible],
                            inputs=step.inputs,
                            outputs=step.outputs,
                            time_limit=step.time_limit,
                        ),
                    )
                )
        Step.objects.bulk_create([s for _d, s in steps], batch_size=1000)
        through = Step.cooperating.through
        through.objects.bulk_create(
            [
                through(step_id=obj.pk, department_id=departments[code])
                for data, obj in steps
                for _path, code in data.cooperating
            ],
            batch_size=1000,
        )

    def export(self, ctx: ExportContext) -> Any:
        processes = list(Process.objects.select_related("owner").order_by("code"))
        current = selectors.current_versions()
        ran_on = Case.objects.order_by().values_list("version_id", flat=True).distinct()
        versions: dict[int, list[ProcessVersion]] = {}
        steps = Step.objects.select_related("responsible").prefetch_related("cooperating").order_by("position")
        for version in (
            ProcessVersion.objects.filter(published_at__isnull=False)
            .filter(Q(pk__in=[v.pk for v in current.values()]) | Q(pk__in=ran_on))
            .prefetch_related(Prefetch("steps", queryset=steps))
            .order_by("number")
        ):
            versions.setdefault(version.process_id, []).append(version)
        out = []
        for process in processes:
            latest = current.get(process.pk)
            if latest is None:
                continue  # only a draft: nothing published to write
            item: dict[str, Any] = {"code": process.code, "name": process.name}
            if process.description:
                item["description"] = process.description
            if process.owner is not None:
                item["owner"] = process.owner.code
            item["version"] = latest.number
            older = [v for v in versions.get(process.pk, []) if v.number < latest.number]
            item["steps"] = [
                _export_step(s) for s in next(v for v in versions[process.pk] if v.pk == latest.pk).steps.all()
            ]
            if older:
                item["previous_versions"] = [
                    {"version": v.number, "steps": [_export_step(s) for s in v.steps.all()]} for v in older
                ]
            out.append(item)
        return out or None


def _export_step(step: Step) -> dict[str, Any]:
    item: dict[str, Any] = {"code": step.code, "name": step.name, "responsible": step.responsible.code}
    cooperating = sorted(d.code for d in step.cooperating.all())
    if cooperating:
        item["cooperating"] = cooperating
    if step.inputs:
        item["inputs"] = list(step.inputs)
    if step.outputs:
        item["outputs"] = list(step.outputs)
    item["time_limit"] = step.time_limit
    return item


# --- records.cases ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Run:
    path: str
    step: str | None
    started_at: datetime | None
    completed_at: datetime | None
    due_at: datetime | None
    assignee: str | None


@dataclasses.dataclass
class _Case:
    path: str
    process: str
    ref: str
    title: str
    version: int | None  # as given
    opened_at: datetime | None
    runs: list[_Run]
    number: int | None = None  # the version the case ran on, set by check()


class _Schedules:
    """The schedule that times each department's steps (its own, else the nearest ancestor's, else the
    organization's), read from the database as this import leaves it: the org sections applied first.
    Not the org cache, which would be stale here and which a dry run must not fill."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.org_spec = Organization.objects.filter(pk=1).values_list("schedule", flat=True).first()
        self.tree: DepartmentTree = {
            pk: (parent, spec) for pk, parent, spec in Department.objects.values_list("pk", "parent_id", "schedule")
        }

        self._built: dict[int, Schedule] = {}
        self._limits: dict[tuple[int, str], tuple[Schedule, timedelta]] = {}

    def limit(self, department_id: int, time_limit: str) -> tuple[Schedule, timedelta]:
        """The department's schedule and ``time_limit`` as a length on it (``Schedule.due`` in two
        halves, so a large import parses and measures each step's limit once)."""
        key = (department_id, time_limit)
        found = self._limits.get(key)
        if found is None:
            schedule = self.for_department(department_id)
            found = self._limits[key] = (schedule, parse_duration(time_limit).to_timedelta(schedule))
        return found

    def for_department(self, department_id: int) -> Schedule:
        schedule = self._built.get(department_id)
        if schedule is None:
            spec = nearest_schedule_spec(self.tree, department_id)
            schedule = self._built[department_id] = build_schedule(self.org_spec if spec is None else spec, self.tz.key)
        return schedule


class CasesSection(SectionHandler):
    key = "records.cases"
    order = 60

    def read(self, ctx: ImportContext, path: str, value: Any) -> None:
        r = ctx.reader
        cases: list[_Case] = []
        for item_path, item in r.items(path, value):
            obj = r.mapping(item_path, item, required=CASE_REQUIRED, optional=CASE_OPTIONAL)
            if obj is None:
                continue
            process = r.code(f"{item_path}.process", obj["process"]) if "process" in obj else None
            ref = r.text(f"{item_path}.ref", obj["ref"], max_length=64, required=True) if "ref" in obj else None
            title = r.text(f"{item_path}.title", obj.get("title"), max_length=200) or ""
            number = r.integer(f"{item_path}.version", obj["version"], minimum=1) if "version" in obj else None
            opened_at = r.datetime(f"{item_path}.opened_at", obj.get("opened_at"), tz=ctx.tz)
            runs = self._read_runs(ctx, f"{item_path}.steps", obj.get("steps"), opened_at)
            if process is None or ref is None:
                continue
            if not ctx.declare(f"case:{process}", ref, f"{item_path}.ref", label=_("case reference")):
                continue
            cases.append(_Case(item_path, process, ref, title, number, opened_at, runs))
        ctx.parsed[self.key] = cases

    def _read_runs(self, ctx: ImportContext, path: str, value: Any, opened_at: datetime | None) -> list[_Run]:
        r = ctx.reader
        runs: list[_Run] = []
        items = r.items(path, value)
        for index, (run_path, item) in enumerate(items):
            obj = r.mapping(run_path, item, required=RUN_REQUIRED, optional=RUN_OPTIONAL)
            if obj is None:
                continue
            run = _Run(
                run_path,
                r.code(f"{run_path}.step", obj["step"]) if "step" in obj else None,
                r.datetime(f"{run_path}.started_at", obj.get("started_at"), tz=ctx.tz),
                r.datetime(f"{run_path}.completed_at", obj.get("completed_at"), tz=ctx.tz),
                r.datetime(f"{run_path}.due_at", obj.get("due_at"), tz=ctx.tz),
                r.username(f"{run_path}.assignee", obj["assignee"]) if "assignee" in obj else None,
            )
            self._check_times(ctx, run, index, runs[-1] if runs and index > 0 else None, opened_at)
            if index < len(items) - 1 and "completed_at" not in obj:
                ctx.error(
                    run_path,
                    _("only the last listed step may be still running: this step needs “completed_at”"),
                )
            runs.append(run)
        return runs

    def _check_times(
        self, ctx: ImportContext, run: _Run, index: int, previous: _Run | None, opened_at: datetime | None
    ) -> None:
        tz = ctx.tz
        started = run.started_at
        if started is None:
            return
        if index == 0 and opened_at is not None and started < opened_at:
            ctx.error(
                f"{run.path}.started_at",
                _("the first step starts before the case was opened ({opened_at})").format(
                    opened_at=_when(opened_at, tz)
                ),
            )
        if previous is not None and previous.completed_at is not None and started < previous.completed_at:
            ctx.error(
                f"{run.path}.started_at",
                _("this step starts before the previous step was completed ({completed_at})").format(
                    completed_at=_when(previous.completed_at, tz)
                ),
            )
        if run.completed_at is not None and run.completed_at < started:
            ctx.error(
                f"{run.path}.completed_at",
                _("this step is completed before it started ({started_at})").format(started_at=_when(started, tz)),
            )
        if run.due_at is not None and run.due_at < started:
            ctx.error(
                f"{run.path}.due_at",
                _("this step is due before it started ({started_at})").format(started_at=_when(started, tz)),
            )

    def check(self, ctx: ImportContext) -> None:
        ctx.load_existing("process", _process_codes)
        ctx.load_existing("member", _member_usernames)
        cases: list[_Case] = ctx.parsed[self.key]
        in_file: dict[str, _Process] = {p.code: p for p in ctx.parsed.get("processes") or []}
        stored = selectors.published_steps(process_codes={c.process for c in cases})
        stored_current: dict[str, int] = {}
        for process_code, stored_number in stored:
            stored_current[process_code] = max(stored_number, stored_current.get(process_code, 0))
        for case in cases:
            for run in case.runs:
                if run.assignee is not None and not ctx.exists("member", run.assignee):
                    ctx.error(
                        f"{run.path}.assignee",
                        _("“{username}” is not a person of the organization").format(username=run.assignee),
                    )
            if not ctx.exists("process", case.process):
                ctx.error(f"{case.path}.process", _("no process has the code “{code}”").format(code=case.process))
                continue
            process = in_file.get(case.process)
            number: int | None = case.version
            if number is None:
                number = process.number if process is not None else stored_current.get(case.process)
                if number is None:
                    if process is None:
                        ctx.error(
                            f"{case.path}.process",
                            _("the process “{code}” has no published version").format(code=case.process),
                        )
                    continue  # else the process has a problem of its own
            codes = process.step_codes(number) if process is not None else None
            if codes is None:
                codes = [s.code for s in stored.get((case.process, number), [])] or None
            if codes is None:
                ctx.error(
                    f"{case.path}.version",
                    _("the process “{code}” has no version {version}").format(code=case.process, version=number),
                )
                continue
            case.number = number
            self._check_steps(ctx, case, codes)

    def _check_steps(self, ctx: ImportContext, case: _Case, codes: list[str | None]) -> None:
        """The listed steps are the first steps of the version, in order, without gaps."""
        for index, run in enumerate(case.runs):
            if run.step is None:
                continue
            if run.step not in codes:
                ctx.error(
                    f"{run.path}.step",
                    _("“{step}” is not a step of version {version} of the process “{code}”").format(
                        step=run.step, version=case.number, code=case.process
                    ),
                )
            elif index >= len(codes):
                ctx.error(
                    f"{run.path}.step",
                    _("version {version} of the process “{code}” has only {count} steps").format(
                        version=case.number, code=case.process, count=len(codes)
                    ),
                )
            elif codes[index] != run.step:
                ctx.error(
                    f"{run.path}.step",
                    _(
                        "expected the step “{expected}” here: a case lists the first steps of its version in order, "
                        "without gaps"
                    ).format(expected=codes[index]),
                )

    def apply(self, ctx: ImportContext) -> None:
        cases: list[_Case] = ctx.parsed[self.key]
        process_codes = {c.process for c in cases}
        processes = {p.code: p for p in Process.objects.filter(code__in=process_codes)}
        steps = selectors.published_steps(process_codes=process_codes)
        assignees = {r.assignee for c in cases for r in c.runs if r.assignee}
        people = {p.username: p for p in Person.objects.filter(username__in=assignees)}
        existing = _stored_cases(process_codes, sorted({c.ref for c in cases}))
        schedules = _Schedules(ctx.tz)
        now = clock.now()
        plans: list[tuple[_Case, Case, list[StepRun], list[StepRun]]] = []  # (data, case, wanted runs, stored runs)
        for data in cases:
            assert data.number is not None  # checked
            assert data.opened_at is not None
            version_steps = steps[(data.process, data.number)]
            case = existing.get((data.process, data.ref))
            stored_runs = list(case.step_runs.all()) if case is not None else []
            runs = self._wanted_runs(ctx, data, version_steps, stored_runs, people, schedules, now)
            state, closed_at = Case.State.RUNNING.value, None
            if len(runs) == len(version_steps) and all(run.completed_at is not None for run in runs):
                state, closed_at = Case.State.COMPLETED.value, runs[-1].completed_at
            elif case is not None and case.state in (Case.State.ON_HOLD, Case.State.CANCELLED):
                state, closed_at = case.state, case.closed_at  # put on hold or cancelled in the application: kept
            wanted = {
                "title": data.title,
                "version": data.number,
                "opened_at": data.opened_at,
                "state": state,
                "closed_at": closed_at,
            }
            run_changes = _run_summary(stored_runs, ctx.tz), _run_summary(runs, ctx.tz)
            if case is None:
                process, version = processes[data.process], version_steps[0].version
                case = _new_case(
                    related={"process": process, "version": version},
                    process_id=process.pk,
                    ref=data.ref,
                    version_id=version.pk,
                )
                changed: dict[str, list[Any]] = {"process": [None, data.process], "ref": [None, data.ref]}
                changed.update({k: [None, v] for k, v in wanted.items() if v not in (None, "")})
                changed["steps"] = [None, run_changes[1]]
            else:
                current = {
                    "title": case.title,
                    "version": case.version.number,
                    "opened_at": case.opened_at,
                    "state": case.state,
                    "closed_at": case.closed_at,
                }
                changed = _changed(current, wanted)
                if run_changes[0] != run_changes[1]:
                    changed["steps"] = list(run_changes)
                if not changed:
                    continue
            case.title, case.opened_at, case.state, case.closed_at = data.title, data.opened_at, state, closed_at
            case.version = version_steps[0].version
            if state != Case.State.ON_HOLD:
                case.held_since = None
            case.updated_at = now
            plans.append((data, case, runs, stored_runs))
            ctx.record(self.key, f"{data.process} {data.ref}", "update" if case.pk else "create", changed, case)
        new = [case for _d, case, _r, _s in plans if case.pk is None]
        stored = [case for _d, case, _r, _s in plans if case.pk is not None]
        insert_objects(new, assign_pks=True)
        update_objects(stored, ["title", "version", "opened_at", "state", "closed_at", "held_since", "updated_at"])
        self._replace_runs(plans)

    def _wanted_runs(
        self,
        ctx: ImportContext,
        data: _Case,
        version_steps: list[Step],
        stored_runs: list[StepRun],
        people: dict[str, Person],
        schedules: _Schedules,
        now: datetime,
    ) -> list[StepRun]:
        stored_at = {run.position: run for run in stored_runs}
        runs = []
        for run, step in zip(data.runs, version_steps, strict=False):
            assert run.started_at is not None  # checked
            due_at = run.due_at
            old = stored_at.get(step.position)
            if due_at is None and old is not None and old.step_id == step.pk and old.started_at == run.started_at:
                due_at = old.due_at  # computed when it was first imported: a later schedule change does not move it
            if due_at is None:
                try:
                    schedule, limit = schedules.limit(step.responsible_id, step.time_limit)
                    due_at = schedule.add_working_time(run.started_at, limit)
                except ValueError as exc:
                    path = f"{run.path}.started_at"
                    raise ImportFailed([Problem(path, str(exc), ctx.reader.doc.line(path))]) from exc
            assignee = people[run.assignee] if run.assignee else None
            runs.append(
                _new_run(
                    related={"step": step, "assignee": assignee},
                    step_id=step.pk,
                    position=step.position,
                    responsible_id=step.responsible_id,
                    started_at=run.started_at,
                    due_at=due_at,
                    completed_at=run.completed_at,
                    assignee_id=assignee.pk if assignee else None,
                    # History needs no warnings: a deadline already past at import is taken as notified,
                    # so the SLA engine only speaks of what happens from now on.
                    warned_at=now if run.completed_at is None and due_at <= now else None,
                    overdue_notified_at=now if run.completed_at is None and due_at < now else None,
                )
            )
        return runs

    def _replace_runs(self, plans: list[tuple[_Case, Case, list[StepRun], list[StepRun]]]) -> None:
        """Write the wanted runs: a stored run of the same step at the same position is updated in place
        (its timeline events and notification claims stay with it); the others are replaced."""
        fields = ["started_at", "due_at", "completed_at", "assignee", "responsible", "warned_at", "overdue_notified_at"]
        created: list[StepRun] = []
        updated: list[StepRun] = []
        deleted: list[int] = []
        for _data, case, runs, stored_runs in plans:
            stored_at = {run.position: run for run in stored_runs}
            for run in runs:
                old = stored_at.pop(run.position, None)
                if old is not None and old.step_id == run.step_id:
                    if _run_key(old) != _run_key(run):
                        for field in ("warned_at", "overdue_notified_at"):  # a notice sent stays sent
                            setattr(old, field, getattr(old, field) or getattr(run, field))
                        for field in ("started_at", "due_at", "completed_at", "assignee_id", "responsible_id"):
                            setattr(old, field, getattr(run, field))
                        updated.append(old)
                    continue
                if old is not None:
                    deleted.append(old.pk)
                run.case_id = case.pk
                created.append(run)
            deleted.extend(run.pk for run in stored_at.values())
        StepRun.objects.filter(pk__in=deleted).delete()
        update_objects(updated, fields)
        insert_objects(created)  # nothing points to them yet: no ids needed back

    def earliest_date(self) -> date | None:
        first = Case.objects.aggregate(first=Min("opened_at"))["first"]
        if first is None:
            return None
        return first.astimezone(_organization_tz()).date()

    def export(self, ctx: ExportContext) -> Any:
        tz = _organization_tz()
        runs = StepRun.objects.select_related("step", "assignee").order_by("position")
        cases = (
            Case.objects.select_related("process", "version")
            .prefetch_related(Prefetch("step_runs", queryset=runs))
            .order_by("process__code", "opened_at", "ref")
        )
        out = []
        for case in cases:
            item: dict[str, Any] = {"process": case.process.code, "ref": case.ref}
            if case.title:
                item["title"] = case.title
            item["version"] = case.version.number
            item["opened_at"] = _when(case.opened_at, tz)
            steps = []
            for run in case.step_runs.all():
                step: dict[str, Any] = {"step": run.step.code, "started_at": _when(run.started_at, tz)}
                if run.completed_at is not None:
                    step["completed_at"] = _when(run.completed_at, tz)
                step["due_at"] = _when(run.due_at, tz)
                if run.assignee is not None:
                    step["assignee"] = run.assignee.username
                steps.append(step)
            item["steps"] = steps
            out.append(item)
        return out or None


def _stored_cases(process_codes: set[str], refs: list[str]) -> dict[tuple[str, str], Case]:
    """The stored cases of these processes with one of these refs, with their step runs (two queries
    per thousand refs: a file may carry far more refs than a database query takes parameters)."""
    runs = StepRun.objects.select_related("step", "assignee").order_by("position")
    found: dict[tuple[str, str], Case] = {}
    for start in range(0, len(refs), CHUNK):
        for case in (
            Case.objects.filter(process__code__in=process_codes, ref__in=refs[start : start + CHUNK])
            .select_related("process", "version")
            .prefetch_related(Prefetch("step_runs", queryset=runs))
        ):
            found[(case.process.code, case.ref)] = case
    return found


def _organization_tz() -> ZoneInfo:
    org = organization_get()
    return ZoneInfo(org.timezone if org else "Asia/Shanghai")


def _run_key(run: StepRun) -> tuple[Any, ...]:
    return (
        run.position,
        run.step_id,
        run.responsible_id,
        run.started_at,
        run.due_at,
        run.completed_at,
        run.assignee_id,
    )


def _run_summary(runs: list[StepRun], tz: ZoneInfo) -> list[list[Any]]:
    """Step runs as the audit trail shows them: [step, started_at, completed_at, due_at, assignee]
    (the runs come with their step and assignee loaded)."""
    return [
        [
            run.step.code,
            _when(run.started_at, tz),
            _when(run.completed_at, tz) if run.completed_at else None,
            _when(run.due_at, tz),
            run.assignee.username if run.assignee else None,
        ]
        for run in runs
    ]


for _handler in (ProcessesSection(), CasesSection()):
    register(_handler)
