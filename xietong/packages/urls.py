from django.urls import path

from xietong.packages import views

app_name = "packages"
urlpatterns = [
    path("", views.index, name="index"),
    path("import/", views.preview, name="preview"),
    path("import/<uuid:job_id>/", views.job, name="job"),
    path("import/<uuid:job_id>/progress/", views.job_progress, name="job_progress"),
    path("import/<uuid:job_id>/confirm/", views.confirm, name="confirm"),
    path("export/", views.export, name="export"),
    path("template.xlsx", views.template, name="template"),
]
