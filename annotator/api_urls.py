"""The annotator's JSON API, mounted under /api/v1/ next to the platform's."""
from django.urls import path

from annotator.apis.annotations import AnnotationDetailApi, TaskAnnotationCreateApi
from annotator.apis.queue import (
    NextTaskApi,
    ProjectGoldAccuracyApi,
    ProjectProgressApi,
    TaskReleaseApi,
    TaskSkipApi,
)

app_name = "annotator_api"

urlpatterns = [
    path("projects/<int:project_id>/next-task/", NextTaskApi.as_view(), name="next-task"),
    path("projects/<int:project_id>/progress/", ProjectProgressApi.as_view(), name="progress"),
    path(
        "projects/<int:project_id>/gold-accuracy/",
        ProjectGoldAccuracyApi.as_view(),
        name="gold-accuracy",
    ),
    path(
        "tasks/<int:task_id>/annotations/",
        TaskAnnotationCreateApi.as_view(),
        name="task-annotations",
    ),
    path("tasks/<int:task_id>/skip/", TaskSkipApi.as_view(), name="task-skip"),
    path("tasks/<int:task_id>/release/", TaskReleaseApi.as_view(), name="task-release"),
    path(
        "annotations/<int:annotation_id>/",
        AnnotationDetailApi.as_view(),
        name="annotation-detail",
    ),
]
