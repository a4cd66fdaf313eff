from django.urls import path
from rest_framework.routers import SimpleRouter

from xietong.notify.api import views

router = SimpleRouter()
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("webhooks", views.WebhookViewSet, basename="webhook")
router.register("deliveries", views.DeliveryViewSet, basename="delivery")
urlpatterns = [
    path("preferences/", views.NotificationPreferencesApi.as_view(), name="notification-preferences"),
    *router.urls,
]
