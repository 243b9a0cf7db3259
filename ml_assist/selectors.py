"""Reads of ml_assist: accepted labels, model versions, jobs (scoped to the caller where a
person asks)."""
from django.db.models import QuerySet
from django.http import Http404

from annotator.models import Annotation, AnnotationStatus
from ml_assist.models import MlJob, MlJobKind, ModelVersion
from platform_core.models import Project, Task, TaskStatus
from platform_core.selectors import projects_for_user

# Versions listed by the models API and page; a project retrained every 50 labels for a year
# has thousands, and only the recent ones are read.
VERSIONS_SHOWN = 100

# Submitted annotations no reviewer has decided on yet: training data only where the project
# says so (`train_on_unreviewed`, for projects without reviewers).
UNREVIEWED_TASK_STATUSES = (TaskStatus.SUBMITTED, TaskStatus.IN_PROGRESS)


def unreviewed_annotations(*, project: Project) -> QuerySet[Annotation]:
    return Annotation.objects.filter(
        task__project=project,
        status=AnnotationStatus.SUBMITTED,
        task__status__in=UNREVIEWED_TASK_STATUSES,
    )


def accepted_labels(*, project: Project) -> list[tuple[int, dict]]:
    """(task id, result) per task with an accepted label, in task order.

    An accepted label is a task's `accepted_result`: what a reviewer accepted or corrected, or
    a machine label a spot-check confirmed. With `train_on_unreviewed`, a task still waiting
    for review adds its latest submitted annotation.

    No ORDER BY and no server-side cursor on purpose: both invite a "fast start" plan, and
    right after a bulk load (statistics still saying the annotations table is small) one such
    plan scanned every annotation once per task of the project, 40 s for 10,000 labels."""
    chosen: dict[int, dict] = dict(
        Task.objects.filter(
            project=project, status=TaskStatus.ACCEPTED, accepted_result__isnull=False
        ).values_list("id", "accepted_result")
    )
    if project.train_on_unreviewed:
        newest: dict[int, tuple] = {}
        rows = unreviewed_annotations(project=project).values_list(
            "task_id", "updated_at", "id", "result"
        )
        for task_id, updated_at, pk, result in rows:
            if task_id not in newest or (updated_at, pk) > newest[task_id][0]:
                newest[task_id] = ((updated_at, pk), result)
        chosen.update({task_id: result for task_id, (_, result) in newest.items()})
    return sorted(chosen.items())


def accepted_label_count(*, project: Project) -> int:
    """Tasks with an accepted label (as accepted_labels counts them): aggregate queries."""
    count = Task.objects.filter(
        project=project, status=TaskStatus.ACCEPTED, accepted_result__isnull=False
    ).count()
    if project.train_on_unreviewed:
        count += unreviewed_annotations(project=project).values("task_id").distinct().count()
    return count


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
        "training_labels": {
            "count": accepted_label_count(project=project),
            "includes_unreviewed": project.train_on_unreviewed,
        },
        "version_count": model_versions(project=project).count(),
        "versions": versions,
    }


def routing_overview(*, project: Project) -> dict:
    """What the routing API and the models page show: the threshold, the policy, the active
    version's proposal, the exploration band's evidence, and the timeline of moves."""
    from ml_assist.routing import routing_policy_of
    from ml_assist.services.thresholds import band_evidence, threshold_proposal, threshold_timeline

    policy = routing_policy_of(project)
    return {
        "auto_accept_threshold": project.auto_accept_threshold,
        "target_precision": project.target_precision,
        "policy": {
            "apply_proposals": policy.apply_proposals,
            "exploration_width": policy.exploration_width,
            "exploration_rate": policy.exploration_rate,
        },
        "proposal": threshold_proposal(project=project),
        "band": (
            band_evidence(project=project, policy=policy)
            if project.auto_accept_threshold is not None
            else None
        ),
        "timeline": threshold_timeline(project=project),
    }
