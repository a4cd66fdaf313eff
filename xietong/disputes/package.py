"""The disputes app's sections of the package: ``escalation_ladders`` and ``records.disputes``.

Ladders are identified by code. When any ladder exists exactly one is the default: a file that
makes a ladder the default un-defaults the stored one; a file that makes none keeps the stored
default. A ladder used by disputes keeps its levels as ``services.ladder_level_rule`` says.

Disputes are identified by ``ref``. A record is replayed on its ladder and the organization's
schedule (metrics.md, "Dispute figures"): a record with any ``auto_escalate`` is complete up to its
last escalation event and derivation applies from that event on, otherwise from ``opened_at``; an
escalation due strictly before an event happens before it (an event at the very instant of a due
instant is taken first), and after the last event escalations are derived up to now, as the
escalation engine would have recorded them. Import records the derived escalations as
``auto_escalate`` events at their instants (history: nobody is notified), so the stored timeline is
complete; export writes every automatic escalation, and maps the application's own kinds onto the
format's: a proposal or a confirmation is a ``comment`` with its text, a decision's reasoning a
``comment`` and the decision the ``resolve``. A re-import that gives the same record changes
nothing.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Min, Prefetch
from django.utils.translation import gettext as _

from xietong.common import clock
from xietong.common.worktime import Schedule, ScheduleError
from xietong.disputes.models import Dispute, DisputeEvent, EscalationLadder, LadderLevel, Proposal
from xietong.disputes.services import check_time_limit, handler_text, ladder_level_rule, levels_added, parse_handler
from xietong.org.models import Committee, Department, Organization, Person
from xietong.org.selectors import build_schedule, organization_get
from xietong.packages.registry import ExportContext, ImportContext, SectionHandler, register
from xietong.search.services import search_index_on_commit

LADDER_REQUIRED = ("code", "name", "levels")
LADDER_OPTIONAL = ("default",)
LEVEL_REQUIRED = ("name", "handler", "time_limit")
DISPUTE_REQUIRED = ("ref", "title", "parties", "opened_at")
DISPUTE_OPTIONAL = ("description", "raised_by", "ladder", "events")
EVENT_REQUIRED = ("at", "type")
EVENT_OPTIONAL = ("by", "note")
EVENT_TYPES = ("escalate", "auto_escalate", "resolve", "withdraw", "comment")
ESCALATIONS = ("escalate", "auto_escalate")
CHUNK = 1000


def _when(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat()


def _organization_tz() -> ZoneInfo:
    org = organization_get()
    return ZoneInfo(org.timezone if org else "Asia/Shanghai")


def _changed(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [current.get(k), v] for k, v in wanted.items() if current.get(k) != v}


# --- escalation_ladders -----------------------------------------------------------------------------


@dataclasses.dataclass
class _Level:
    path: str
    name: str | None
    handler: str | None  # as written, checked
    kind: str | None
    target: str | None
    time_limit: str | None  # canonical


@dataclasses.dataclass
class _Ladder:
    path: str
    code: str
    name: str | None
    default: bool
    levels: list[_Level]


class EscalationLaddersSection(SectionHandler):
    key = "escalation_ladders"
    order = 55

    def read(self, ctx: ImportContext, path: str, value: Any) -> None:
        r = ctx.reader
        ctx.load_existing("ladder", lambda: EscalationLadder.objects.values_list("code", flat=True))
        ladders: list[_Ladder] = []
        for item_path, item in r.items(path, value):
            obj = r.mapping(item_path, item, required=LADDER_REQUIRED, optional=LADDER_OPTIONAL)
            if obj is None:
                continue
            code = r.code(f"{item_path}.code", obj["code"]) if "code" in obj else None
            name = r.text(f"{item_path}.name", obj.get("name"), max_length=200, required=True)
            default = r.boolean(f"{item_path}.default", obj["default"]) if "default" in obj else False
            levels: list[_Level] = []
            for level_path, level_item in r.items(f"{item_path}.levels", obj.get("levels")):
                level = r.mapping(level_path, level_item, required=LEVEL_REQUIRED)
                if level is None:
                    continue
                levels.append(self._read_level(ctx, level_path, level))
            if isinstance(obj.get("levels"), list) and not obj["levels"]:
                ctx.error(f"{item_path}.levels", _("list at least one level"))
            if code is None or not ctx.declare("ladder", code, f"{item_path}.code", label=_("ladder code")):
                continue
            ladders.append(_Ladder(item_path, code, name, bool(default), levels))
        ctx.parsed[self.key] = ladders

    def _read_level(self, ctx: ImportContext, path: str, obj: dict[str, Any]) -> _Level:
        r = ctx.reader
        name = r.text(f"{path}.name", obj.get("name"), max_length=200, required=True)
        handler = r.text(f"{path}.handler", obj.get("handler"), required=True)
        kind = target = None
        if handler is not None:
            try:
                kind, target = parse_handler(handler)
            except ValueError as exc:
                ctx.error(f"{path}.handler", str(exc))
                handler = None
        time_limit = None
        limit_text = r.text(f"{path}.time_limit", obj.get("time_limit"), required=True)
        if limit_text is not None:
            try:
                time_limit = check_time_limit(limit_text)
            except ValueError as exc:
                ctx.error(f"{path}.time_limit", str(exc))
        return _Level(path, name, handler, kind, target, time_limit)

    def check(self, ctx: ImportContext) -> None:
        ctx.load_existing("department", lambda: Department.objects.values_list("code", flat=True))
        ctx.load_existing(
            "member", lambda: Person.objects.filter(department__isnull=False).values_list("username", flat=True)
        )
        ctx.load_existing("committee", lambda: Committee.objects.values_list("code", flat=True))
        ladders: list[_Ladder] = ctx.parsed[self.key]
        for ladder in ladders:
            for level in ladder.levels:
                if level.kind is None or level.target is None:
                    continue
                kind_of = {"department_head": "department", "person": "member", "committee": "committee"}[level.kind]
                if not ctx.exists(kind_of, level.target):
                    message = {
                        "department": _("no department has the code “{target}”"),
                        "member": _("“{target}” is not a person of the organization"),
                        "committee": _("no committee has the code “{target}”"),
                    }[kind_of]
                    ctx.error(f"{level.path}.handler", message.format(target=level.target))
        defaults = [ladder for ladder in ladders if ladder.default]
        for extra in defaults[1:]:
            ctx.error(
                f"{extra.path}.default",
                _("only one ladder is the default; “{first}” already is").format(first=defaults[0].code),
            )
        in_file = {ladder.code for ladder in ladders}
        if not defaults and ladders:
            stored = EscalationLadder.objects.filter(is_default=True).exclude(code__in=in_file).exists()
            if not stored:
                ctx.error(self.key, _("exactly one ladder must have “default: true”"))
        stored_ladders = {ladder.code: ladder for ladder in EscalationLadder.objects.filter(code__in=in_file)}
        for ladder in ladders:
            current = stored_ladders.get(ladder.code)
            if current is not None:
                refusal = ladder_level_rule(current, len(ladder.levels))
                if refusal is not None:
                    ctx.error(f"{ladder.path}.levels", refusal)

    def apply(self, ctx: ImportContext) -> None:
        ladders: list[_Ladder] = ctx.parsed[self.key]
        # Only the handlers the levels name (a large organization has 100,000 people).
        targets = {
            kind: {s.target for lad in ladders for s in lad.levels if s.kind == kind and s.target}
            for kind in ("department_head", "person", "committee")
        }
        departments = {d.code: d for d in Department.objects.filter(code__in=targets["department_head"])}
        people = {
            p.username: p for p in Person.objects.filter(department__isnull=False, username__in=targets["person"])
        }
        committees = {c.code: c for c in Committee.objects.filter(code__in=targets["committee"])}
        stored = {
            ladder.code: ladder
            for ladder in EscalationLadder.objects.filter(
                code__in=[ladder.code for ladder in ladders]
            ).prefetch_related(
                Prefetch("levels", queryset=LadderLevel.objects.select_related("department", "person", "committee"))
            )
        }
        default = next((ladder.code for ladder in ladders if ladder.default), None)
        if default is not None:
            EscalationLadder.objects.filter(is_default=True).exclude(code=default).update(is_default=False)
        else:  # the file makes none the default: its ladders are not
            EscalationLadder.objects.filter(is_default=True, code__in=[ladder.code for ladder in ladders]).update(
                is_default=False
            )
        for data in ladders:
            ladder = stored.get(data.code)
            wanted = {
                "name": data.name,
                "default": data.default,
                "levels": [f"{lv.name} | {lv.handler} | {lv.time_limit}" for lv in data.levels],
            }
            current: dict[str, Any] = {}
            if ladder is not None:
                current = {
                    "name": ladder.name,
                    "default": ladder.is_default,
                    "levels": [f"{lv.name} | {handler_text(lv)} | {lv.time_limit}" for lv in ladder.levels.all()],
                }
            changed = _changed(current, wanted)
            if ladder is not None and not changed:
                continue
            action = "update" if ladder is not None else "create"
            if ladder is None:
                ladder = EscalationLadder(code=data.code)
            ladder.name, ladder.is_default = data.name or "", data.default
            ladder.save()
            levels = {lv.number: lv for lv in ladder.levels.all()} if action == "update" else {}
            for number, spec in enumerate(data.levels, start=1):
                level = levels.pop(number, None) or LadderLevel(ladder=ladder, number=number)
                level.name, level.time_limit = spec.name or "", spec.time_limit or ""
                level.handler_kind = spec.kind or LadderLevel.Handler.HEADS_OF_PARTIES
                level.department = departments[spec.target] if spec.kind == "department_head" and spec.target else None
                level.person = people[spec.target] if spec.kind == "person" and spec.target else None
                level.committee = committees[spec.target] if spec.kind == "committee" and spec.target else None
                level.save()
            LadderLevel.objects.filter(pk__in=[lv.pk for lv in levels.values()]).delete()
            levels_added(ladder, len(data.levels))
            if changed:
                ctx.record(self.key, data.code, action, changed, ladder)

    def export(self, ctx: ExportContext) -> Any:
        levels = LadderLevel.objects.select_related("department", "person", "committee").order_by("number")
        out = []
        for ladder in EscalationLadder.objects.prefetch_related(Prefetch("levels", queryset=levels)).order_by("code"):
            item: dict[str, Any] = {"code": ladder.code, "name": ladder.name}
            if ladder.is_default:
                item["default"] = True
            item["levels"] = [
                {"name": lv.name, "handler": handler_text(lv), "time_limit": lv.time_limit}
                for lv in ladder.levels.all()
            ]
            out.append(item)
        return out or None


# --- records.disputes ---------------------------------------------------------------------------------


@dataclasses.dataclass
class _Event:
    path: str
    at: datetime | None
    type: str | None
    by: str | None
    note: str


@dataclasses.dataclass
class _Replayed:
    """A record replayed on its ladder: the events to store, and the state it ends in."""

    events: list[tuple[str, datetime, str | None, int, str]]  # (kind, at, by, level after, note)
    state: str
    closed_at: datetime | None
    outcome: str
    level: int
    entered: datetime
    due: datetime


@dataclasses.dataclass
class _Dispute:
    path: str
    ref: str
    title: str | None
    description: str
    parties: list[tuple[str, str]]  # (path, code)
    raised_by: str | None
    ladder: str | None
    opened_at: datetime | None
    events: list[_Event]
    ladder_code: str | None = None  # resolved by check()
    replayed: _Replayed | None = None


def replay(
    opened_at: datetime,
    events: list[tuple[str, datetime, str | None, str]],
    limits: list[str],
    schedule: Schedule,
    *,
    now: datetime,
) -> tuple[_Replayed | None, int | None]:
    """Replay a record's ``events`` (type, at, by, note), in time order, on a ladder with these level
    time limits (metrics.md). Returns the result, or (None, index of the escalation that would leave
    the last level)."""
    count = len(limits)
    level, entered = 1, opened_at
    due = schedule.due(opened_at, limits[0])
    has_auto = any(kind == "auto_escalate" for kind, _at, _by, _note in events)
    last_escalation = max((i for i, (kind, *_rest) in enumerate(events) if kind in ESCALATIONS), default=-1)
    derive = not has_auto
    out: list[tuple[str, datetime, str | None, int, str]] = []
    state, closed_at, outcome = Dispute.State.OPEN.value, None, ""

    def derive_before(limit: datetime) -> None:
        nonlocal level, entered, due
        while level < count and due < limit:
            level += 1
            entered = due
            due = schedule.due(entered, limits[level - 1])
            out.append((DisputeEvent.Kind.AUTO_ESCALATE.value, entered, None, level, ""))

    for index, (kind, at, by, note) in enumerate(events):
        if derive:
            derive_before(at)
        if kind in ESCALATIONS:
            if level >= count:
                return None, index
            level += 1
            entered = at
            due = schedule.due(at, limits[level - 1])
            out.append((kind, at, by, level, note if kind == "escalate" else ""))
        elif kind in ("resolve", "withdraw"):
            state = Dispute.State.RESOLVED.value if kind == "resolve" else Dispute.State.WITHDRAWN.value
            closed_at, outcome = at, note
            out.append((kind, at, by, level, note))
        else:
            out.append((DisputeEvent.Kind.COMMENT.value, at, by, level, note))
        if index == last_escalation:
            derive = True
    if state == Dispute.State.OPEN and derive:
        derive_before(now)
    return _Replayed(out, state, closed_at, outcome, level, entered, due), None


def exported_events(events: list[DisputeEvent]) -> list[tuple[str, datetime, str | None, str]]:
    """The stored timeline as the format writes it: (type, at, by, note); the actors loaded."""
    out: list[tuple[str, datetime, str | None, str]] = []
    kinds = DisputeEvent.Kind
    for event in events:
        by = event.actor.username if event.actor is not None else None
        if event.kind in (kinds.RAISED, kinds.OVERDUE):
            continue
        if event.kind in (kinds.PROPOSE, kinds.CONFIRM, kinds.DECIDE, kinds.COMMENT):
            out.append(("comment", event.at, by, event.note))
        elif event.kind == kinds.AUTO_ESCALATE:
            out.append(("auto_escalate", event.at, None, ""))
        else:  # escalate, resolve, withdraw
            out.append((str(event.kind), event.at, by, event.note))
    return out


def _export_item(kind: str, at: datetime, by: str | None, note: str, tz: ZoneInfo) -> dict[str, Any]:
    item: dict[str, Any] = {"at": _when(at, tz), "type": kind}
    if by:
        item["by"] = by
    if note:
        item["note"] = note
    return item


class _Ladders:
    """The ladders a dispute record may name, as this import leaves them: the file's, else stored."""

    def __init__(self, ctx: ImportContext) -> None:
        self.limits: dict[str, list[str]] = {}
        for code, limit in LadderLevel.objects.order_by("ladder__code", "number").values_list(
            "ladder__code", "time_limit"
        ):
            self.limits.setdefault(code, []).append(limit)
        self.default = EscalationLadder.objects.filter(is_default=True).values_list("code", flat=True).first()
        file_ladders: list[_Ladder] = ctx.parsed.get("escalation_ladders") or []
        for ladder in file_ladders:
            self.limits[ladder.code] = [lv.time_limit or "1d" for lv in ladder.levels]
        file_default = next((ladder.code for ladder in file_ladders if ladder.default), None)
        if file_default is not None:
            self.default = file_default
        elif self.default in {ladder.code for ladder in file_ladders}:
            self.default = None


def _import_schedule(ctx: ImportContext) -> Schedule | None:
    """The organization's schedule as this import leaves it (None when the file's is broken)."""
    org = ctx.parsed.get("organization")
    if "organization" in ctx.parsed:
        spec = org.get("schedule") if org is not None else None
        if spec is None:
            return None  # the organization section reported its problem
    else:
        spec = Organization.objects.filter(pk=1).values_list("schedule", flat=True).first()
    try:
        return build_schedule(spec, ctx.tz.key)
    except (ScheduleError, ValueError):
        return None


class DisputesSection(SectionHandler):
    key = "records.disputes"
    order = 65

    def read(self, ctx: ImportContext, path: str, value: Any) -> None:
        r = ctx.reader
        disputes: list[_Dispute] = []
        for item_path, item in r.items(path, value):
            obj = r.mapping(item_path, item, required=DISPUTE_REQUIRED, optional=DISPUTE_OPTIONAL)
            if obj is None:
                continue
            ref = r.code(f"{item_path}.ref", obj["ref"]) if "ref" in obj else None
            title = r.text(f"{item_path}.title", obj.get("title"), max_length=200, required=True)
            description = r.text(f"{item_path}.description", obj.get("description")) or ""
            parties: list[tuple[str, str]] = []
            for party_path, party in r.items(f"{item_path}.parties", obj.get("parties")):
                code = r.code(party_path, party)
                if code is None:
                    continue
                if code in (c for _p, c in parties):
                    ctx.error(party_path, _("“{code}” is listed twice").format(code=code))
                    continue
                parties.append((party_path, code))
            if isinstance(obj.get("parties"), list) and len(obj["parties"]) < 2:
                ctx.error(f"{item_path}.parties", _("a dispute is between two or more departments"))
            raised_by = r.username(f"{item_path}.raised_by", obj["raised_by"]) if "raised_by" in obj else None
            ladder = r.code(f"{item_path}.ladder", obj["ladder"]) if "ladder" in obj else None
            opened_at = r.datetime(f"{item_path}.opened_at", obj.get("opened_at"), tz=ctx.tz)
            events = self._read_events(ctx, f"{item_path}.events", obj.get("events"), opened_at)
            if ref is None:
                continue
            if not ctx.declare("dispute", ref, f"{item_path}.ref", label=_("dispute reference")):
                continue
            disputes.append(_Dispute(item_path, ref, title, description, parties, raised_by, ladder, opened_at, events))
        ctx.parsed[self.key] = disputes

    def _read_events(self, ctx: ImportContext, path: str, value: Any, opened_at: datetime | None) -> list[_Event]:
        r = ctx.reader
        tz = ctx.tz
        events: list[_Event] = []
        previous: datetime | None = None
        closing: _Event | None = None
        for event_path, item in r.items(path, value):
            obj = r.mapping(event_path, item, required=EVENT_REQUIRED, optional=EVENT_OPTIONAL)
            if obj is None:
                continue
            event = _Event(
                event_path,
                r.datetime(f"{event_path}.at", obj.get("at"), tz=tz),
                r.choice(f"{event_path}.type", obj["type"], EVENT_TYPES) if "type" in obj else None,
                r.username(f"{event_path}.by", obj["by"]) if "by" in obj else None,
                r.text(f"{event_path}.note", obj.get("note")) or "",
            )
            if closing is not None:
                ctx.error(
                    event_path,
                    _("no event follows a “{type}” (at {at})").format(type=closing.type, at=closing.path),
                )
            if event.at is not None:
                if opened_at is not None and event.at < opened_at:
                    ctx.error(
                        f"{event_path}.at",
                        _("this event is before the dispute was opened ({opened_at})").format(
                            opened_at=_when(opened_at, tz)
                        ),
                    )
                if previous is not None and event.at < previous:
                    ctx.error(
                        f"{event_path}.at",
                        _("the events are listed in time order: this one is before the previous one ({at})").format(
                            at=_when(previous, tz)
                        ),
                    )
                previous = event.at
            if event.type in ("resolve", "withdraw") and closing is None:
                closing = event
            events.append(event)
        return events

    def check(self, ctx: ImportContext) -> None:
        ctx.load_existing("department", lambda: Department.objects.values_list("code", flat=True))
        ctx.load_existing(
            "member", lambda: Person.objects.filter(department__isnull=False).values_list("username", flat=True)
        )
        ctx.load_existing("ladder", lambda: EscalationLadder.objects.values_list("code", flat=True))
        disputes: list[_Dispute] = ctx.parsed[self.key]
        ladders = _Ladders(ctx)
        schedule = _import_schedule(ctx)
        now = clock.now()
        for record in disputes:
            for party_path, code in record.parties:
                if not ctx.exists("department", code):
                    ctx.error(party_path, _("no department has the code “{code}”").format(code=code))
            people = [(f"{record.path}.raised_by", record.raised_by)]
            people += [(f"{event.path}.by", event.by) for event in record.events]
            for person_path, username in people:
                if username is not None and not ctx.exists("member", username):
                    ctx.error(
                        person_path, _("“{username}” is not a person of the organization").format(username=username)
                    )
            if record.ladder is not None:
                if not ctx.exists("ladder", record.ladder):
                    ctx.error(
                        f"{record.path}.ladder",
                        _("no escalation ladder has the code “{code}”").format(code=record.ladder),
                    )
                    continue
                record.ladder_code = record.ladder
            elif ladders.default is None:
                ctx.error(record.path, _("there is no default escalation ladder: give “ladder”, or define ladders"))
                continue
            else:
                record.ladder_code = ladders.default
            limits = ladders.limits.get(record.ladder_code or "", [])
            complete = all(e.at is not None and e.type is not None for e in record.events)
            if schedule is None or record.opened_at is None or not limits or not complete:
                continue  # another problem is reported
            try:
                replayed, too_far = replay(
                    record.opened_at,
                    [(e.type or "", e.at, e.by, e.note) for e in record.events if e.at is not None],
                    limits,
                    schedule,
                    now=now,
                )
            except ValueError as exc:
                ctx.error(f"{record.path}.opened_at", str(exc))
                continue
            if too_far is not None:
                ctx.error(
                    f"{record.events[too_far].path}.type",
                    _(
                        "this escalation would leave the last level ({count}) of the ladder “{ladder}”: the dispute is "
                        "already there (counting the automatic escalations before it)"
                    ).format(count=len(limits), ladder=record.ladder_code),
                )
                continue
            record.replayed = replayed

    def apply(self, ctx: ImportContext) -> None:
        """Write the records that differ from the stored ones, in bulk (a fixed number of queries per
        thousand records): the disputes, their parties and their replayed timelines."""
        disputes: list[_Dispute] = ctx.parsed[self.key]
        departments = dict(Department.objects.values_list("code", "pk"))
        usernames = {d.raised_by for d in disputes} | {e.by for d in disputes for e in d.events}
        people = {p.username: p for p in Person.objects.filter(username__in=[u for u in usernames if u])}
        ladders = {ladder.code: ladder for ladder in EscalationLadder.objects.all()}
        level_counts = dict(
            LadderLevel.objects.order_by()
            .values("ladder__code")
            .annotate(n=Count("pk"))
            .values_list("ladder__code", "n")
        )
        existing = _stored(sorted(d.ref for d in disputes))
        now = clock.now()
        tz = ctx.tz
        plans: list[tuple[_Dispute, Dispute, bool]] = []  # (record, dispute, overdue)
        for record in disputes:
            replayed = record.replayed
            assert replayed is not None  # checked
            assert record.opened_at is not None
            ladder = ladders[record.ladder_code or ""]
            wanted = {
                "title": record.title or "",
                "description": record.description,
                "parties": sorted(code for _p, code in record.parties),
                "raised_by": record.raised_by,
                "ladder": ladder.code,
                "opened_at": _when(record.opened_at, tz),
                "events": [
                    [kind, _when(at, tz), by, note] for kind, at, by, note in exported_events_of_replay(replayed)
                ],
            }
            dispute = existing.get(record.ref)
            if dispute is not None:
                current = {
                    "title": dispute.title,
                    "description": dispute.description,
                    "parties": sorted(d.code for d in dispute.parties.all()),
                    "raised_by": dispute.raised_by.username if dispute.raised_by else None,
                    "ladder": dispute.ladder.code,
                    "opened_at": _when(dispute.opened_at, tz),
                    "events": [[k, _when(a, tz), b, n] for k, a, b, n in exported_events(list(dispute.events.all()))],
                }
                changed = _changed(current, wanted)
                if not changed:
                    continue
            else:
                dispute = Dispute(ref=record.ref)
                changed = {k: [None, v] for k, v in wanted.items() if v not in (None, "", [])}
            last_level = replayed.level >= level_counts.get(ladder.code, 0)
            dispute.title, dispute.description = record.title or "", record.description
            dispute.raised_by = people.get(record.raised_by) if record.raised_by else None
            dispute.ladder, dispute.opened_at = ladder, record.opened_at
            dispute.state, dispute.closed_at, dispute.outcome = replayed.state, replayed.closed_at, replayed.outcome
            dispute.level, dispute.level_entered_at, dispute.due_at = replayed.level, replayed.entered, replayed.due
            # history needs no notice: a last level already past its due instant is taken as notified
            overdue = replayed.state == Dispute.State.OPEN and last_level and replayed.due < now
            dispute.overdue_notified_at = (dispute.overdue_notified_at or now) if overdue else None
            dispute.updated_at = now
            ctx.record(self.key, record.ref, "update" if dispute.pk else "create", changed, dispute)
            plans.append((record, dispute, overdue))
        stored = [dispute for _r, dispute, _o in plans if dispute.pk is not None]
        fields = [
            "title",
            "description",
            "raised_by",
            "ladder",
            "opened_at",
            "state",
            "closed_at",
            "outcome",
            "level",
            "level_entered_at",
            "due_at",
            "overdue_notified_at",
            "updated_at",
        ]
        Dispute.objects.bulk_update(stored, fields, batch_size=CHUNK)
        stored_ids = [dispute.pk for dispute in stored]
        for start in range(0, len(stored_ids), CHUNK):  # their parties and timelines are written anew
            chunk = stored_ids[start : start + CHUNK]
            DisputeEvent.objects.filter(dispute__in=chunk).delete()
            Proposal.objects.filter(dispute__in=chunk).delete()
            Dispute.parties.through.objects.filter(dispute__in=chunk).delete()
        Dispute.objects.bulk_create([dispute for _r, dispute, _o in plans if dispute.pk is None], batch_size=CHUNK)
        through = Dispute.parties.through
        through.objects.bulk_create(
            [
                through(dispute_id=dispute.pk, department_id=departments[code])
                for record, dispute, _o in plans
                for _p, code in record.parties
            ],
            batch_size=CHUNK,
        )
        rows: list[DisputeEvent] = []
        for record, dispute, overdue in plans:
            replayed = record.replayed
            assert replayed is not None
            assert record.opened_at is not None
            rows.append(
                DisputeEvent(
                    dispute=dispute,
                    kind=DisputeEvent.Kind.RAISED,
                    at=record.opened_at,
                    actor=dispute.raised_by,
                    level=1,
                    note=record.description,
                )
            )
            rows += [
                DisputeEvent(
                    dispute=dispute, kind=kind, at=at, actor=people.get(by) if by else None, level=level, note=note
                )
                for kind, at, by, level, note in replayed.events
            ]
            if overdue:
                rows.append(
                    DisputeEvent(dispute=dispute, kind=DisputeEvent.Kind.OVERDUE, at=replayed.due, level=replayed.level)
                )
        DisputeEvent.objects.bulk_create(rows, batch_size=CHUNK)
        if plans:
            search_index_on_commit("dispute", [dispute.pk for _r, dispute, _o in plans])

    def earliest_date(self) -> date | None:
        first = Dispute.objects.aggregate(first=Min("opened_at"))["first"]
        return None if first is None else first.astimezone(_organization_tz()).date()

    def export(self, ctx: ExportContext) -> Any:
        tz = _organization_tz()
        events = DisputeEvent.objects.select_related("actor").order_by("at", "pk")
        disputes = (
            Dispute.objects.select_related("ladder", "raised_by")
            .prefetch_related("parties", Prefetch("events", queryset=events))
            .order_by("opened_at", "ref")
        )
        out = []
        for dispute in disputes:
            item: dict[str, Any] = {"ref": dispute.ref, "title": dispute.title}
            if dispute.description:
                item["description"] = dispute.description
            item["parties"] = sorted(d.code for d in dispute.parties.all())
            if dispute.raised_by is not None:
                item["raised_by"] = dispute.raised_by.username
            item["ladder"] = dispute.ladder.code
            item["opened_at"] = _when(dispute.opened_at, tz)
            timeline = [_export_item(*event, tz) for event in exported_events(list(dispute.events.all()))]
            if timeline:
                item["events"] = timeline
            out.append(item)
        return out or None


def exported_events_of_replay(replayed: _Replayed) -> list[tuple[str, datetime, str | None, str]]:
    """A replayed record's events as export would write them back."""
    return [
        (kind, at, None if kind == "auto_escalate" else by, "" if kind == "auto_escalate" else note)
        for kind, at, by, _level, note in replayed.events
    ]


def _stored(refs: list[str]) -> dict[str, Dispute]:
    events = DisputeEvent.objects.select_related("actor").order_by("at", "pk")
    found: dict[str, Dispute] = {}
    for start in range(0, len(refs), CHUNK):
        for dispute in (
            Dispute.objects.filter(ref__in=refs[start : start + CHUNK])
            .select_related("ladder", "raised_by")
            .prefetch_related("parties", Prefetch("events", queryset=events))
        ):
            found[dispute.ref] = dispute
    return found


for _handler in (EscalationLaddersSection(), DisputesSection()):
    register(_handler)
