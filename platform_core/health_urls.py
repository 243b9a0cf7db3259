"""Root-level URLs outside /api/v1/: the health check and member-only task media."""
from django.urls import path

from platform_core.apis.health import HealthApi
from platform_core.media import TaskMediaView

urlpatterns = [
    path("healthz", HealthApi.as_view(), name="healthz"),
    path("media/tasks/<int:task_id>/", TaskMediaView.as_view(), name="task-media"),
]
