from django.urls import path

from xietong.knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("", views.space_list, name="space_list"),
    path("spaces/new/", views.space_create, name="space_create"),
    path("spaces/<int:pk>/", views.space_detail, name="space_detail"),
    path("spaces/<int:pk>/edit/", views.space_edit, name="space_edit"),
    path("spaces/<int:pk>/pages/new/", views.page_create, name="page_create"),
    path("pages/preview/", views.page_preview, name="page_preview"),
    path("pages/<int:pk>/", views.page_detail, name="page_detail"),
    path("pages/<int:pk>/edit/", views.page_edit, name="page_edit"),
    path("pages/<int:pk>/delete/", views.page_delete, name="page_delete"),
    path("pages/<int:pk>/reviewed/", views.page_confirm_current, name="page_confirm_current"),
    path("pages/<int:pk>/history/", views.page_history, name="page_history"),
    path("pages/<int:pk>/versions/<int:number>/", views.page_version, name="page_version"),
    path("pages/<int:pk>/diff/", views.page_diff, name="page_diff"),
]
