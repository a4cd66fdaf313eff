from rest_framework.routers import SimpleRouter

from xietong.notices.api import views

router = SimpleRouter()
router.register("", views.NoticeViewSet, basename="notice")
urlpatterns = router.urls
