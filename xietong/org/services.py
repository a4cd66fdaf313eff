"""Every write to the organization: departments, people, committees, the organization itself."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from xietong.audit.services import audit_record, creation_changes, diff_fields
from xietong.common.exceptions import ApplicationError
from xietong.common.worktime import Schedule, ScheduleError
from xietong.org.models import Committee, Department, Organization, Person
from xietong.org.selectors import clear_org_caches
from xietong.org.signals import send_org_changed

DEPARTMENT_FIELDS = ("code", "name", "parent", "head", "liaison", "deputy_liaison", "schedule", "is_active")
PERSON_FIELDS = ("username", "name", "email", "title", "level", "department", "is_admin", "is_coordinator", "is_active")


def _full_clean(obj: Any, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_constraints=True)
    except ValidationError as exc:
        raise ApplicationError(_("Please correct the errors below."), field_errors=exc.message_dict) from exc


def _check_schedule(spec: dict[str, Any] | None, tz: str, field: str = "schedule") -> dict[str, Any] | None:
    if spec is None:
        return None
    try:
        return Schedule.from_spec(spec, tz).to_spec()
    except ScheduleError as exc:
        raise ApplicationError(
            _("The schedule is not valid."),
            field_errors={field: [f"{path}: {msg}" if path else msg for path, msg in exc.errors]},
        ) from exc


def _org_timezone() -> str:
    org = Organization.objects.filter(pk=1).only("timezone").first()
    return org.timezone if org else "Asia/Shanghai"


def _check_department_rules(*, department: Department | None, values: dict[str, Any]) -> None:
    """No cycles in the tree; head and liaisons belong to the organization and are active."""
    errors: dict[str, list[Any]] = {}
    parent = values.get("parent")
    if parent is not None and department is not None and department.pk is not None:
        parents = dict(Department.objects.values_list("pk", "parent_id"))
        node: int | None = parent.pk
        while node is not None:
            if node == department.pk:
                errors["parent"] = [
                    _("“{parent}” is inside “{department}”: the tree would have a cycle.").format(
                        parent=parent.name, department=department.name
                    )
                ]
                break
            node = parents.get(node)
    if parent is not None and not parent.is_active and values.get("is_active", True):
        errors.setdefault("parent", []).append(_("An active department cannot sit under a closed one."))
    if (
        values.get("is_active") is False
        and department is not None
        and Department.objects.filter(parent=department, is_active=True).exists()
    ):
        errors["is_active"] = [
            _("Close its sub-departments first: an active department cannot sit under a closed one.")
        ]
    for field in ("head", "liaison", "deputy_liaison"):
        person = values.get(field)
        if person is not None and (person.department_id is None or not person.is_active):
            errors[field] = [_("{name} is not an active member of the organization.").format(name=person.name)]
    if values.get("liaison") is not None and values.get("liaison") == values.get("deputy_liaison"):
        errors["deputy_liaison"] = [_("The deputy liaison must be someone other than the liaison.")]
    if errors:
        raise ApplicationError(_("Please correct the errors below."), field_errors=errors)


@transaction.atomic
def department_create(*, actor: Person | None, **values: Any) -> Department:
    values["schedule"] = _check_schedule(values.get("schedule"), _org_timezone())
    _check_department_rules(department=None, values=values)
    department = Department(**values)
    _full_clean(department)
    department.save()
    audit_record(
        actor=actor,
        obj=department,
        action="create",
        changes=creation_changes({f: values[f] for f in DEPARTMENT_FIELDS if f in values}),
    )
    send_org_changed(kind="department", pks=[department.pk], fields=values)
    transaction.on_commit(clear_org_caches)
    return department


@transaction.atomic
def department_update(*, actor: Person | None, department: Department, **values: Any) -> Department:
    department = Department.objects.select_for_update().get(pk=department.pk)
    if "schedule" in values:
        values["schedule"] = _check_schedule(values["schedule"], _org_timezone())
    merged = {f: getattr(department, f) for f in DEPARTMENT_FIELDS} | values
    _check_department_rules(department=department, values=merged)
    changes = diff_fields(department, values)
    if not changes:
        return department
    for field, value in values.items():
        setattr(department, field, value)
    _full_clean(department)
    department.save(update_fields=[*changes, "updated_at"])
    audit_record(actor=actor, obj=department, action="update", changes=changes)
    send_org_changed(kind="department", pks=[department.pk], fields=changes)
    transaction.on_commit(clear_org_caches)
    return department


@transaction.atomic
def person_create(*, actor: Person | None, password: str | None = None, **values: Any) -> Person:
    person = Person(**values)
    if password:
        _validate_password(password, person)
        person.set_password(password)
    else:
        person.set_unusable_password()
    _full_clean(person, exclude=["password"])
    person.save()
    audit_record(
        actor=actor,
        obj=person,
        action="create",
        changes=creation_changes({f: values[f] for f in PERSON_FIELDS if f in values}),
    )
    send_org_changed(kind="person", pks=[person.pk], fields=values)
    return person


@transaction.atomic
def person_update(*, actor: Person | None, person: Person, **values: Any) -> Person:
    person = Person.objects.select_for_update().get(pk=person.pk)
    if (
        actor is not None
        and actor.pk == person.pk
        and (values.get("is_active") is False or (values.get("is_admin") is False and person.is_admin))
    ):
        raise ApplicationError(_("You cannot deactivate yourself or remove your own administrator role."))
    changes = diff_fields(person, values)
    if not changes:
        return person
    for field, value in values.items():
        setattr(person, field, value)
    _full_clean(person, exclude=["password"])
    person.save(update_fields=list(changes))
    audit_record(actor=actor, obj=person, action="update", changes=changes)
    send_org_changed(kind="person", pks=[person.pk], fields=changes)
    return person


def _validate_password(password: str, person: Person) -> None:
    try:
        validate_password(password, person)
    except ValidationError as exc:
        raise ApplicationError(_("The password is not acceptable."), field_errors={"password": exc.messages}) from exc


@transaction.atomic
def person_set_password(*, actor: Person | None, person: Person, password: str) -> Person:
    """Set a person's password (an admin for someone, or a person for themself)."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    _validate_password(password, person)
    person.set_password(password)
    person.save(update_fields=["password"])
    audit_record(actor=actor, obj=person, action="set_password")
    return person


def person_set_active(*, actor: Person | None, person: Person, active: bool) -> Person:
    return person_update(actor=actor, person=person, is_active=active)


@transaction.atomic
def committee_save(
    *, actor: Person | None, committee: Committee | None, members: list[Person], **values: Any
) -> Committee:
    """Create (committee=None) or update a committee with its member list."""
    outsiders = [
        p.name
        for p in [*members, values.get("chair")]
        if p is not None and (p.department_id is None or not p.is_active)
    ]
    if outsiders:
        raise ApplicationError(
            _("Please correct the errors below."),
            field_errors={
                "members": [
                    _("{names}: not active members of the organization.").format(
                        names="、".join(sorted(set(outsiders)))
                    )
                ]
            },
        )
    if not members:
        raise ApplicationError(
            _("Please correct the errors below."),
            field_errors={"members": [_("A committee needs at least one member.")]},
        )
    creating = committee is None
    if committee is None:
        committee = Committee(**values)
        changes: dict[str, Any] = creation_changes(values)
    else:
        committee = Committee.objects.select_for_update().get(pk=committee.pk)
        changes = diff_fields(committee, values)
        for field, value in values.items():
            setattr(committee, field, value)
    _full_clean(committee)
    if creating:
        committee.save()
    elif changes:
        committee.save(update_fields=[*changes, "updated_at"])
    before = set() if creating else set(committee.members.values_list("username", flat=True))
    after = {m.username for m in members}
    if before != after:
        committee.members.set(members)
        changes["members"] = [sorted(before), sorted(after)]
    if changes or creating:
        audit_record(actor=actor, obj=committee, action="create" if creating else "update", changes=changes)
    return committee


@transaction.atomic
def organization_update(*, actor: Person | None, **values: Any) -> Organization:
    org, _created = Organization.objects.select_for_update().get_or_create(
        pk=1, defaults={"name": values.get("name", "")}
    )
    if "schedule" in values:
        values["schedule"] = _check_schedule(values["schedule"], values.get("timezone", org.timezone))
    changes = diff_fields(org, values)
    for field, value in values.items():
        setattr(org, field, value)
    _full_clean(org)
    org.save()
    if changes:
        audit_record(actor=actor, obj=org, action="update", changes=changes)
    transaction.on_commit(clear_org_caches)
    return org


@transaction.atomic
def person_set_language(*, person: Person, language: str) -> None:
    """A person's own UI language preference (not audited: a personal setting)."""
    Person.objects.filter(pk=person.pk).update(language=language)
