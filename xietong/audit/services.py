"""Writing the audit trail. Every service that writes calls ``audit_record`` inside its transaction."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from xietong.audit.models import AuditEntry
from xietong.common import clock
from xietong.common.bulk import column_adapter, concrete_field, insert_rows


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def audit_record(*, actor: Any, obj: models.Model, action: str, changes: dict[str, Any] | None = None) -> AuditEntry:
    """Record that ``actor`` (a person, or None for the system) did ``action`` to ``obj``.

    ``changes`` is always ``{field: [old, new]}`` (old is None on creation).
    """
    return AuditEntry.objects.create(
        at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_repr=str(actor) if actor is not None else "system",
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action=action,
        changes=_jsonable(changes or {}),
    )


def creation_changes(values: dict[str, Any]) -> dict[str, list[Any]]:
    """The audit changes of a new object: {field: [None, value]} for the fields given a value."""
    return {field: [None, _jsonable(value)] for field, value in values.items() if value not in (None, "", [], {})}


def diff_fields(obj: models.Model, values: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields of ``values`` that differ from ``obj``: {field: [old, new]}."""
    changed: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changed[field] = [_jsonable(old), _jsonable(new)]
    return changed


def _json_default(value: Any) -> Any:
    """What ``_jsonable`` makes of a value json cannot write itself."""
    if isinstance(value, set | frozenset):
        return list(value)
    return str(value)  # a model instance, a datetime, a Decimal …


def audit_bulk(*, actor: Any, entries: list[tuple[models.Model, str, dict[str, Any]]]) -> None:
    """Record many (object, action, changes) at once, for imports: the changes are written as JSON
    text by the C encoder, the rows by the database's bulk path (an import audits every object)."""
    at = clock.now()
    actor_obj = actor if getattr(actor, "pk", None) else None
    actor_repr = str(actor) if actor is not None else "system"
    types: dict[type[models.Model], int] = {}
    fields = ["at", "actor_id", "actor_repr", "content_type_id", "object_id", "object_repr", "action", "changes"]
    stamp = column_adapter(concrete_field(AuditEntry, "at"))(at)
    rows = []
    for obj, action, changes in entries:
        if obj is None:
            continue
        model = type(obj)
        if model not in types:
            types[model] = ContentType.objects.get_for_model(obj, for_concrete_model=True).pk
        rows.append(
            (
                stamp,
                getattr(actor_obj, "pk", None),
                actor_repr,
                types[model],
                str(obj.pk),
                str(obj)[:200],
                action,
                json.dumps(changes, default=_json_default),  # as JSONField writes it, in C
            )
        )
    insert_rows(AuditEntry, [concrete_field(AuditEntry, f).column for f in fields], rows)
