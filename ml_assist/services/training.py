"""Training: learn from accepted labels, measure on held-out ones, keep the better version."""
import logging
import time
from dataclasses import dataclass

from django.db import transaction

from ml_assist.artifacts import (
    ArtifactRefused,
    artifact_store,
    artifacts_removed_on_rollback,
    predictor_load,
)
from ml_assist.estimators import BasePredictor, make_predictor
from ml_assist.models import MlJob, MlJobKind, MlJobStatus, ModelVersion
from ml_assist.selectors import active_version
from ml_assist.services.examples import Examples, split_examples, training_examples
from ml_assist.services.jobs import job_finish, job_start, ml_job_create
from ml_assist.services.thresholds import threshold_propose
from ml_assist.thresholds import reliability_bins
from platform_core.jobs import ProjectDeleting, job_heartbeat, project_hold_unless_deleting
from platform_core.models import Project

logger = logging.getLogger(__name__)

VERSION_PREFIX = "builtin-v"


def model_train(*, job_id: int) -> MlJob | None:
    """Run a training job: fit on the accepted labels outside the held-out share, measure on
    that share, store a ModelVersion, and activate it only when it scores at least as well as
    the active version on the same held-out labels. The decision is the job's message.

    A redelivered job that finished is a no-op; one interrupted mid-way trains again from the
    start (the version row, its activation and the job's end are one transaction).
    """
    job = job_start(job_id=job_id, kind=MlJobKind.TRAIN)
    if job is None:
        return None
    try:
        with job_heartbeat(job):
            return _train(job)
    except ProjectDeleting:
        logger.info("Training job %s stopped: its project is being deleted", job.pk)
        return None
    except Exception:
        logger.exception("Training job %s failed", job.pk)
        job_finish(job=job, status=MlJobStatus.FAILED,
                   message="Training failed on an internal error; see the worker log.")
        raise


@dataclass
class Decision:
    activate: bool
    reason: str


def _train(job: MlJob) -> MlJob:
    project = job.project
    loading = time.perf_counter()
    examples = training_examples(project=project)
    train, held = split_examples(project.pk, examples)
    predictor = make_predictor(project.task_type, project.label_config)
    started = time.perf_counter()
    predictor.fit(train.items, train.results)
    seconds = time.perf_counter() - started
    logger.info("Training job %s: %s labels loaded in %.1fs, fitted in %.1fs",
                job.pk, len(examples), started - loading, seconds)
    if not predictor.is_trained:
        with transaction.atomic():
            job_finish(
                job=job, status=MlJobStatus.SUCCEEDED, total=len(examples), done=len(examples),
                message=(
                    f"No new version: {predictor.trained_on} usable accepted labels to train on "
                    f"({len(held)} more held out); {project.task_type} needs at least "
                    f"{predictor.min_labels}, with more than one distinct answer."
                ),
            )
            _prelabel_after(job)
        return job
    measuring = time.perf_counter()
    metrics, outcomes = (
        predictor.evaluate_outcomes(held.items, held.results) if len(held) else ({}, [])
    )
    metrics.update(held_out=len(held), train_seconds=round(seconds, 3))
    blob = predictor.dumps()
    with artifacts_removed_on_rollback(), transaction.atomic():
        # Serialises naming and activation; a project being deleted gets no new version.
        project_hold_unless_deleting(project.pk, exclusive=True)
        active = active_version(project=project)
        decision = _decide(predictor, metrics, active, held)
        version = version_save(project=project, predictor=predictor, metrics=metrics, blob=blob,
                               activate=decision.activate,
                               reliability=reliability_bins(*zip(*outcomes)) if outcomes else [])
        if decision.activate:
            threshold_propose(project=project, version=version, outcomes=outcomes)
        score = metrics.get(predictor.primary_metric)
        measured = (f"{predictor.primary_metric} {score:.3f} on {len(held)} held-out labels"
                    if score is not None else "no held-out labels to measure on")
        verdict = "activated" if decision.activate else "not activated"
        message = (f"{version.name} trained on {predictor.trained_on} labels in {seconds:.1f}s: "
                   f"{measured}; {verdict} ({decision.reason}).")
        job_finish(job=job, status=MlJobStatus.SUCCEEDED, message=message, model_version=version,
                   total=len(examples), done=len(examples))
        logger.info("Training job %s: measured, compared and stored in %.1fs",
                    job.pk, time.perf_counter() - measuring)
        _prelabel_after(job)
    return job


def _prelabel_after(job: MlJob) -> None:
    """A pre-labeling job after this training when it asked for one; even when no version won
    or none could be trained: tasks imported since get the active (or label-free) version's
    suggestions."""
    if job.params.get("prelabel_after"):
        ml_job_create(project=job.project, kind=MlJobKind.PRELABEL, user=job.created_by,
                      params={"trigger": f"after training job {job.pk}"})


def _decide(predictor: BasePredictor, metrics: dict, active: ModelVersion | None,
            held: Examples) -> Decision:
    if active is None:
        return Decision(True, "no version was active")
    if not len(held):
        return Decision(False, f"nothing held out to compare on; {active.name} stays active")
    try:
        current = predictor_load(active)
    except ArtifactRefused as exc:
        return Decision(True, f"the active {active.name} cannot be used: {exc}")
    primary = predictor.primary_metric
    new = float(metrics.get(primary) or 0.0)
    old = float(current.evaluate(held.items, held.results).get(primary) or 0.0)
    if new >= old:
        return Decision(True, f"{active.name} scores {old:.3f} on the same held-out labels")
    return Decision(False, f"{active.name} scores {old:.3f} on the same held-out labels and stays active")


def version_save(*, project: Project, predictor: BasePredictor, metrics: dict, blob: bytes,
                 activate: bool, reliability: list | None = None) -> ModelVersion:
    """Store the artifact (signed) and its ModelVersion row; activate it if asked.

    Precondition: inside a transaction holding the project's row lock (names are numbered).
    """
    number = ModelVersion.objects.filter(project=project).count() + 1
    while ModelVersion.objects.filter(project=project, name=f"{VERSION_PREFIX}{number}").exists():
        number += 1
    name = f"{VERSION_PREFIX}{number}"
    stored, signature = artifact_store(project_id=project.pk, name=name, blob=blob)
    ece = metrics.get("ece")
    version = ModelVersion(
        project=project, name=name, task_type=project.task_type,
        predictor=type(predictor).__name__, trained_on=predictor.trained_on,
        primary_metric=predictor.primary_metric, metrics=_json_safe(metrics),
        ece=float(ece) if ece is not None else None, reliability=reliability or [], artifact=stored,
        artifact_signature=signature,
    )
    version.full_clean(exclude=["project", "artifact"], validate_constraints=False)
    if activate:
        ModelVersion.objects.filter(project=project, is_active=True).update(is_active=False)
        version.is_active = True
    version.save()
    return version


def builtin_version_for_prelabel(*, project: Project) -> ModelVersion | None:
    """The active version; else, for a type whose predictor needs no labels (voice activity
    detection), a label-free version made and activated now; else None (nothing to say yet)."""
    version = active_version(project=project)
    if version is not None:
        return version
    predictor = make_predictor(project.task_type, project.label_config)
    if not predictor.ready:
        return None
    with artifacts_removed_on_rollback(), transaction.atomic():
        project_hold_unless_deleting(project.pk, exclusive=True)
        version = active_version(project=project)
        if version is None:
            version = version_save(project=project, predictor=predictor, metrics={},
                                   blob=predictor.dumps(), activate=True)
    return version


def _json_safe(metrics: dict) -> dict:
    return {key: (float(value) if isinstance(value, int | float) else value)
            for key, value in metrics.items()}
