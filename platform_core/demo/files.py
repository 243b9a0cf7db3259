"""Write the demo items as files our importer takes, keeping the answers out of them.

Text types become JSONL (one plain object per line: its keys become the task's data); media
types become a ZIP of PNG / WAV files with a `manifest.jsonl` at its root naming each file and
its `meta`. The ground truth is returned, and also written next to each file as
`<type>.truth.jsonl` for benchmarks and estimator experiments; it is never imported.
Output is byte-for-byte the same for the same seed (ZIP entries carry a fixed timestamp).
"""
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from platform_core.demo.audio import make_audio_classification, make_audio_transcription
from platform_core.demo.chat import make_preference, make_sft
from platform_core.demo.common import DemoItem, Seed, as_rng
from platform_core.demo.images import make_image_boxes, make_image_classification
from platform_core.demo.text import make_text_classification, make_text_spans

GENERATORS: dict[str, Callable[[int, Seed], list[DemoItem]]] = {
    "text_classification": make_text_classification,
    "text_spans": make_text_spans,
    "preference": make_preference,
    "sft": make_sft,
    "image_classification": make_image_classification,
    "image_boxes": make_image_boxes,
    "audio_classification": make_audio_classification,
    "audio_transcription": make_audio_transcription,
}
MEDIA_TYPES = ("image_classification", "image_boxes", "audio_classification", "audio_transcription")
MANIFEST_NAME = "manifest.jsonl"
ZIP_DATE = (2024, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class DemoFile:
    """An importable file and its answers: row index (text, 0-based line number) or file name
    inside the archive (media) -> result in the task type's shape."""

    task_type: str
    path: Path
    truth: dict[int | str, dict]
    count: int


def _json_line(row: dict) -> str:
    return json.dumps(row, ensure_ascii=False) + "\n"


def write_jsonl(path: Path, items: list[DemoItem]) -> dict[int, dict]:
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(_json_line(item.data))
    return {row: item.result for row, item in enumerate(items)}


def write_media_zip(path: Path, items: list[DemoItem]) -> dict[str, dict]:
    # PNG and WAV-PCM hardly compress; storing them keeps generation fast.
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for item in items:
            archive.writestr(zipfile.ZipInfo(item.file_name, date_time=ZIP_DATE), item.content)
        manifest = "".join(_json_line({"file": i.file_name, "meta": i.meta}) for i in items)
        archive.writestr(zipfile.ZipInfo(MANIFEST_NAME, date_time=ZIP_DATE), manifest)
    return {item.file_name: item.result for item in items}


def write_truth(path: Path, truth: dict) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for key, result in truth.items():
            where = "file" if isinstance(key, str) else "row"
            handle.write(_json_line({where: key, "result": result}))


def write_demo_file(folder: Path | str, task_type: str, *, n: int, seed: Seed) -> DemoFile:
    """Generate `n` items of one task type into `folder` (created if missing)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    items = GENERATORS[task_type](n, as_rng(seed))
    if task_type in MEDIA_TYPES:
        path = folder / f"{task_type}.zip"
        truth = write_media_zip(path, items)
    else:
        path = folder / f"{task_type}.jsonl"
        truth = write_jsonl(path, items)
    write_truth(folder / f"{task_type}.truth.jsonl", truth)
    return DemoFile(task_type=task_type, path=path, truth=truth, count=len(items))


def write_demo_files(
    folder: Path | str, *, n: int, seed: Seed = 0, task_types: tuple[str, ...] | None = None
) -> dict[str, DemoFile]:
    """One importable file per task type. Each type draws from its own child generator, so
    its data depends only on `seed`, not on which other types are written."""
    chosen = task_types or tuple(GENERATORS)
    unknown = set(chosen) - set(GENERATORS)
    if unknown:
        raise ValueError(f"No demo generator for {', '.join(sorted(unknown))}.")
    children = as_rng(seed).spawn(len(GENERATORS))
    return {
        task_type: write_demo_file(folder, task_type, n=n, seed=child)
        for task_type, child in zip(GENERATORS, children)
        if task_type in chosen
    }
