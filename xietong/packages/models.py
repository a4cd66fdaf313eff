"""Import jobs: a package uploaded on the web, checked (preview) and imported in the background.

The upload itself is kept in the default file storage (S3 when several machines serve xietong:
the worker that runs the job may be another machine) until it is imported or replaced. How far a
running job has got is not stored here but in the cache (``xietong.packages.jobs``): the import
runs in one long transaction, and on SQLite no other connection may write meanwhile.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xietong.common import clock

FILENAME_MAX_LENGTH = 255


class ImportJob(models.Model):
    """One run of the importer on one uploaded file: a dry run (preview) or the real import.

    A preview that succeeded can be confirmed once (``confirmed_at``); confirming creates the import
    job, which points back at its preview and imports the same stored file.
    """

    class Kind(models.TextChoices):
        PREVIEW = "preview", _("Preview")
        IMPORT = "import", _("Import")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.QUEUED)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(_("file name"), max_length=FILENAME_MAX_LENGTH)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    # The stored upload; "" once it was imported, refused or replaced by a newer upload.
    upload = models.FileField(upload_to="imports/%Y/%m/", max_length=255, blank=True)
    # The uploader's language: the worker reports progress and problems in it.
    language = models.CharField(max_length=16, blank=True)
    # An import job's preview (the dry run the administrator confirmed); null for a preview.
    preview = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="confirmed_import"
    )
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    # Succeeded: {"counts": [{"section", "create", "update"}], "changes_total": n, "changes": [{"section",
    # "key", "action", "fields": [[field, old, new]]}]} (a preview keeps its first changes for the page);
    # failed: {"problems": [{"line", "path", "message"}], "problems_total": n} or {"error": "..."}.
    result = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ("-created_at", "pk")
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        indexes = [models.Index(fields=("actor", "kind", "status"), name="packages_importjob_pending")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="preview", preview__isnull=True) | Q(kind="import", preview__isnull=False),
                name="packages_importjob_import_has_preview",
            ),
            models.CheckConstraint(
                condition=Q(kind="preview") | Q(confirmed_at__isnull=True),
                name="packages_importjob_only_previews_are_confirmed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def is_preview(self) -> bool:
        return self.kind == self.Kind.PREVIEW
