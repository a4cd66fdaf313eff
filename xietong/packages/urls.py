from django.urls import path

from xietong.packages import views

app_name = "packages"
urlpatterns = [
    path("", views.index, name="index"),
    path("import/", views.preview, name="preview"),
    path("import/confirm/", views.confirm, name="confirm"),
    path("export/", views.export, name="export"),
    path("template.xlsx", views.template, name="template"),
]
