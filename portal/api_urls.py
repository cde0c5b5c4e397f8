from django.urls import path

from portal import api

urlpatterns = [
    path("health", api.HealthView.as_view(), name="api-health"),
]
