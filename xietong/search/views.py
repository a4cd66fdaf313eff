"""The search page: one box across every registered kind, results ranked and highlighted, with a
count per kind to narrow them (one query for the counts, one for the page)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from xietong.search.selectors import MAX_QUERY_LENGTH, SUBSTRING_LIMIT, Hit, search

PAGE_SIZE = 20


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    kind = request.GET.get("kind", "").strip() or None
    results = search(request.user, query, kind=kind)
    page = Paginator(cast(Sequence[Hit], results), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "search/search.html",
        {
            "query": query,
            "results": results,
            "page": page,
            "hits": list(page.object_list),
            "kind": results.kind,
            "substring_limit": SUBSTRING_LIMIT,
        },
    )


urlpatterns = [path("", search_page, name="search")]
