"""Who may download an attachment: whoever may see its owner, as its app registered
(``registry.register_owner``). Unknown, unregistered and forbidden all answer 404."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.http import Http404

from xietong.attachments.models import Attachment
from xietong.attachments.registry import owner_access


def access_attachment(user: Any, pk: int) -> Attachment:
    """The attachment if ``user`` may see its owner, else 404."""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        raise Http404
    attachment = Attachment.objects.filter(pk=pk).first()
    if attachment is None:
        raise Http404
    access = owner_access(ContentType.objects.get_for_id(attachment.owner_type_id).model_class())
    if access is None or not access(user, attachment.object_id):
        raise Http404
    return attachment
