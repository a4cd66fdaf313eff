from rest_framework.routers import SimpleRouter

from xietong.processes.api import views

router = SimpleRouter()
router.register("processes", views.ProcessViewSet, basename="process")
router.register("cases", views.CaseViewSet, basename="case")
urlpatterns = router.urls
