"""The search index: one row per findable object, whatever its kind.

``title`` and ``body`` are the plain text shown in results; ``title_terms`` and ``body_terms`` are the
same text cut into CJK bigrams and words (xietong.search.text), which the database's full-text index
reads: on SQLite an external-content FTS5 table (``search_document_fts``) kept in step by triggers, on
PostgreSQL two generated ``tsvector`` columns with GIN indexes. Both are created by the migration
(raw SQL, per database) and are invisible to the ORM.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Document(models.Model):
    kind = models.CharField(_("kind"), max_length=32)
    object_id = models.BigIntegerField(_("object id"))
    title = models.TextField(pgettext_lazy("search result", "title"))
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500)
    title_terms = models.TextField(blank=True)
    body_terms = models.TextField(blank=True)
    fingerprint = models.CharField(max_length=40)  # of title, body and url: unchanged entries are not rewritten
    indexed_at = models.DateTimeField(_("indexed at"))

    class Meta:
        ordering = ("kind", "object_id")
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        constraints = [
            models.UniqueConstraint(fields=("kind", "object_id"), name="search_document_kind_object_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} {self.title}"


class Pending(models.Model):
    """An object whose entry may be stale: written in the very transaction that changed the object (for
    people and departments, by the receiver of ``xietong.org.signals.org_changed``), so a change is
    never lost, and deleted once the entry has been re-read. Right after the commit the entries are
    re-read (at once when they are few, else by a background task); what a crash or a failed update
    leaves behind, the "search.queue" tick re-reads."""

    kind = models.CharField(max_length=32)
    object_id = models.BigIntegerField()

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"
