"""Which formats a project may export, the options of an export, and the export itself."""
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from platform_core.exports.conll import write_conll
from platform_core.exports.images import write_coco, write_yolo
from platform_core.exports.json_formats import write_jsonl, write_label_studio
from platform_core.exports.reader import TaskSource, export_snapshot
from platform_core.exports.tables import write_csv
from platform_core.models import Dataset, Project, TaskType


@dataclass(frozen=True)
class ExportFormat:
    name: str
    extension: str
    content_type: str
    write: Callable[[TaskSource], Iterator[bytes]]
    task_types: tuple[str, ...] = tuple(TaskType.values)  # every type by default


FORMATS = {
    f.name: f
    for f in (
        ExportFormat("jsonl", "jsonl", "application/x-ndjson", write_jsonl),
        ExportFormat("csv", "csv", "text/csv; charset=utf-8", write_csv),
        ExportFormat("label-studio", "json", "application/json", write_label_studio),
        ExportFormat("coco", "zip", "application/zip", write_coco, (TaskType.IMAGE_BOXES,)),
        ExportFormat("yolo", "zip", "application/zip", write_yolo, (TaskType.IMAGE_BOXES,)),
        ExportFormat("conll", "conll", "text/plain; charset=utf-8", write_conll,
                     (TaskType.TEXT_SPANS,)),
    )
}


def export_formats_for(task_type: str) -> list[str]:
    return [f.name for f in FORMATS.values() if task_type in f.task_types]


@dataclass(frozen=True)
class ExportOptions:
    format: str = "jsonl"
    accepted_only: bool = True  # tasks accepted or auto-accepted; False: every task
    dataset_id: int | None = None
    annotations: bool = False  # each annotation: annotator, result, lead_time_s, status
    suggestions: bool = False  # each prediction: model_version, result, confidence
    # Prefix of media links ("https://label.example.com"); "" leaves them site-relative.
    media_base_url: str = ""


@dataclass(frozen=True)
class Export:
    filename: str
    content_type: str
    chunks: Iterator[bytes]  # lazy: nothing is read before the first chunk is asked for


def project_export(*, project: Project, options: ExportOptions) -> Export:
    """The export of `project` as chunks of bytes, read as they are asked for.

    ValidationError, before anything is read, when the format does not suit the project's type
    or the dataset is not the project's. Call with a project the caller may see the results of
    (reviewers, managers, admins); the chunks read every task the options select.
    """
    allowed = export_formats_for(project.task_type)
    if options.format not in allowed:
        raise ValidationError({"format": (
            f"{options.format!r} is not an export format for {project.task_type} projects; "
            f"use one of: {', '.join(allowed)}."
        )})
    if options.dataset_id is not None and not Dataset.objects.filter(
        pk=options.dataset_id, project=project
    ).exists():
        raise ValidationError({"dataset": f"This project has no dataset {options.dataset_id}."})
    export_format = FORMATS[options.format]
    source = TaskSource(
        project=project,
        accepted_only=options.accepted_only,
        dataset_id=options.dataset_id,
        annotations=options.annotations,
        suggestions=options.suggestions,
        media_base_url=options.media_base_url,
    )
    return Export(
        filename=f"project-{project.pk}-{export_format.name}.{export_format.extension}",
        content_type=export_format.content_type,
        chunks=_in_snapshot(export_format.write(source)),
    )


def _in_snapshot(chunks: Iterator[bytes]) -> Iterator[bytes]:
    with export_snapshot():
        yield from chunks
