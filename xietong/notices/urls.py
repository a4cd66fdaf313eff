from django.urls import path

from xietong.notices import views

app_name = "notices"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("to-acknowledge/", views.to_acknowledge, name="to_acknowledge"),
    path("new/", views.notice_create, name="create"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("<int:pk>/", views.notice_detail, name="detail"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:pk>/edit/", views.notice_edit, name="edit"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/pin/", views.pin, name="pin"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/report/", views.report, name="report"),
]
