"""The knowledge base: spaces (company-wide or a department's), Markdown pages with an owner and a
review-by date, and every saved version of each page."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.common.models import TimeStampedModel

TITLE_MAX_LENGTH = 200
SUMMARY_MAX_LENGTH = 200
BODY_MAX_LENGTH = 200_000


class Space(TimeStampedModel):
    """A shelf of pages. Without a department it is company-wide; with one, it is that department's.

    Who reads it (``visibility``): everyone signed in, the listed departments (each with its
    sub-departments), or only its own department (with its sub-departments)."""

    class Visibility(models.TextChoices):
        COMPANY = "company", _("Everyone in the company")
        DEPARTMENTS = "departments", _("Listed departments")
        PRIVATE = "private", _("Only its department")

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Leave empty for a company-wide space."),
    )
    visibility = models.CharField(_("readers"), max_length=16, choices=Visibility, default=Visibility.COMPANY)
    reader_departments = models.ManyToManyField(
        "org.Department", verbose_name=_("reading departments"), blank=True, related_name="+"
    )
    editors = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("editors"), blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("name", "pk")
        verbose_name = _("knowledge space")
        verbose_name_plural = _("knowledge spaces")
        constraints = [
            models.CheckConstraint(
                condition=~Q(visibility="private") | Q(department__isnull=False),
                name="knowledge_space_private_has_department",
                violation_error_message=_("A space private to its department needs a department."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Page(models.Model):
    """A Markdown page of a space. ``body`` and ``title`` are the latest version's; ``owner`` keeps
    it current and reviews it by ``review_by``."""

    class Template(models.TextChoices):
        BLANK = "blank", _("Blank page")
        RETROSPECTIVE = "retrospective", _("Experience sharing / case retrospective")

    space = models.ForeignKey(Space, verbose_name=_("space"), on_delete=models.PROTECT, related_name="pages")
    title = models.CharField(pgettext_lazy("page", "title"), max_length=TITLE_MAX_LENGTH)
    body = models.TextField(_("content"), blank=True, max_length=BODY_MAX_LENGTH)
    template = models.CharField(_("template"), max_length=16, choices=Template, default=Template.BLANK)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("knowledge page", "owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_by = models.DateField(_("review by"))
    # The review date for which the owner was told the page is due (once per date; see review_tick).
    review_flagged_for = models.DateField(null=True, blank=True)
    case = models.ForeignKey(
        "processes.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("space", "title", "pk")
        verbose_name = _("knowledge page")
        verbose_name_plural = _("knowledge pages")
        indexes = [models.Index(fields=("review_by",), name="knowledge_page_review_idx")]

    def __str__(self) -> str:
        return self.title


class PageVersion(models.Model):
    """One saved state of a page: never changed after it is written."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(pgettext_lazy("page", "title"), max_length=TITLE_MAX_LENGTH)
    body = models.TextField(_("content"), blank=True)
    summary = models.CharField(_("summary of changes"), max_length=SUMMARY_MAX_LENGTH, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("saved at"))

    class Meta:
        ordering = ("page", "-number")
        constraints = [
            models.UniqueConstraint(fields=("page", "number"), name="knowledge_pageversion_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.page_id} v{self.number}"
