"""``{% case_progress case %}``: a case's progress updates and a form to post one, for the case page."""

from __future__ import annotations

from typing import Any

from django import template

from xietong.progress.selectors import progress_for_case

register = template.Library()


@register.inclusion_tag("progress/_case_posts.html", takes_context=True)
def case_progress(context: Any, case: Any) -> dict[str, Any]:
    """The case's latest updates (two queries). The case must come from ``access_case``."""
    request = context["request"]
    return {
        "case": case,
        "progress_posts": progress_for_case(case),
        "request": request,
        "user_id": request.user.pk,
        "is_admin": bool(getattr(request.user, "is_admin", False)),
        "csrf_token": context.get("csrf_token"),
    }
