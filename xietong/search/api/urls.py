from django.urls import path

from xietong.search.api.views import SearchApi

urlpatterns = [path("", SearchApi.as_view(), name="search")]
