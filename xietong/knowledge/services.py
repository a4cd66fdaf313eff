"""Every write of the knowledge base: spaces, pages (each save a new version), and the review flags.

Each service is atomic, checks who acts (``ApplicationError`` code "forbidden" when they may not),
validates, writes its audit entry, and keeps the search index current after the commit.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.attachments.services import attachments_add
from xietong.audit.services import audit_record
from xietong.common import clock
from xietong.common.exceptions import ApplicationError
from xietong.knowledge.models import BODY_MAX_LENGTH, SUMMARY_MAX_LENGTH, TITLE_MAX_LENGTH, Page, PageVersion, Space
from xietong.knowledge.permissions import (
    can_create_spaces,
    can_delete_page,
    can_edit_page,
    can_manage_space,
    can_write_space,
    spaces_visible_to,
)
from xietong.notify.services import notify_on_commit
from xietong.org.models import Department, Person
from xietong.org.selectors import organization_schedule
from xietong.processes.models import Case
from xietong.processes.permissions import cases_visible_to
from xietong.search.services import search_index_on_commit

DEFAULT_REVIEW_DAYS = 180
REVIEW_BATCH = 500


class Keep(enum.Enum):
    """A value left as it is (``page_update(case=Keep.KEEP)``), where None means "none"."""

    KEEP = "keep"


def local_today(now: datetime | None = None) -> date:
    """Today in the organization's time zone."""
    return (now or clock.now()).astimezone(organization_schedule().tz).date()


def default_review_by() -> date:
    return local_today() + timedelta(days=DEFAULT_REVIEW_DAYS)


def _forbidden(message: str) -> ApplicationError:
    return ApplicationError(message, code="forbidden")


# ── Spaces ──────────────────────────────────────────────────────────────────────────────────────


def _clean_space(
    *, name: str, description: str, department: Department | None, visibility: str, readers: Sequence[Department]
) -> tuple[str, str]:
    name, description = (name or "").strip(), (description or "").strip()
    errors: dict[str, list[Any]] = {}
    if not name:
        errors["name"] = [_("A space needs a name.")]
    elif len(name) > 100:
        errors["name"] = [_("At most 100 characters.")]
    if len(description) > 2000:
        errors["description"] = [_("At most 2000 characters.")]
    if visibility not in Space.Visibility.values:
        errors["visibility"] = [_("Choose who reads the space.")]
    elif visibility == Space.Visibility.PRIVATE and department is None:
        errors["visibility"] = [_("A space private to its department needs a department.")]
    elif visibility == Space.Visibility.DEPARTMENTS and not readers:
        errors["reader_departments"] = [_("List the departments that read the space.")]
    if errors:
        raise ApplicationError(next(iter(errors.values()))[0], field_errors=errors)
    return name, description


@transaction.atomic
def space_create(
    *,
    actor: Person,
    name: str,
    description: str = "",
    department: Department | None = None,
    visibility: str = Space.Visibility.COMPANY,
    reader_departments: Sequence[Department] = (),
    editors: Sequence[Person] = (),
) -> Space:
    """Create a space: company-wide (no department) or a department's."""
    if not can_create_spaces(actor, department):
        raise _forbidden(
            _("Only coordinators and administrators create company spaces; a department's head creates its spaces.")
        )
    name, description = _clean_space(
        name=name, description=description, department=department, visibility=visibility, readers=reader_departments
    )
    space = Space.objects.create(
        name=name, description=description, department=department, visibility=visibility, created_by=actor
    )
    if visibility == Space.Visibility.DEPARTMENTS:
        space.reader_departments.set(reader_departments)
    space.editors.set(editors)
    audit_record(
        actor=actor,
        obj=space,
        action="create",
        changes={
            "name": [None, name],
            "department": [None, department.code if department else None],
            "visibility": [None, visibility],
            "reader_departments": [None, sorted(d.code for d in reader_departments)],
            "editors": [None, sorted(p.username for p in editors)],
        },
    )
    return space


@transaction.atomic
def space_update(
    *,
    actor: Person,
    space: Space,
    name: str,
    description: str = "",
    visibility: str = Space.Visibility.COMPANY,
    reader_departments: Sequence[Department] = (),
    editors: Sequence[Person] = (),
) -> Space:
    """Change a space's name, description, readers and editors (its department stays)."""
    space = Space.objects.select_for_update(of=("self",)).select_related("department").get(pk=space.pk)
    if not can_manage_space(actor, space):
        raise _forbidden(_("You may not change this space."))
    name, description = _clean_space(
        name=name,
        description=description,
        department=space.department,
        visibility=visibility,
        readers=reader_departments,
    )
    before = {
        "name": space.name,
        "description": space.description,
        "visibility": space.visibility,
        "reader_departments": sorted(space.reader_departments.values_list("code", flat=True)),
        "editors": sorted(space.editors.values_list("username", flat=True)),
    }
    space.name, space.description, space.visibility = name, description, visibility
    space.save(update_fields=["name", "description", "visibility", "updated_at"])
    space.reader_departments.set(reader_departments if visibility == Space.Visibility.DEPARTMENTS else [])
    space.editors.set(editors)
    after = {
        "name": name,
        "description": description,
        "visibility": visibility,
        "reader_departments": sorted(space.reader_departments.values_list("code", flat=True)),
        "editors": sorted(p.username for p in editors),
    }
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changes:
        audit_record(actor=actor, obj=space, action="update", changes=changes)
    # Who may find its pages may have changed: the index keeps visibility per query, but titles
    # and bodies are re-read so that a renamed space is current too.
    search_index_on_commit("page", list(space.pages.values_list("pk", flat=True)))
    return space


@transaction.atomic
def space_delete(*, actor: Person, space: Space) -> None:
    """Delete an empty space."""
    space = Space.objects.select_for_update(of=("self",)).select_related("department").get(pk=space.pk)
    if not can_manage_space(actor, space):
        raise _forbidden(_("You may not delete this space."))
    if space.pages.exists():
        raise ApplicationError(_("Only an empty space can be deleted: move or delete its pages first."))
    audit_record(actor=actor, obj=space, action="delete", changes={"name": [space.name, None]})
    space.delete()


# ── Pages ───────────────────────────────────────────────────────────────────────────────────────


def _clean_page(*, title: str, body: str, summary: str) -> tuple[str, str, str]:
    title, summary = (title or "").strip(), (summary or "").strip()
    body = (body or "").replace("\r\n", "\n")
    errors: dict[str, list[Any]] = {}
    if not title:
        errors["title"] = [_("A page needs a title.")]
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = [_("At most {n} characters.").format(n=TITLE_MAX_LENGTH)]
    if len(body) > BODY_MAX_LENGTH:
        errors["body"] = [_("At most {n} characters.").format(n=BODY_MAX_LENGTH)]
    if len(summary) > SUMMARY_MAX_LENGTH:
        errors["summary"] = [_("At most {n} characters.").format(n=SUMMARY_MAX_LENGTH)]
    if errors:
        raise ApplicationError(next(iter(errors.values()))[0], field_errors=errors)
    return title, body, summary


def _check_owner(owner: Person, space: Space) -> None:
    if not owner.is_active or not spaces_visible_to(owner).filter(pk=space.pk).exists():
        raise ApplicationError(
            _("{name} cannot read this space, so cannot own a page in it.").format(name=owner.name),
            field_errors={"owner": [_("Choose someone who reads this space.")]},
        )


def _check_case(actor: Person, case: Case | None) -> None:
    if case is not None and not cases_visible_to(actor).filter(pk=case.pk).exists():
        raise ApplicationError(_("There is no such case."), field_errors={"case": [_("There is no such case.")]})


def _check_review_by(review_by: date | None, *, is_new: bool) -> date:
    if review_by is None:
        raise ApplicationError(_("A page needs a review-by date."), field_errors={"review_by": [_("Choose a date.")]})
    if is_new and review_by <= local_today():
        raise ApplicationError(
            _("The review-by date of a new page lies in the future."),
            field_errors={"review_by": [_("Choose a date after today.")]},
        )
    return review_by


def _version(page: Page, *, actor: Person, summary: str, now: datetime) -> PageVersion:
    return PageVersion.objects.create(
        page=page, number=page.version, title=page.title, body=page.body, summary=summary, author=actor, created_at=now
    )


@transaction.atomic
def page_create(
    *,
    actor: Person,
    space: Space,
    title: str,
    body: str = "",
    owner: Person | None = None,
    review_by: date | None = None,
    template: str = Page.Template.BLANK,
    case: Case | None = None,
    summary: str = "",
    files: Iterable[Any] = (),
) -> Page:
    """Create a page (its version 1) in ``space``; ``owner`` defaults to its author."""
    if not spaces_visible_to(actor).filter(pk=space.pk).exists() or not can_write_space(actor, space):
        raise _forbidden(_("You may not write pages in this space."))
    title, body, summary = _clean_page(title=title, body=body, summary=summary)
    owner = owner or actor
    _check_owner(owner, space)
    _check_case(actor, case)
    review_by = _check_review_by(review_by if review_by is not None else default_review_by(), is_new=True)
    if template not in Page.Template.values:
        raise ApplicationError(_("Unknown template."), field_errors={"template": [_("Unknown template.")]})
    now = clock.now()
    page = Page.objects.create(
        space=space,
        title=title,
        body=body,
        template=template,
        owner=owner,
        review_by=review_by,
        case=case,
        version=1,
        created_at=now,
        created_by=actor,
        updated_at=now,
        updated_by=actor,
    )
    _version(page, actor=actor, summary=summary or _("Created"), now=now)
    attachments_add(actor=actor, owner=page, uploads=files)
    audit_record(
        actor=actor,
        obj=page,
        action="create",
        changes={
            "space": [None, space.pk],
            "title": [None, title],
            "owner": [None, owner.username],
            "review_by": [None, review_by.isoformat()],
            "case": [None, case.pk if case else None],
        },
    )
    search_index_on_commit("page", [page.pk])
    return page


@transaction.atomic
def page_update(
    *,
    actor: Person,
    page: Page,
    title: str,
    body: str,
    summary: str = "",
    owner: Person | None = None,
    review_by: date | None = None,
    case: Case | Keep | None = Keep.KEEP,
    base_version: int | None = None,
    files: Iterable[Any] = (),
) -> Page:
    """Save a page as its next version. ``base_version`` (the version the editor started from)
    refuses the save when someone else saved meanwhile, so no one overwrites another's change
    unseen. ``owner`` and ``review_by`` stay when not given; ``case`` stays when left out (``Keep.KEEP``)."""
    page = Page.objects.select_for_update(of=("self",)).select_related("space", "owner").get(pk=page.pk)
    if not can_edit_page(actor, page):
        raise _forbidden(_("You may not edit this page."))
    if base_version is not None and base_version != page.version:
        raise ApplicationError(
            _("{name} saved this page meanwhile (version {n}): open it again and redo your changes.").format(
                name=page.updated_by.name if page.updated_by else "?", n=page.version
            ),
            code="conflict",
        )
    title, body, summary = _clean_page(title=title, body=body, summary=summary)
    new_owner = owner or page.owner
    if new_owner.pk != page.owner_id:
        _check_owner(new_owner, page.space)
    new_case = page.case if isinstance(case, Keep) else case
    if not isinstance(case, Keep) and (new_case.pk if new_case else None) != page.case_id:
        _check_case(actor, new_case)
    new_review_by = _check_review_by(review_by if review_by is not None else page.review_by, is_new=False)
    uploads = list(files)
    changed = (
        title != page.title
        or body != page.body
        or new_owner.pk != page.owner_id
        or new_review_by != page.review_by
        or (new_case.pk if new_case else None) != page.case_id
    )
    if not changed and not uploads:
        raise ApplicationError(_("Nothing changed: the page is as it was."), code="unchanged")
    changes: dict[str, list[Any]] = {}
    if title != page.title:
        changes["title"] = [page.title, title]
    if body != page.body:
        changes["body"] = [f"v{page.version}", f"v{page.version + 1}"]
    if new_owner.pk != page.owner_id:
        changes["owner"] = [page.owner.username, new_owner.username]
    if new_review_by != page.review_by:
        changes["review_by"] = [page.review_by.isoformat(), new_review_by.isoformat()]
    if (new_case.pk if new_case else None) != page.case_id:
        changes["case"] = [page.case_id, new_case.pk if new_case else None]
    now = clock.now()
    page.title, page.body, page.owner, page.review_by, page.case = title, body, new_owner, new_review_by, new_case
    page.version = F("version") + 1
    page.updated_at, page.updated_by = now, actor
    page.save(update_fields=["title", "body", "owner", "review_by", "case", "version", "updated_at", "updated_by"])
    page.refresh_from_db(fields=["version"])
    _version(page, actor=actor, summary=summary, now=now)
    attachments_add(actor=actor, owner=page, uploads=uploads)
    changes["version"] = [page.version - 1, page.version]
    if uploads:
        changes["attachments"] = [None, len(uploads)]
    audit_record(actor=actor, obj=page, action="update", changes=changes)
    search_index_on_commit("page", [page.pk])
    return page


@transaction.atomic
def page_delete(*, actor: Person, page: Page) -> None:
    """Delete a page with its versions (its owner, or whoever manages its space)."""
    page = Page.objects.select_for_update(of=("self",)).select_related("space").get(pk=page.pk)
    if not can_delete_page(actor, page):
        raise _forbidden(_("Only the page's owner or the space's managers delete it."))
    pk = page.pk
    audit_record(actor=actor, obj=page, action="delete", changes={"title": [page.title, None]})
    page.delete()
    search_index_on_commit("page", [pk])


# ── Reviews ─────────────────────────────────────────────────────────────────────────────────────


@transaction.atomic
def page_confirm_current(*, actor: Person, page: Page, review_by: date | None = None) -> Page:
    """Record that the page was reviewed and is still current: only its review-by date moves
    (default: 180 days on), so no new version is written. Whoever may edit the page confirms it."""
    page = Page.objects.select_for_update(of=("self",)).select_related("space").get(pk=page.pk)
    if not can_edit_page(actor, page):
        raise _forbidden(_("You may not edit this page."))
    new_date = _check_review_by(review_by or default_review_by(), is_new=True)
    audit_record(
        actor=actor,
        obj=page,
        action="review",
        changes={"review_by": [page.review_by.isoformat(), new_date.isoformat()]},
    )
    page.review_by = new_date
    page.save(update_fields=["review_by"])
    return page


def _needs_flag() -> Q:
    return Q(review_flagged_for__isnull=True) | ~Q(review_flagged_for=F("review_by"))


def review_tick(*, now: datetime | None = None) -> dict[str, int]:
    """Tell each owner of a page past its review-by date, once per page and review date.

    Each page is claimed with a conditional UPDATE (… SET review_flagged_for = review_by WHERE it
    is not that date yet): the row count says which worker won, so two workers never both notify.
    """
    today = local_today(now)
    due = Page.objects.filter(_needs_flag(), review_by__lt=today).order_by("review_by", "pk")
    flagged = 0
    for pk in list(due.values_list("pk", flat=True)[:REVIEW_BATCH]):
        with transaction.atomic():
            claimed = Page.objects.filter(_needs_flag(), pk=pk, review_by__lt=today).update(
                review_flagged_for=F("review_by")
            )
            if not claimed:
                continue  # another worker flagged it, or the date moved meanwhile
            page = Page.objects.select_related("owner").get(pk=pk)
            notify_on_commit(
                recipients=[page.owner_id],
                kind="knowledge.page_review_due",
                title=gettext_lazy("Page “{title}” was due for review on {date}"),
                params={"title": page.title, "date": page.review_by.isoformat()},
                url=reverse("knowledge:page_detail", args=[page.pk]),
                dedupe_key=f"knowledge.page:{page.pk}:review:{page.review_by.isoformat()}",
            )
            flagged += 1
    return {"flagged": flagged}
