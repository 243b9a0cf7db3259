"""Where a pre-labeling pass gets its suggestions: the project's built-in model version, and/or
the model server it names (Label Studio ML backend protocol, ml_assist.external)."""
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ml_assist import external
from ml_assist.artifacts import predictor_load
from ml_assist.estimators import BasePredictor
from ml_assist.estimators import Prediction as Suggestion
from ml_assist.models import MlJob, ModelVersion
from ml_assist.services.examples import task_items
from ml_assist.services.training import builtin_version_for_prelabel
from platform_core.models import Project, Task

logger = logging.getLogger(__name__)

EXTERNAL_PREFIX = "external:"
# Tasks per /predict request: a speech model transcribing 20 clips answers well within
# ML_SERVER_TIMEOUT_S; our own estimators take 500 at a time (services.prelabel.BATCH_SIZE).
EXTERNAL_BATCH_SIZE = 20

# rows of examples.ITEM_COLUMNS -> one suggestion (or None: nothing to say) per row
PredictRows = Callable[[Sequence[tuple]], list[Suggestion | None]]


class SourceUnavailable(Exception):
    """The source cannot predict at all (a model server that is down, answering garbage)."""


@dataclass
class Source:
    name: str  # written to Prediction.model_version
    predict_rows: PredictRows
    version: ModelVersion | None = None
    batch_size: int | None = None  # None: the job's


def builtin_source(*, job: MlJob) -> tuple[Source | None, str]:
    """The built-in source and '' ; or None and why there is nothing to predict with.

    The version is fixed on the job at its first start, so a redelivered job goes on with the
    version it began with even if a training activated another one since.
    """
    project = job.project
    version = job.model_version or builtin_version_for_prelabel(project=project)
    if version is None:
        return None, (
            f"No model yet: the {project.get_task_type_display().lower()} model learns from "
            "accepted labels and has none it can use; train once people have labeled some tasks."
        )
    if job.model_version_id != version.pk:
        job.model_version = version
        job.save(update_fields=["model_version"])
    predictor = predictor_load(version)
    if not predictor.ready:
        return None, f"{version.name} has not learned anything yet; nothing was predicted."
    return Source(version.name, _builtin_predict(project, predictor), version=version), ""


def _builtin_predict(project: Project, predictor: BasePredictor) -> PredictRows:
    def predict(rows: Sequence[tuple]) -> list[Suggestion | None]:
        items = task_items(project.task_type, rows)
        usable = [i for i, item in enumerate(items) if item is not None]
        said = predictor.predict([items[i] for i in usable]) if usable else []
        out: list[Suggestion | None] = [None] * len(rows)
        for i, suggestion in zip(usable, said, strict=True):
            out[i] = suggestion
        return out

    return predict


def external_source(*, job: MlJob) -> tuple[Source | None, str]:
    """The project's model server (ml_assist.external), when it names one.

    Its predictions are stored under "external:<the server's model version>", asked once per
    job through /setup and kept in the job's params, so a redelivered job goes on under the
    same name (and skips what it wrote). SourceUnavailable when the server is down or answers
    garbage: the job fails with the client's message.
    """
    project = job.project
    if not project.model_server_url:
        return None, ""
    name = job.params.get("external_model_version")
    if not name:
        try:
            with external.ModelServerClient(project.model_server_url) as client:
                version = client.setup(project=project)
        except external.ModelServerError as exc:
            raise SourceUnavailable(str(exc)) from None
        name = (f"{EXTERNAL_PREFIX}{version}" if version else EXTERNAL_PREFIX.rstrip(":"))[:100]
        job.params = {**job.params, "external_model_version": name}
        job.save(update_fields=["params"])
    return Source(name, _external_predict(project), batch_size=EXTERNAL_BATCH_SIZE), ""


def _external_predict(project: Project) -> PredictRows:
    def predict(rows: Sequence[tuple]) -> list[Suggestion | None]:
        # Unsaved Task objects carrying what the client reads (data, media name, duration).
        tasks = [
            Task(pk=task_id, project=project, data=data, media=media or "", duration_s=duration)
            for task_id, data, media, duration in rows
        ]
        try:
            answers = external.model_server_predict(project=project, tasks=tasks)
        except external.ModelServerError as exc:
            raise SourceUnavailable(str(exc)) from None
        by_task = {answer.task_id: answer for answer in answers}
        out: list[Suggestion | None] = []
        for task_id, *_ in rows:
            answer = by_task.get(task_id)
            if answer is None:
                out.append(None)
                continue
            confidence = answer.confidence
            # Without a score the task is as uncertain as it gets for the queue.
            uncertainty = 1.0 - confidence if confidence is not None else 1.0
            out.append(Suggestion(answer.result, confidence, uncertainty))
        return out

    return predict


def prelabel_sources(*, job: MlJob) -> tuple[list[Source], list[str]]:
    """The sources this project's pass uses and notes for the job message."""
    sources, notes = [], []
    project = job.project
    if project.use_builtin_model or not project.model_server_url:
        source, note = builtin_source(job=job)
        if source is not None:
            sources.append(source)
        if note:
            notes.append(note)
    source, note = external_source(job=job)
    if source is not None:
        sources.append(source)
    if note:
        notes.append(note)
    return sources, notes
