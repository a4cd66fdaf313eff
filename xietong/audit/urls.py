from django.urls import path

from xietong.audit import views

app_name = "audit"
urlpatterns = [
    path("<str:model>/<str:pk>/", views.object_log, name="object_log"),
]
