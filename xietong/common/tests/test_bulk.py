"""The bulk writers of imports and the generator: what they write reads back as the ORM wrote it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xietong.audit.models import AuditEntry
from xietong.common.bulk import insert_objects, instance_factory, reserve_ids, update_objects
from xietong.org.models import Department

TZ = ZoneInfo("Asia/Shanghai")


def test_inserted_rows_read_back_with_their_values(world):
    # given rows with an aware datetime, a foreign key, JSON with Chinese text and an empty value
    ct = ContentType.objects.get_for_model(Department)
    at = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=TZ)
    rows = [
        AuditEntry(
            at=at,
            actor_id=world.admin.pk,
            actor_repr="管理员",
            content_type_id=ct.pk,
            object_id="1",
            object_repr="研发中心",
            action="import.create",
            changes={"name": [None, "研发中心"], "n": [1, 2.5]},
        ),
        AuditEntry(at=at, content_type_id=ct.pk, object_id="2", object_repr="x", action="a", changes={}),
    ]
    # when
    written = insert_objects(rows)
    # then
    assert written == 2
    stored = list(AuditEntry.objects.filter(action__in=["import.create", "a"]).order_by("object_id"))
    assert [e.at for e in stored] == [at, at]
    assert stored[0].at.astimezone(UTC) == datetime(2026, 3, 2, 1, 30, 15, 123456, tzinfo=UTC)
    assert stored[0].actor == world.admin
    assert stored[0].changes == {"name": [None, "研发中心"], "n": [1, 2.5]}
    assert stored[1].actor is None
    assert stored[1].changes == {}


def test_reserved_ids_are_never_handed_out_again(world):
    # given
    before = Department.objects.count()
    departments = [Department(code=f"BULK{i}", name=f"部门{i}") for i in range(3)]
    # when: written with ids reserved for them, then one more through the ORM
    insert_objects(departments, assign_pks=True)
    later = Department.objects.create(code="LATER", name="之后")
    # then: all different
    ids = [d.pk for d in departments]
    assert len({*ids, later.pk}) == 4
    assert later.pk > max(ids)
    assert Department.objects.count() == before + 4
    assert Department.objects.get(pk=ids[0]).created_at is not None  # auto_now_add stamped
    assert not set(reserve_ids(Department, 2)) & {*ids, later.pk}


def test_the_factory_refuses_a_model_with_a_mutable_default():
    # then: instances would share one dict
    with pytest.raises(ValueError, match="mutable defaults would be shared"):
        instance_factory(AuditEntry)


def test_updates_write_only_the_named_fields_in_one_statement_per_chunk(world):
    # given
    world.rd.name, world.rd.parent, world.rd.code = "研发中心（新）", None, "NOT-WRITTEN"
    world.sales.name = "营销中心（新）"
    # when
    with CaptureQueriesContext(connection) as queries:
        update_objects([world.rd, world.sales], ["name", "parent"])
    # then
    world.rd.refresh_from_db()
    world.sales.refresh_from_db()
    assert (world.rd.name, world.rd.parent_id, world.rd.code) == ("研发中心（新）", None, "RD")
    assert world.sales.name == "营销中心（新）"
    assert len(queries.captured_queries) == 1  # one executemany
