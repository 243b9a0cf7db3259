"""Reads of ml_assist: accepted labels, model versions, jobs (scoped to the caller where a
person asks)."""
from django.db.models import Q, QuerySet
from django.http import Http404

from annotator.models import Annotation, AnnotationStatus
from ml_assist.models import MlJob, MlJobKind, ModelVersion
from platform_core.models import Project, TaskStatus
from platform_core.selectors import projects_for_user

# Versions listed by the models API and page; a project retrained every 50 labels for a year
# has thousands, and only the recent ones are read.
VERSIONS_SHOWN = 100

# What counts as an accepted label while there is no review flow yet: an annotation a reviewer
# accepted, or a submitted one whose task was not rejected. A reviewer's "reject" (annotation
# or task rejected) takes a label out; when reviews arrive, only their verdicts will change
# which rows match, not this module's callers.
ACCEPTED_LABEL = Q(status=AnnotationStatus.ACCEPTED) | (
    Q(status=AnnotationStatus.SUBMITTED) & ~Q(task__status=TaskStatus.REJECTED)
)


def accepted_annotations(*, project: Project) -> QuerySet[Annotation]:
    return Annotation.objects.filter(ACCEPTED_LABEL, task__project=project)


def accepted_labels(*, project: Project) -> list[tuple[int, dict]]:
    """(task id, result) per task with an accepted label, in task order: one per task, an
    accepted annotation before a merely submitted one, else the latest.

    No ORDER BY and no server-side cursor on purpose: both invite a "fast start" plan, and
    right after a bulk load (statistics still saying the annotations table is small) one such
    plan scanned every annotation once per task of the project, 40 s for 10,000 labels."""
    rows = accepted_annotations(project=project).values_list(
        "task_id", "status", "updated_at", "id", "result"
    )
    chosen: dict[int, tuple] = {}
    for task_id, status, updated_at, pk, result in rows:
        rank = (status == AnnotationStatus.ACCEPTED, updated_at, pk)
        if task_id not in chosen or rank > chosen[task_id][0]:
            chosen[task_id] = (rank, result)
    return [(task_id, chosen[task_id][1]) for task_id in sorted(chosen)]


def accepted_label_count(*, project: Project) -> int:
    """Tasks with an accepted label: one aggregate query."""
    return accepted_annotations(project=project).values("task_id").distinct().count()


def active_version(*, project: Project) -> ModelVersion | None:
    return ModelVersion.objects.filter(project=project, is_active=True).first()


def model_versions(*, project: Project) -> QuerySet[ModelVersion]:
    return ModelVersion.objects.filter(project=project).order_by("-created_at", "-id")


def last_training_job(*, project: Project) -> MlJob | None:
    return (
        MlJob.objects.filter(project=project, kind=MlJobKind.TRAIN).order_by("-created_at", "-id").first()
    )


def recent_jobs(*, project: Project, limit: int = 10) -> list[MlJob]:
    return list(
        MlJob.objects.filter(project=project)
        .select_related("model_version", "created_by")
        .order_by("-created_at", "-id")[:limit]
    )


def ml_job_get_for_user(*, user, job_id) -> MlJob:
    """The job if the caller is a member of its project's organization; else Http404."""
    jobs = MlJob.objects.filter(project__in=projects_for_user(user=user)).select_related(
        "project", "model_version"
    )
    try:
        return jobs.get(pk=job_id)
    except (MlJob.DoesNotExist, ValueError, TypeError):
        raise Http404("No such job.") from None


def models_overview(*, project: Project, limit: int = VERSIONS_SHOWN) -> dict:
    """What the models API and page show: versions newest first (at most `limit`), the active
    one's name, and confidence routing's threshold with the precision measured on the reviewed
    spot-check sample (ml_assist.routing; value None until something was reviewed)."""
    from ml_assist.routing import precision_estimate

    versions = list(model_versions(project=project)[:limit])
    active = next((v for v in versions if v.is_active), None) or active_version(project=project)
    estimate = precision_estimate(project=project)
    return {
        "project": project.pk,
        "active": active.name if active else None,
        "routing": {
            "auto_accept_threshold": project.auto_accept_threshold,
            "target_precision": project.target_precision,
            "review_sample_rate": project.review_sample_rate,
            "precision": {
                "value": estimate.precision, "low": estimate.low, "high": estimate.high,
                "n": estimate.n,
            },
        },
        "version_count": model_versions(project=project).count(),
        "versions": versions,
    }
