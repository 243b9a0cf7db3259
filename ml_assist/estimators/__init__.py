"""Estimators that pre-label each task type: pure scikit-learn/numpy, no Django.

    predictor = make_predictor("text_classification", project.label_config)
    predictor.fit(items, accepted_results)          # silent (is_trained False) with too few labels
    predictor.predict(items) -> [Prediction | None]  # result in the type's shape + confidence
    predictor.evaluate(held_out_items, their_results) -> {"accuracy": ..., "ece": ...}
    blob = predictor.dumps(); same = loads(blob)     # sign `blob` before storing it
"""
import importlib

from ml_assist.estimators.base import (
    BasePredictor,
    Item,
    Prediction,
    Predictor,
    expected_calibration_error,
    loads,
)

# Imported on first use: a worker pre-labeling text never pays for scikit-image.
PREDICTORS = {
    "text_classification": "ml_assist.estimators.text_classification:TextClassifier",
    "text_spans": "ml_assist.estimators.text_spans:SpanTagger",
    "preference": "ml_assist.estimators.preference:PreferenceRanker",
    "sft": "ml_assist.estimators.sft:NearestResponse",
    "image_classification": "ml_assist.estimators.image_classification:ImageClassifier",
    "image_boxes": "ml_assist.estimators.image_boxes:BoxDetector",
    "audio_classification": "ml_assist.estimators.audio_classification:AudioClassifier",
    "audio_transcription": "ml_assist.estimators.audio_transcription:VoiceSegmenter",
}
TASK_TYPES = tuple(PREDICTORS)


def predictor_class(task_type: str) -> type[BasePredictor]:
    if task_type not in PREDICTORS:
        raise ValueError(f"No predictor for task type {task_type!r}.")
    module, name = PREDICTORS[task_type].split(":")
    return getattr(importlib.import_module(module), name)


def make_predictor(task_type: str, label_config: dict | None = None) -> BasePredictor:
    """A fresh, untrained predictor for a project of `task_type` with this `label_config`."""
    return predictor_class(task_type)(label_config or {})


__all__ = [
    "PREDICTORS",
    "TASK_TYPES",
    "BasePredictor",
    "Item",
    "Prediction",
    "Predictor",
    "expected_calibration_error",
    "loads",
    "make_predictor",
    "predictor_class",
]
