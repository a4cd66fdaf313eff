from rest_framework.routers import SimpleRouter

from xietong.disputes.api import views

router = SimpleRouter()
router.register("disputes", views.DisputeViewSet, basename="dispute")
router.register("ladders", views.LadderViewSet, basename="ladder")
urlpatterns = router.urls
