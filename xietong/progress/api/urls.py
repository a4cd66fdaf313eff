from rest_framework.routers import SimpleRouter

from xietong.progress.api import views

router = SimpleRouter()
router.register("posts", views.PostViewSet, basename="progress-post")
urlpatterns = router.urls
