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
from annotator.apis.reviews import (
    AnnotationReviewApi,
    NextReviewApi,
    ReviewItemReleaseApi,
    ReviewProgressApi,
    TaskSpotCheckApi,
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
    path("projects/<int:project_id>/next-review/", NextReviewApi.as_view(), name="next-review"),
    path(
        "projects/<int:project_id>/review-progress/",
        ReviewProgressApi.as_view(),
        name="review-progress",
    ),
    path(
        "annotations/<int:annotation_id>/review/",
        AnnotationReviewApi.as_view(),
        name="annotation-review",
    ),
    path("tasks/<int:task_id>/spot-check/", TaskSpotCheckApi.as_view(), name="task-spot-check"),
    path(
        "review-items/<int:item_id>/release/",
        ReviewItemReleaseApi.as_view(),
        name="review-item-release",
    ),
]
