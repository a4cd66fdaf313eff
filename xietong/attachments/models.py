"""A file attached to an object of any app (its owner), kept in the default storage under a random name."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

FILENAME_MAX_LENGTH = 200


class Attachment(models.Model):
    """One uploaded file of one owner. The name on disk is random; ``filename`` is the uploader's own
    (sanitised) name, given back only as the download's Content-Disposition."""

    # The owner: any model an app registered with ``registry.register_owner``. ``owner_type`` is the
    # generic relation's content type (``content_type`` is the file's sniffed MIME type).
    owner_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/", max_length=255)
    filename = models.CharField(_("file name"), max_length=FILENAME_MAX_LENGTH)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ("created_at", "pk")
        indexes = [models.Index(fields=["owner_type", "object_id"], name="attachments_owner_idx")]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename
