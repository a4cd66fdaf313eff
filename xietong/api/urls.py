"""/api/v1: every app's API under one prefix, with the OpenAPI schema and its docs page.

The schema and its two documentation pages are for people who work here, like everything but the
sign-in page: the schema answers 403 to anonymous callers (as the rest of the API does), the pages
send them to sign in. The token exchange is open: it is how a script signs in.
"""

from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.permissions import IsAuthenticated

app_name = "api"
urlpatterns = [
    path("auth/token/", obtain_auth_token, name="token"),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="schema"),
    path("docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
    path("redoc/", login_required(SpectacularRedocView.as_view(url_name="api:schema")), name="redoc"),
    path("org/", include("xietong.org.api.urls")),
    path("audit/", include("xietong.audit.api_urls")),
    path("notify/", include("xietong.notify.api.urls")),
    path("processes/", include("xietong.processes.api.urls")),
    path("disputes/", include("xietong.disputes.api.urls")),
    path("notices/", include("xietong.notices.api.urls")),
    path("knowledge/", include("xietong.knowledge.api.urls")),
    path("progress/", include("xietong.progress.api.urls")),
    path("search/", include("xietong.search.api.urls")),
]
