"""The notices app's section of the package: ``records.notices`` (package-format.md).

A notice is identified by its ``ref``; a re-import updates it in place (a notice withdrawn in the
application stays withdrawn). Without ``recipients``, the recipients are the people of the file (or,
when the file has no ``people``, the stored people) who belong to the audience's departments or their
sub-departments, the author included when in them. A recipient's department for the read rate is
the one the import leaves them in. The due instant is computed on the organization's schedule as the
import leaves it, and kept: a re-import with the same ``published_at`` and ``ack_within`` keeps it.
Export writes every published or withdrawn notice (drafts and scheduled notices are not history yet),
always with ``recipients``.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Min, Prefetch
from django.utils.translation import gettext as _

from xietong.common import clock
from xietong.common.bulk import insert_objects, instance_factory, update_objects
from xietong.common.worktime import parse_duration
from xietong.notices.models import ACK_WITHIN_DEFAULT, Notice, NoticeRecipient
from xietong.notices.services import deadlines
from xietong.org.models import Department, Organization, Person
from xietong.org.selectors import build_schedule, organization_get
from xietong.packages.document import Problem
from xietong.packages.importer import ImportFailed
from xietong.packages.registry import ExportContext, ImportContext, SectionHandler, register

REQUIRED = ("ref", "title", "published_at", "audience")
OPTIONAL = ("body", "author", "recipients", "requires_ack", "ack_within", "acks")
ACK_KEYS = ("user", "at")
CHUNK = 1000


def _when(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat()


def _member_usernames() -> list[str]:
    return list(Person.objects.filter(department__isnull=False).values_list("username", flat=True))


def _department_codes() -> list[str]:
    return list(Department.objects.values_list("code", flat=True))


@dataclasses.dataclass
class _Ack:
    path: str
    user: str
    at: datetime


@dataclasses.dataclass
class _Notice:
    path: str
    ref: str
    title: str
    body: str
    author: str | None
    published_at: datetime | None
    audience: list[tuple[str, str]] | None  # (path, department code); None for "all"
    recipients: list[tuple[str, str]] | None  # (path, username) as given; None to derive
    requires_ack: bool
    ack_within: str
    acks: list[_Ack]
    derived: list[str] | None = None  # set by check() when recipients are derived

    def recipient_names(self) -> list[str]:
        if self.recipients is not None:
            return [username for _path, username in self.recipients]
        return self.derived or []


_new_recipient = instance_factory(NoticeRecipient)


class NoticesSection(SectionHandler):
    key = "records.notices"
    order = 70

    def read(self, ctx: ImportContext, path: str, value: Any) -> None:
        r = ctx.reader
        notices: list[_Notice] = []
        for item_path, item in r.items(path, value):
            obj = r.mapping(item_path, item, required=REQUIRED, optional=OPTIONAL)
            if obj is None:
                continue
            ref = r.text(f"{item_path}.ref", obj["ref"], max_length=64, required=True) if "ref" in obj else None
            title = r.text(f"{item_path}.title", obj.get("title"), max_length=200, required="title" in obj)
            body = r.text(f"{item_path}.body", obj.get("body"), max_length=20_000) or ""
            author = r.username(f"{item_path}.author", obj["author"]) if "author" in obj else None
            published_at = r.datetime(f"{item_path}.published_at", obj.get("published_at"), tz=ctx.tz)
            audience = self._read_audience(ctx, f"{item_path}.audience", obj.get("audience"))
            recipients = self._read_recipients(ctx, f"{item_path}.recipients", obj.get("recipients"))
            requires_ack = (
                r.boolean(f"{item_path}.requires_ack", obj["requires_ack"]) if "requires_ack" in obj else False
            )
            ack_within = self._read_ack_within(ctx, f"{item_path}.ack_within", obj.get("ack_within"))
            acks = self._read_acks(ctx, f"{item_path}.acks", obj.get("acks"), published_at)
            if acks and requires_ack is False:
                ctx.error(f"{item_path}.acks", _("only a notice with “requires_ack: true” is acknowledged"))
            if ref is None or title is None or audience is False:
                continue
            if not ctx.declare("notice", ref, f"{item_path}.ref", label=_("notice reference")):
                continue
            notices.append(
                _Notice(
                    item_path,
                    ref,
                    title,
                    body,
                    author,
                    published_at,
                    audience,  # type: ignore[arg-type]  # False was ruled out above
                    recipients,
                    requires_ack is True,
                    ack_within or ACK_WITHIN_DEFAULT,
                    acks,
                )
            )
        ctx.parsed[self.key] = notices

    def _read_audience(self, ctx: ImportContext, path: str, value: Any) -> list[tuple[str, str]] | bool | None:
        """None for everyone, the department codes, or False after a problem."""
        r = ctx.reader
        if value is None:
            return False  # the mapping reported the missing key
        if isinstance(value, str):
            if value == "all":
                return None
            ctx.error(path, _("write “all” or a list of department codes"))
            return False
        items = r.items(path, value)
        if not items and isinstance(value, list):
            ctx.error(path, _("list at least one department, or write “all”"))
            return False
        codes: list[tuple[str, str]] = []
        for code_path, item in items:
            code = r.code(code_path, item)
            if code is None:
                continue
            if code in [c for _p, c in codes]:
                ctx.error(code_path, _("“{code}” is listed twice").format(code=code))
                continue
            codes.append((code_path, code))
        return codes if items else False

    def _read_recipients(self, ctx: ImportContext, path: str, value: Any) -> list[tuple[str, str]] | None:
        if value is None:
            return None
        found: list[tuple[str, str]] = []
        seen: set[str] = set()
        for user_path, item in ctx.reader.items(path, value):
            username = ctx.reader.username(user_path, item)
            if username is None:
                continue
            if username in seen:
                ctx.error(user_path, _("“{username}” is listed twice").format(username=username))
                continue
            seen.add(username)
            found.append((user_path, username))
        return found

    def _read_ack_within(self, ctx: ImportContext, path: str, value: Any) -> str | None:
        if value is None:
            return None
        text = ctx.reader.text(path, value)
        if text is None:
            return None
        try:
            duration = parse_duration(text)
        except ValueError as exc:
            ctx.error(path, str(exc))
            return None
        canonical = str(duration)
        if len(canonical) > 16:
            ctx.error(path, _("“{text}” is too long for a duration").format(text=text))
            return None
        return canonical

    def _read_acks(self, ctx: ImportContext, path: str, value: Any, published_at: datetime | None) -> list[_Ack]:
        r = ctx.reader
        acks: list[_Ack] = []
        first: dict[str, str] = {}
        for ack_path, item in r.items(path, value):
            obj = r.mapping(ack_path, item, required=ACK_KEYS)
            if obj is None:
                continue
            user = r.username(f"{ack_path}.user", obj["user"]) if "user" in obj else None
            at = r.datetime(f"{ack_path}.at", obj.get("at"), tz=ctx.tz)
            if user is None or at is None:
                continue
            if user in first:
                ctx.error(
                    f"{ack_path}.user",
                    _("“{username}” acknowledges only once (first at {first})").format(
                        username=user, first=first[user]
                    ),
                )
                continue
            first[user] = ack_path
            if published_at is not None and at < published_at:
                ctx.error(
                    f"{ack_path}.at",
                    _("acknowledged before the notice was published ({published_at})").format(
                        published_at=_when(published_at, ctx.tz)
                    ),
                )
                continue
            acks.append(_Ack(ack_path, user, at))
        return acks

    # -- check --------------------------------------------------------------------------------------

    def check(self, ctx: ImportContext) -> None:
        ctx.load_existing("member", _member_usernames)
        ctx.load_existing("department", _department_codes)
        notices: list[_Notice] = ctx.parsed[self.key]
        people, parents = self._file_people_and_tree(ctx)
        for notice in notices:
            if notice.author is not None and not ctx.exists("member", notice.author):
                ctx.error(
                    f"{notice.path}.author",
                    _("“{username}” is not a person of the organization").format(username=notice.author),
                )
            audience_ok = True
            for code_path, code in notice.audience or []:
                if not ctx.exists("department", code):
                    ctx.error(code_path, _("no department has the code “{code}”").format(code=code))
                    audience_ok = False
            for user_path, username in notice.recipients or []:
                if not ctx.exists("member", username):
                    ctx.error(
                        user_path, _("“{username}” is not a person of the organization").format(username=username)
                    )
            if notice.recipients is None:
                if not audience_ok:
                    continue
                notice.derived = self._derive(notice, people, parents)
            recipients = set(notice.recipient_names())
            for ack in notice.acks:
                if ack.user not in recipients:
                    ctx.error(
                        f"{ack.path}.user",
                        _("“{username}” is not a recipient of this notice: only recipients acknowledge").format(
                            username=ack.user
                        ),
                    )

    @staticmethod
    def _file_people_and_tree(ctx: ImportContext) -> tuple[list[tuple[str, str | None]], dict[str, str | None]]:
        """(username, department code) of the file's people (the stored ones when the file has no
        ``people``), and each department's parent code (the stored tree overlaid by the file's)."""
        parents: dict[str, str | None] = dict(Department.objects.values_list("code", "parent__code"))
        for dept in ctx.parsed.get("departments") or []:
            parents[dept.code] = dept.values.get("parent")
        if "people" in ctx.parsed:
            people = [(username, values.get("department")) for _p, username, values in ctx.parsed["people"] or []]
        else:
            people = list(
                Person.objects.filter(department__isnull=False)
                .order_by("username")
                .values_list("username", "department__code")
            )
        return people, parents

    @staticmethod
    def _derive(notice: _Notice, people: list[tuple[str, str | None]], parents: dict[str, str | None]) -> list[str]:
        if notice.audience is None:
            return [username for username, code in people if code is not None]
        roots = {code for _path, code in notice.audience}

        def in_audience(code: str | None) -> bool:
            seen: set[str] = set()
            while code is not None and code not in seen:
                if code in roots:
                    return True
                seen.add(code)
                code = parents.get(code)
            return False

        return [username for username, code in people if in_audience(code)]

    # -- apply --------------------------------------------------------------------------------------

    def apply(self, ctx: ImportContext) -> None:
        notices: list[_Notice] = ctx.parsed[self.key]
        if not notices:
            return
        org = Organization.objects.filter(pk=1).first()
        schedule = build_schedule(org.schedule if org else {}, org.timezone if org else ctx.tz.key)
        usernames = {n.author for n in notices if n.author} | {u for n in notices for u in n.recipient_names()}
        people: dict[str, tuple[int, int | None]] = {}
        names = sorted(usernames)
        for start in range(0, len(names), CHUNK):
            for username, pk, dept in Person.objects.filter(username__in=names[start : start + CHUNK]).values_list(
                "username", "pk", "department_id"
            ):
                people[username] = (pk, dept)
        departments = dict(Department.objects.values_list("code", "pk"))
        stored = _stored_notices(sorted(n.ref for n in notices))
        now = clock.now()
        for data in notices:
            assert data.published_at is not None  # read: a problem otherwise
            notice = stored.get(data.ref)
            due_at = remind_at = None
            if data.requires_ack:
                if (
                    notice is not None
                    and notice.due_at is not None
                    and notice.published_at == data.published_at
                    and notice.ack_within == data.ack_within
                ):
                    due_at, remind_at = notice.due_at, notice.remind_at
                else:
                    try:
                        due_at, remind_at = deadlines(data.published_at, data.ack_within, schedule)
                    except ValueError as exc:
                        path = f"{data.path}.ack_within"
                        raise ImportFailed([Problem(path, str(exc), ctx.reader.doc.line(path))]) from exc
            wanted = {
                "title": data.title,
                "body": data.body,
                "author": data.author,
                "published_at": data.published_at,
                "audience": "all" if data.audience is None else sorted(code for _p, code in data.audience),
                "requires_ack": data.requires_ack,
                "ack_within": data.ack_within,
            }
            acks = {ack.user: ack.at for ack in data.acks}
            wanted_recipients = sorted(
                [username, _when(acks[username], ctx.tz) if username in acks else None]
                for username in data.recipient_names()
            )
            if notice is None:
                notice = Notice(ref=data.ref, state=Notice.State.PUBLISHED)
                changed: dict[str, list[Any]] = {"ref": [None, data.ref]}
                changed.update({k: [None, v] for k, v in wanted.items() if v not in (None, "")})
                changed["recipients"] = [None, wanted_recipients]
                stored_rows: list[NoticeRecipient] = []
            else:
                stored_rows = list(notice.recipients.all())
                current = {
                    "title": notice.title,
                    "body": notice.body,
                    "author": notice.author.username if notice.author else None,
                    "published_at": notice.published_at,
                    "audience": "all"
                    if notice.audience_all
                    else sorted(d.code for d in notice.audience_departments.all()),
                    "requires_ack": notice.requires_ack,
                    "ack_within": notice.ack_within,
                }
                changed = {k: [current.get(k), v] for k, v in wanted.items() if current.get(k) != v}
                current_recipients = sorted(
                    [row.person.username, _when(row.acknowledged_at, ctx.tz) if row.acknowledged_at else None]
                    for row in stored_rows
                )
                if current_recipients != wanted_recipients:
                    changed["recipients"] = [current_recipients, wanted_recipients]
                if not changed and notice.due_at == due_at:
                    continue
            notice.title, notice.body = data.title, data.body
            notice.author_id = people[data.author][0] if data.author else None
            notice.published_at = data.published_at
            notice.audience_all = data.audience is None
            notice.requires_ack, notice.ack_within = data.requires_ack, data.ack_within
            notice.due_at, notice.remind_at = due_at, remind_at
            if notice.state != Notice.State.WITHDRAWN:
                notice.state = Notice.State.PUBLISHED
            notice.publish_at = None
            # History needs no reminders: a deadline already past at import counts as followed up.
            if due_at is not None and due_at <= now:
                notice.reminded_at = notice.reminded_at or now
                notice.late_notified_at = notice.late_notified_at or now
            notice.updated_at = now
            is_new = notice.pk is None
            notice.save()
            ctx.record(self.key, data.ref, "create" if is_new else "update", changed, notice)
            audience_ids = [departments[code] for _p, code in data.audience or []]
            notice.audience_departments.set(audience_ids)
            self._replace_recipients(notice, stored_rows, data, acks, people)

    @staticmethod
    def _replace_recipients(
        notice: Notice,
        stored_rows: list[NoticeRecipient],
        data: _Notice,
        acks: dict[str, datetime],
        people: dict[str, tuple[int, int | None]],
    ) -> None:
        """Keep the stored row of each recipient still listed (its read mark stays), update its
        acknowledgement; add the new recipients; remove those no longer listed."""
        by_person = {row.person_id: row for row in stored_rows}
        created, updated = [], []
        for username in data.recipient_names():
            pk, dept = people[username]
            at = acks.get(username)
            row = by_person.pop(pk, None)
            if row is None:
                created.append(
                    _new_recipient(
                        notice_id=notice.pk, person_id=pk, department_id=dept, acknowledged_at=at, read_at=at
                    )
                )
            elif row.acknowledged_at != at:
                row.acknowledged_at = at
                if at is not None and (row.read_at is None or row.read_at > at):
                    row.read_at = at
                updated.append(row)
        NoticeRecipient.objects.filter(pk__in=[row.pk for row in by_person.values()]).delete()
        update_objects(updated, ["acknowledged_at", "read_at"])
        insert_objects(created)

    # -- export -------------------------------------------------------------------------------------

    def earliest_date(self) -> date | None:
        first = Notice.objects.filter(published_at__isnull=False).aggregate(first=Min("published_at"))["first"]
        if first is None:
            return None
        return first.astimezone(_organization_tz()).date()

    def export(self, ctx: ExportContext) -> Any:
        tz = _organization_tz()
        rows = NoticeRecipient.objects.select_related("person").order_by("person__username")
        notices = (
            Notice.objects.filter(published_at__isnull=False)
            .select_related("author")
            .prefetch_related("audience_departments", Prefetch("recipients", queryset=rows))
            .order_by("published_at", "ref")
        )
        out = []
        for notice in notices:
            assert notice.published_at is not None
            item: dict[str, Any] = {"ref": notice.ref, "title": notice.title}
            if notice.body:
                item["body"] = notice.body
            if notice.author is not None:
                item["author"] = notice.author.username
            item["published_at"] = _when(notice.published_at, tz)
            item["audience"] = (
                "all" if notice.audience_all else sorted(d.code for d in notice.audience_departments.all())
            )
            recipients = list(notice.recipients.all())
            item["recipients"] = [row.person.username for row in recipients]
            item["requires_ack"] = notice.requires_ack
            if notice.requires_ack:
                item["ack_within"] = notice.ack_within
                acks = sorted(
                    ((row.acknowledged_at, row.person.username) for row in recipients if row.acknowledged_at),
                    key=lambda pair: (pair[0], pair[1]),
                )
                if acks:
                    item["acks"] = [{"user": user, "at": _when(at, tz)} for at, user in acks]
            out.append(item)
        return out or None


def _stored_notices(refs: list[str]) -> dict[str, Notice]:
    rows = NoticeRecipient.objects.select_related("person")
    found: dict[str, Notice] = {}
    for start in range(0, len(refs), CHUNK):
        for notice in (
            Notice.objects.filter(ref__in=refs[start : start + CHUNK])
            .select_related("author")
            .prefetch_related("audience_departments", Prefetch("recipients", queryset=rows))
        ):
            found[notice.ref] = notice
    return found


def _organization_tz() -> ZoneInfo:
    org = organization_get()
    return ZoneInfo(org.timezone if org else "Asia/Shanghai")


register(NoticesSection())
