from rest_framework.routers import SimpleRouter

from xietong.knowledge.api import views

router = SimpleRouter()
router.register("spaces", views.SpaceViewSet, basename="knowledge-space")
router.register("pages", views.PageViewSet, basename="knowledge-page")
urlpatterns = router.urls
