"""Reading attachments: one query for one owner, or for many owners of one model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from xietong.attachments.models import Attachment


def attachments_for(owner: models.Model) -> QuerySet[Attachment]:
    """The attachments of ``owner``, oldest first (one query)."""
    owner_type = ContentType.objects.get_for_model(owner, for_concrete_model=True)
    return Attachment.objects.filter(owner_type=owner_type, object_id=str(owner.pk)).order_by("created_at", "pk")


def attachments_by_owner(owners: Sequence[models.Model]) -> dict[Any, list[Attachment]]:
    """The attachments of each of ``owners`` (objects of one model), keyed by the owner's pk, oldest
    first: one query whatever the number of owners (none without owners)."""
    if not owners:
        return {}
    owner_type = ContentType.objects.get_for_model(owners[0], for_concrete_model=True)
    by_id = {str(owner.pk): owner.pk for owner in owners}
    found: dict[Any, list[Attachment]] = {owner.pk: [] for owner in owners}
    attachments = Attachment.objects.filter(owner_type=owner_type, object_id__in=list(by_id)).order_by(
        "created_at", "pk"
    )
    for attachment in attachments:
        found[by_id[attachment.object_id]].append(attachment)
    return found
