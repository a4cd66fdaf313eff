from rest_framework.routers import DefaultRouter

from xietong.org.api import views

router = DefaultRouter()
router.register("departments", views.DepartmentViewSet, basename="department")
router.register("people", views.PersonViewSet, basename="person")
router.register("committees", views.CommitteeViewSet, basename="committee")
urlpatterns = router.urls
