"""Progress updates over REST (/api/v1/progress/).

Reads go through ``posts_visible_to``: a post one may not see is 404, as an unknown one. Posting
and deleting go through the services; a refusal of the caller is 403, any other refusal 400.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from xietong.api.errors import Forbidden
from xietong.api.errors import url_pk as _pk
from xietong.api.views import CallerLanguageMixin
from xietong.common.exceptions import ApplicationError
from xietong.org.models import Person
from xietong.processes.permissions import cases_visible_to
from xietong.progress import selectors, services
from xietong.progress.api.serializers import PostCreateSerializer, PostListQuerySerializer, PostSerializer
from xietong.progress.models import Post
from xietong.progress.permissions import access_post, posts_visible_to


@extend_schema_view(list=extend_schema(parameters=[PostListQuerySerializer]))
class PostViewSet(mixins.ListModelMixin, CallerLanguageMixin, viewsets.GenericViewSet):
    """Progress updates you may see, newest first."""

    queryset = Post.objects.none()
    serializer_class = PostSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Post]:
        params = PostListQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        posts = posts_visible_to(self.request.user)
        if params.validated_data.get("department"):
            posts = posts.filter(department__code=params.validated_data["department"])
        return selectors.feed(posts, case_id=params.validated_data.get("case"))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        posts = selectors.with_attachments(page or [])
        return self.get_paginated_response(PostSerializer(posts, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        """One progress update."""
        post = access_post(request.user, _pk(pk))
        return Response(PostSerializer(selectors.with_attachments([post])[0]).data)

    @extend_schema(request=PostCreateSerializer, responses={201: PostSerializer})
    def create(self, request: Request) -> Response:
        """Post an update about a department (its people, coordinators, administrators) or a case
        (whoever sees it)."""
        payload = PostCreateSerializer(data=request.data, cases=cases_visible_to(request.user))
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        try:
            post = services.post_create(actor=cast(Person, request.user), **data)
        except ApplicationError as exc:
            if exc.code == "forbidden":
                raise Forbidden(detail=str(exc.message), code="forbidden") from exc
            raise
        created = selectors.with_attachments([access_post(request.user, post.pk)])[0]
        return Response(PostSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        """Delete your own update (administrators: any)."""
        post = access_post(request.user, _pk(pk))
        try:
            services.post_delete(actor=cast(Person, request.user), post=post)
        except ApplicationError as exc:
            if exc.code == "forbidden":
                raise Forbidden(detail=str(exc.message), code="forbidden") from exc
            raise
        return Response(status=status.HTTP_204_NO_CONTENT)
