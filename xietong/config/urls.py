from django.contrib import admin
from django.urls import include, path

from xietong.common import views_health, views_home

urlpatterns = [
    path("", views_home.home, name="home"),
    path("healthz", views_health.healthz, name="healthz"),
    path("accounts/", include("xietong.accounts.urls")),
    path("org/", include("xietong.org.urls")),
    path("processes/", include("xietong.processes.urls")),
    path("disputes/", include("xietong.disputes.urls")),
    path("notices/", include("xietong.notices.urls")),
    path("knowledge/", include("xietong.knowledge.urls")),
    path("progress/", include("xietong.progress.urls")),
    path("search/", include("xietong.search.urls")),
    path("packages/", include("xietong.packages.urls")),
    path("audit/", include("xietong.audit.urls")),
    path("attachments/", include("xietong.attachments.urls")),
    path("notifications/", include("xietong.notify.urls")),
    path("api/v1/", include("xietong.api.urls")),
    path("admin/", admin.site.urls),
]
