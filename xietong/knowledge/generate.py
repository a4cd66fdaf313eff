"""Knowledge pages for ``xietong generate --pages N``: written straight to the database, in bulk.

The package format carries no knowledge base, so large test companies get theirs here: a
company-wide space and one space per first-level department (a third of them private to it),
pages of Chinese business text (xietong.common.corpus: words as frequent as in real text, so a
search for a common two-character word matches a third of them) owned by people of the space's
department, each with its first version. Deterministic for a seed and ``until``. Generated pages
are not audited (nobody wrote them) and reach search through ``xietong reindex``, which
``xietong generate`` runs at its end.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.translation import gettext as _

from xietong.common import corpus
from xietong.common.bulk import insert_objects, instance_factory
from xietong.knowledge.models import Page, PageVersion, Space
from xietong.org.models import Department, Organization, Person
from xietong.org.selectors import department_subtree_ids
from xietong.packages.generator import Progress

_new_page = instance_factory(Page)
_new_version = instance_factory(PageVersion)
BATCH = 20_000


def write_pages(count: int, seed: int, until: date, progress: Progress) -> int:
    """Write ``count`` pages (and their spaces) for the organization in the database; returns ``count``."""
    if count <= 0:
        return 0
    people = list(
        Person.objects.filter(is_active=True, department__isnull=False).order_by("pk").values_list("pk", "department")
    )
    if not people:
        raise ValueError(_("there is nobody in the organization to own the pages: import or generate people first"))
    rng = random.Random(seed)
    tz = ZoneInfo(Organization.objects.values_list("timezone", flat=True).first() or "Asia/Shanghai")
    end = datetime.combine(until, time(18, 0), tzinfo=tz)
    roots = list(Department.objects.filter(parent__isnull=True, is_active=True).order_by("code"))
    firsts = list(Department.objects.filter(parent__in=roots, is_active=True).order_by("code"))
    with transaction.atomic():
        spaces = [Space(name="公司知识库", visibility=Space.Visibility.COMPANY)]  # data, as the generated names
        for index, department in enumerate(firsts):
            private = index % 3 == 2
            visibility = Space.Visibility.PRIVATE if private else Space.Visibility.COMPANY
            spaces.append(Space(name=department.name[:100], department=department, visibility=visibility))
        insert_objects(spaces, assign_pks=True)
        owners: list[list[int]] = [[pk for pk, _d in people]]  # the company space: anyone
        for space in spaces[1:]:
            assert space.department_id is not None
            inside = department_subtree_ids({space.department_id})
            owners.append([pk for pk, dept in people if dept in inside] or owners[0])
        weights = [len(spaces)] + [1] * (len(spaces) - 1)  # the company space holds about half
        written = 0
        while written < count:
            size = min(BATCH, count - written)
            pages, versions = [], []
            for _i in range(size):
                where = rng.choices(range(len(spaces)), weights=weights)[0]
                owner = rng.choice(owners[where])
                title, body = corpus.document(rng)
                at = end - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
                pages.append(
                    _new_page(
                        space_id=spaces[where].pk,
                        title=title,
                        body=body,
                        owner_id=owner,
                        review_by=(at + timedelta(days=rng.randint(90, 450))).date(),
                        version=1,
                        created_at=at,
                        created_by_id=owner,
                        updated_at=at,
                        updated_by_id=owner,
                    )
                )
            insert_objects(pages, assign_pks=True)
            for page in pages:
                versions.append(
                    _new_version(
                        page_id=page.pk,
                        number=1,
                        title=page.title,
                        body=page.body,
                        author_id=page.owner_id,
                        created_at=page.created_at,
                    )
                )
            insert_objects(versions)
            written += size
            progress(f"knowledge pages: {written:,}/{count:,}")
    return written
