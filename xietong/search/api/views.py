"""Search over REST: GET /api/v1/search/?q=…&kind=…&page=… within the caller's scope.

The answer is paginated like every list of the API, with the counts per kind (``facets``) of the
whole search; ``title_html`` and ``snippet_html`` are escaped HTML whose only markup is ``<mark>``
around the matched text.
"""

from __future__ import annotations

from typing import Any, cast

from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xietong.api.pagination import Pagination
from xietong.api.views import CallerLanguageMixin
from xietong.search.registry import sources
from xietong.search.selectors import MAX_QUERY_LENGTH, search


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=MAX_QUERY_LENGTH, help_text=gettext_lazy("The words to find."))
    kind = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("Only results of this kind (person, department, process, case, notice, page, post…)."),
    )

    def validate_kind(self, value: str) -> str:
        kinds = {s.kind for s in sources()}
        if value and value not in kinds:
            raise serializers.ValidationError(
                gettext_lazy("Unknown kind; one of: {kinds}.").format(kinds=", ".join(sorted(kinds)))
            )
        return value


class SearchHitSerializer(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.IntegerField(source="object_id")
    title = serializers.CharField()
    url = serializers.CharField()
    title_html = serializers.CharField()
    snippet_html = serializers.CharField()


class SearchFacetSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label, on purpose
    count = serializers.IntegerField()


class SearchResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    facets = SearchFacetSerializer(many=True)
    results = SearchHitSerializer(many=True)


class SearchApi(CallerLanguageMixin, APIView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="search",
        parameters=[
            SearchQuerySerializer,
            OpenApiParameter("page", OpenApiTypes.INT, description="A page number within the results."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="Results per page (at most 500)."),
        ],
        responses=SearchResponseSerializer,
        description="Ranked results of every kind the caller may see, with highlighted snippets.",
    )
    def get(self, request: Request) -> Response:
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        results = search(request.user, params.validated_data["q"], kind=params.validated_data.get("kind") or None)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(cast(Any, results), request, view=self)  # a sized, sliceable sequence
        response = paginator.get_paginated_response(SearchHitSerializer(page, many=True).data)
        response.data["facets"] = SearchFacetSerializer(results.facets, many=True).data
        return response
