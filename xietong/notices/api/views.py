"""Notices over REST (/api/v1/notices/).

Reads go through ``notices_visible_to``/``access_notice``: a notice one may not see is 404, as an
unknown one. Every write goes through the services; a service refusing the caller
(ApplicationError code "forbidden") answers 403, any other ApplicationError 400.
"""

from __future__ import annotations

from typing import cast

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from xietong.api.errors import refusals_as_403
from xietong.api.errors import url_pk as _pk
from xietong.api.pagination import Pagination
from xietong.api.views import CallerLanguageMixin
from xietong.attachments.selectors import attachments_for
from xietong.notices import selectors, services
from xietong.notices.api.serializers import (
    NoticeDetailSerializer,
    NoticeListQuerySerializer,
    NoticePublishSerializer,
    NoticeSerializer,
    ReadRateQuerySerializer,
    ReadRateSerializer,
)
from xietong.notices.models import Notice, NoticeRecipient
from xietong.notices.permissions import access_notice, access_notice_report, notices_visible_to
from xietong.org.models import Department, Person


@extend_schema_view(list=extend_schema(parameters=[NoticeListQuerySerializer]))
class NoticeViewSet(CallerLanguageMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Notices the caller may see, pinned first, then newest. ``?show=`` unread | to_ack | mine |
    drafts | withdrawn (default: the current published ones), ``?q=`` searches titles and text."""

    queryset = Notice.objects.none()  # the schema's model; requests use get_queryset()
    http_method_names = ["get", "post", "head", "options"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @property
    def actor(self) -> Person:
        return cast(Person, self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer]:
        return NoticeSerializer if self.action == "list" else NoticeDetailSerializer

    def _annotated(self, notices: QuerySet[Notice]) -> QuerySet[Notice]:
        departments = Prefetch("audience_departments", queryset=Department.objects.order_by("code"))
        return notices.prefetch_related(departments)

    def get_queryset(self) -> QuerySet[Notice]:
        params = NoticeListQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        notices = selectors.notice_list(
            notices=notices_visible_to(self.actor),
            viewer=self.actor,
            query=params.validated_data["q"].strip(),
            show=params.validated_data["show"],
        )
        return self._annotated(notices)

    def _notice(self, pk: int) -> Notice:
        access_notice(self.actor, pk)  # 404 when unknown or not visible
        return self._annotated(
            selectors.notice_list(notices=Notice.objects.filter(pk=pk), viewer=self.actor, show="any")
        ).get()

    def get_object(self) -> Notice:
        return self._notice(_pk(self.kwargs["pk"]))

    def _answer(self, notice: Notice, status_code: int = status.HTTP_200_OK) -> Response:
        notice = self._notice(notice.pk)
        data = NoticeDetailSerializer(notice, context={"attachments": list(attachments_for(notice))}).data
        return Response(data, status=status_code)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        """A notice with its text and attachments; reading it marks it read for a recipient."""
        notice = self.get_object()
        services.notice_mark_read(person=self.actor, notice=notice)
        return self._answer(notice)

    @extend_schema(request=NoticePublishSerializer, responses={201: NoticeDetailSerializer})
    def create(self, request: Request) -> Response:
        """Publish a notice now, schedule it (``publish_at``) or keep it as a draft (``draft: true``).
        Department heads, liaisons, coordinators and administrators."""
        payload = NoticePublishSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refusals_as_403():
            notice = services.notice_create(actor=self.actor, **payload.service_arguments())
        return self._answer(notice, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=NoticeDetailSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        """Confirm "read and understood" (once; recipients only; published notices requiring it)."""
        notice = self.get_object()
        with refusals_as_403():
            services.notice_acknowledge(actor=self.actor, notice=notice)
        return self._answer(notice)

    @extend_schema(request=None, responses=NoticeDetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """Withdraw a published or scheduled notice (kept in history). Its author, coordinators, administrators."""
        notice = self.get_object()
        with refusals_as_403():
            services.notice_withdraw(actor=self.actor, notice=notice)
        return self._answer(notice)

    @extend_schema(parameters=[ReadRateQuerySerializer], responses=ReadRateSerializer)
    @action(detail=True, methods=["get"], url_path="read-rate")
    def read_rate(self, request: Request, pk: str | None = None) -> Response:
        """The acknowledgement report: read and acknowledgement counts per department (the recipients'
        departments at publication) and a page of who has not acknowledged (``?page=``,
        ``?page_size=``; ``?department=CODE`` for one department). The author, coordinators and
        administrators see every department; the leads of a department see theirs."""
        notice, scope = access_notice_report(self.actor, _pk(pk))
        params = ReadRateQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        report = selectors.notice_read_rate(
            notice=notice, department_ids=scope, department_code=params.validated_data["department"].strip() or None
        )
        pages = Pagination()
        people = pages.paginate_queryset(cast(QuerySet[NoticeRecipient], report.pending), request, view=self)
        data = {
            "notice": notice,
            "total": report.total,
            "departments": report.departments[:],
            "pending": {
                "count": report.pending.count(),
                "next": pages.get_next_link(),
                "previous": pages.get_previous_link(),
                "results": people,
            },
        }
        return Response(ReadRateSerializer(data).data)
