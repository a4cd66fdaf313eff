"""Knowledge spaces and pages over REST (/api/v1/knowledge/).

Every read goes through ``spaces_visible_to``/``pages_visible_to``: a space or page one may not
read is 404, as an unknown one. Writes go through the services; a service refusing the caller
(ApplicationError code "forbidden") answers 403, any other refusal 400 in the API's error format.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from xietong.api.errors import Forbidden, refusals_as_403
from xietong.api.errors import url_pk as _pk
from xietong.api.views import CallerLanguageMixin
from xietong.attachments.selectors import attachments_for
from xietong.common.exceptions import ApplicationError
from xietong.knowledge import selectors, services
from xietong.knowledge.api.serializers import (
    PageCreateSerializer,
    PageDetailSerializer,
    PageListQuerySerializer,
    PageSerializer,
    PageUpdateSerializer,
    PageVersionDetailSerializer,
    PageVersionSerializer,
    SpaceSerializer,
    SpaceWriteSerializer,
)
from xietong.knowledge.models import Page, PageVersion, Space
from xietong.knowledge.permissions import (
    access_page,
    access_page_version,
    access_space,
    can_manage_space,
    pages_visible_to,
    spaces_visible_to,
)
from xietong.org.models import Person
from xietong.processes.permissions import cases_visible_to


class _SignedIn(CallerLanguageMixin, viewsets.GenericViewSet):
    @property
    def actor(self) -> Person:
        return cast(Person, self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        return super().get_serializer_context() | {"today": services.local_today()}


class SpaceViewSet(mixins.ListModelMixin, _SignedIn):
    """Knowledge spaces you may read: company-wide ones and departments'."""

    queryset = Space.objects.none()
    serializer_class = SpaceSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Space]:
        return (
            spaces_visible_to(self.request.user)
            .select_related("department")
            .prefetch_related("reader_departments", "editors")
            .annotate(page_count=Count("pages"))
            .order_by("name", "pk")
        )

    def get_object(self) -> Space:
        access_space(self.request.user, _pk(self.kwargs["pk"]))
        return self.get_queryset().get(pk=_pk(self.kwargs["pk"]))

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        """One space."""
        return Response(SpaceSerializer(self.get_object()).data)

    @extend_schema(request=SpaceWriteSerializer, responses={201: SpaceSerializer})
    def create(self, request: Request) -> Response:
        """Create a space (coordinators, administrators; a department's head for its spaces)."""
        payload = SpaceWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refusals_as_403():
            space = services.space_create(actor=self.actor, **payload.validated_data)
        return Response(SpaceSerializer(self.get_queryset().get(pk=space.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SpaceWriteSerializer, responses=SpaceSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Change a space's name, description, readers or editors (its department stays)."""
        space = self.get_object()
        if not can_manage_space(request.user, space):
            raise Forbidden()
        payload = SpaceWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        values = {
            "name": space.name,
            "description": space.description,
            "visibility": space.visibility,
            "reader_departments": list(space.reader_departments.all()),
            "editors": list(space.editors.all()),
        } | {key: value for key, value in payload.validated_data.items() if key != "department"}
        if "department" in request.data:
            message = _("The department of a space cannot be changed.")
            raise ApplicationError(message, field_errors={"department": [message]})
        with refusals_as_403():
            services.space_update(actor=self.actor, space=space, **values)
        return Response(SpaceSerializer(self.get_object()).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        """Delete an empty space."""
        space = self.get_object()
        with refusals_as_403():
            services.space_delete(actor=self.actor, space=space)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(list=extend_schema(parameters=[PageListQuerySerializer]))
class PageViewSet(mixins.ListModelMixin, _SignedIn):
    """Pages of the spaces you may read; every save is a new version."""

    queryset = Page.objects.none()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_serializer_class(self) -> type[BaseSerializer]:
        return PageSerializer

    def get_queryset(self) -> QuerySet[Page]:
        params = PageListQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        pages = pages_visible_to(self.request.user).select_related("owner", "updated_by")
        if params.validated_data.get("space"):
            pages = pages.filter(space_id=params.validated_data["space"])
        needs_review = params.validated_data.get("needs_review")
        if needs_review is not None:
            today = services.local_today()
            pages = pages.filter(review_by__lt=today) if needs_review else pages.exclude(review_by__lt=today)
        return pages.order_by("-updated_at", "-pk")

    def _detail(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        page = access_page(self.request.user, pk)
        page.attachment_list = list(attachments_for(page))  # type: ignore[attr-defined]  # read by the serializer
        return Response(PageDetailSerializer(page, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(responses=PageDetailSerializer)
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        """A page: its Markdown, its rendered HTML and its attachments."""
        return self._detail(_pk(pk))

    @extend_schema(request=PageCreateSerializer, responses={201: PageDetailSerializer})
    def create(self, request: Request) -> Response:
        """Create a page (version 1) in a space you may write in."""
        payload = PageCreateSerializer(
            data=request.data, spaces=spaces_visible_to(request.user), cases=cases_visible_to(request.user)
        )
        payload.is_valid(raise_exception=True)
        with refusals_as_403():
            page = services.page_create(actor=self.actor, **payload.validated_data)
        return self._detail(page.pk, status.HTTP_201_CREATED)

    @extend_schema(request=PageUpdateSerializer, responses=PageDetailSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Save the page as its next version (fields left out stay as they are)."""
        page = access_page(request.user, _pk(pk))
        payload = PageUpdateSerializer(data=request.data, cases=cases_visible_to(request.user))
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        with refusals_as_403():
            services.page_update(
                actor=self.actor,
                page=page,
                title=data.get("title", page.title),
                body=data.get("body", page.body),
                summary=data.get("summary", ""),
                owner=data.get("owner"),
                review_by=data.get("review_by"),
                case=data.get("case", services.Keep.KEEP),
                base_version=data.get("base_version"),
            )
        return self._detail(page.pk)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        """Delete a page and its versions (its owner, or whoever manages its space)."""
        page = access_page(request.user, _pk(pk))
        with refusals_as_403():
            services.page_delete(actor=self.actor, page=page)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=PageVersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request: Request, pk: str | None = None) -> Response:
        """The page's versions, newest first (without their text)."""
        page = access_page(request.user, _pk(pk))
        versions = self.paginate_queryset(selectors.page_versions(page))
        return self.get_paginated_response(PageVersionSerializer(versions, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("number", int, OpenApiParameter.PATH, description="The version number.")],
        responses=PageVersionDetailSerializer,
    )
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>[0-9]+)", url_name="version")
    def version(self, request: Request, pk: str | None = None, number: str | None = None) -> Response:
        """One version of the page, with its Markdown."""
        version: PageVersion = access_page_version(request.user, _pk(pk), _pk(number))
        return Response(PageVersionDetailSerializer(version).data)
