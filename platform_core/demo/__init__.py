"""Demo data made by the project itself: learnable items with their ground truth, per task type.

The generators are pure (numpy, Pillow, soundfile; no Django) and deterministic for a seed:
``make_<task_type>(n, seed) -> list[DemoItem]``. `write_demo_files` turns them into files our
importer takes; `manage.py seed_demo` loads those into a demo organization.
"""
from platform_core.demo.audio import make_audio_classification, make_audio_transcription
from platform_core.demo.chat import make_preference, make_sft
from platform_core.demo.common import DemoItem, as_rng
from platform_core.demo.files import (
    GENERATORS,
    MEDIA_TYPES,
    DemoFile,
    write_demo_file,
    write_demo_files,
)
from platform_core.demo.images import make_image_boxes, make_image_classification
from platform_core.demo.text import make_text_classification, make_text_spans

__all__ = [
    "GENERATORS",
    "MEDIA_TYPES",
    "DemoFile",
    "DemoItem",
    "as_rng",
    "make_audio_classification",
    "make_audio_transcription",
    "make_image_boxes",
    "make_image_classification",
    "make_preference",
    "make_sft",
    "make_text_classification",
    "make_text_spans",
    "write_demo_file",
    "write_demo_files",
]
