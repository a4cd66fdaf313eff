from django.urls import path

from xietong.progress import views

app_name = "progress"
urlpatterns = [
    path("", views.feed, name="feed"),
    path("posts/new/", views.post_create, name="post_create"),
    path("posts/<int:pk>/", views.post_detail, name="post_detail"),
    path("posts/<int:pk>/delete/", views.post_delete, name="post_delete"),
]
