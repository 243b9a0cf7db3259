"""ml_assist's JSON API, mounted under /api/v1/ next to the platform's."""
from django.urls import path

from ml_assist.apis.jobs import MlJobDetailApi, ProjectPrelabelApi, ProjectTrainApi
from ml_assist.apis.routing import ProjectProposalApplyApi, ProjectRoutingApi
from ml_assist.apis.versions import ProjectModelsApi

app_name = "ml_api"

urlpatterns = [
    path("projects/<int:project_id>/prelabel/", ProjectPrelabelApi.as_view(), name="prelabel"),
    path("projects/<int:project_id>/train/", ProjectTrainApi.as_view(), name="train"),
    path("projects/<int:project_id>/models/", ProjectModelsApi.as_view(), name="models"),
    path("projects/<int:project_id>/routing/", ProjectRoutingApi.as_view(), name="routing"),
    path(
        "projects/<int:project_id>/routing/apply-proposal/",
        ProjectProposalApplyApi.as_view(),
        name="routing-apply-proposal",
    ),
    path("jobs/<int:job_id>/", MlJobDetailApi.as_view(), name="job-detail"),
]
