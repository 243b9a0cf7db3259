"""Turns parsed rows (plain objects or Label Studio tasks) into task records for one project."""
from platform_core.imports.records import RowError, SuggestionRecord, TaskRecord, data_record
from platform_core.label_config import label_values
from platform_core.label_studio import from_label_studio
from platform_core.models import Project

# The text fields each row-based type needs in `data`; media types take files, not rows.
REQUIRED_TEXT_FIELDS = {
    "text_classification": ("text",),
    "text_spans": ("text",),
    "preference": ("prompt", "response_a", "response_b"),
    "sft": ("prompt",),
}
IMPORTED_MODEL_VERSION = "imported"


class RowConverter:
    def __init__(self, project: Project):
        self.task_type = project.task_type
        self.required = REQUIRED_TEXT_FIELDS.get(project.task_type)
        self.known_labels = set(label_values(project.label_config))

    def convert(self, number: int, row) -> list[TaskRecord | RowError]:
        """The row's record, after a RowError for each of its predictions left out; or the
        row's RowError alone. A list, not a generator: this runs once per row of the file."""
        if self.required is None:
            return [RowError(number, f"{self.task_type} projects take media files: upload a ZIP archive.")]
        if not isinstance(row, dict):
            return [RowError(number, "Row must be a JSON object.")]
        data = row.get("data")
        if isinstance(data, dict):  # a Label Studio task
            predictions = row.get("predictions")
            meta = row.get("meta")
            if not isinstance(meta, dict):
                meta = {}
        else:
            data, predictions, meta = row, None, {}
        for name in self.required:
            value = data.get(name)
            if not isinstance(value, str) or not value or value.isspace():
                return [RowError(number, f"'{name}' must be non-empty text.")]
        record = data_record(number, data, meta=meta)
        if not predictions:
            return [record]
        items: list[TaskRecord | RowError] = []
        for index, prediction in enumerate(predictions if isinstance(predictions, list) else [None]):
            try:
                record.suggestions.append(self._suggestion(prediction))
            except ValueError as exc:
                items.append(RowError(number, f"predictions[{index}] ignored: {exc}."))
        items.append(record)
        return items

    def _suggestion(self, prediction) -> SuggestionRecord:
        if not isinstance(prediction, dict):
            raise ValueError("a prediction must be an object")
        result = from_label_studio(self.task_type, prediction.get("result"))
        unknown = self._labels_in(result) - self.known_labels
        if self.known_labels and unknown:
            raise ValueError(f"unknown label {sorted(unknown)[0]!r}")
        score = prediction.get("score")
        confidence = float(score) if isinstance(score, (int, float)) and 0 <= score <= 1 else None
        version = str(prediction.get("model_version") or IMPORTED_MODEL_VERSION)[:100]
        return SuggestionRecord(model_version=version, result=result, confidence=confidence)

    @staticmethod
    def _labels_in(result: dict) -> set[str]:
        labels = set(result.get("labels", []))
        for key in ("spans", "boxes", "segments"):
            labels.update(item["label"] for item in result.get(key, []) if "label" in item)
        return labels
