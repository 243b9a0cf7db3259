"""COCO and YOLO for image boxes: a ZIP with the images and the annotation files, built while it
is sent (stream-zip writes each member's sizes after its data, so nothing is held back for a
central directory but one line per member).

COCO:  annotations.json, then images/<task id>_<name>.
       bbox is [x, y, width, height] in pixels from our fractions × the image's width and height.
YOLO:  images/<task id>_<name> and labels/<task id>_<stem>.txt side by side, then data.yaml
       and classes.txt; a label line is "class x_centre y_centre width height", normalised 0..1.

Class ids follow the project's labels in order (COCO from 1, YOLO from 0); a label used in a
result but since removed from the project gets the next id. Because classes are known only once
every result has been read, COCO writes `categories` last in its JSON object and YOLO writes its
class files at the end of the ZIP. Tasks without a final label are left out (an image without
boxes would read as "nothing here"). An image whose file is missing from storage (a purge under
way) is left out of the ZIP and logged; COCO has listed it already.
"""
import logging
import stat
import zlib
from collections.abc import Iterator
from pathlib import PurePosixPath

import orjson
from django.utils import timezone
from stream_zip import ZIP_64, ZIP_AUTO, stream_zip

from platform_core.exports.reader import ExportRow, TaskSource
from platform_core.label_config import label_values
from platform_core.models import Task

logger = logging.getLogger(__name__)

FILE_MODE = stat.S_IFREG | 0o644
READ_CHUNK = 256 * 1024  # bytes of an image read from storage at a time


class _Classes:
    """Label -> class id, the project's labels first, later ones as results use them."""

    def __init__(self, project, first_id: int):
        labels = label_values(project.label_config)
        self.ids = {label: first_id + i for i, label in enumerate(labels)}
        self.next = first_id + len(self.ids)

    def id_of(self, label: str) -> int:
        if label not in self.ids:
            self.ids[label] = self.next
            self.next += 1
        return self.ids[label]


def _image_name(row: ExportRow) -> str:
    return f"images/{row.id}_{PurePosixPath(row.media).name}"


def _labeled(source: TaskSource) -> Iterator[tuple[ExportRow, list[dict]]]:
    for rows in source.batches():
        for row in rows:
            if row.result is not None and row.media:
                yield row, orjson.loads(row.result).get("boxes", [])


def _image_member(row: ExportRow, modified):
    """The ZIP member for the task's image, or None when the file cannot be read."""
    storage = Task._meta.get_field("media").storage
    try:
        size = storage.size(row.media)
        handle = storage.open(row.media, "rb")
    except OSError:
        logger.warning("Export: the image of task %s (%s) is missing; left out", row.id, row.media)
        return None

    def chunks():
        with handle:
            while chunk := handle.read(READ_CHUNK):
                yield chunk

    # Images are compressed already: deflate level 0 stores them (no CPU) and streams them.
    return _image_name(row), modified, FILE_MODE, ZIP_AUTO(size, level=0), chunks()


def _zip(members) -> Iterator[bytes]:
    return stream_zip(members, get_compressobj=lambda: zlib.compressobj(6, zlib.DEFLATED, -15))


def write_coco(source: TaskSource) -> Iterator[bytes]:
    modified = timezone.now()

    def members():
        yield "annotations.json", modified, FILE_MODE, ZIP_64, _coco_json(source, modified)
        for row, _ in _labeled(source):
            if (member := _image_member(row, modified)) is not None:
                yield member

    return _zip(members())


def _coco_json(source: TaskSource, created) -> Iterator[bytes]:
    project = source.project
    info = {"description": project.name, "version": "1.0", "date_created": created.isoformat()}
    yield b'{"info":' + orjson.dumps(info) + b',"licenses":[],"images":['
    comma = b""
    for row, _ in _labeled(source):
        if row.width and row.height:
            image = {"id": row.id, "file_name": _image_name(row), "width": row.width,
                     "height": row.height}
            yield comma + orjson.dumps(image)
            comma = b","
    yield b'],"annotations":['
    classes, number, comma = _Classes(project, first_id=1), 0, b""
    for row, boxes in _labeled(source):
        if not (row.width and row.height):
            continue  # pixels need the size; the import records it for every image it reads
        parts = []
        for box in boxes:
            number += 1
            x, y = box["x"] * row.width, box["y"] * row.height
            w, h = box["w"] * row.width, box["h"] * row.height
            parts.append(orjson.dumps({
                "id": number, "image_id": row.id, "category_id": classes.id_of(box["label"]),
                "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0, "segmentation": [],
            }))
        if parts:
            yield comma + b",".join(parts)
            comma = b","
    categories = [{"id": pk, "name": label, "supercategory": ""}
                  for label, pk in classes.ids.items()]
    yield b'],"categories":' + orjson.dumps(categories) + b"}"


def write_yolo(source: TaskSource) -> Iterator[bytes]:
    modified = timezone.now()
    classes = _Classes(source.project, first_id=0)

    def members():
        for row, boxes in _labeled(source):
            image = _image_member(row, modified)
            if image is None:
                continue
            yield image
            lines = "".join(
                f"{classes.id_of(b['label'])} {b['x'] + b['w'] / 2:.6f} {b['y'] + b['h'] / 2:.6f} "
                f"{b['w']:.6f} {b['h']:.6f}\n"
                for b in boxes
            )
            label_file = f"labels/{PurePosixPath(image[0]).stem}.txt"
            yield label_file, modified, FILE_MODE, ZIP_64, (lines.encode(),)
        names = [label.replace("\n", " ") for label in classes.ids]
        class_lines = "".join(f"{name}\n" for name in names).encode()
        yield "classes.txt", modified, FILE_MODE, ZIP_64, (class_lines,)
        yield "data.yaml", modified, FILE_MODE, ZIP_64, (_data_yaml(names).encode(),)

    return _zip(members())


def _data_yaml(names: list[str]) -> str:
    # Names as JSON strings, which YAML reads as they are whatever characters a label holds.
    lines = ["path: .", "train: images", "val: images", f"nc: {len(names)}", "names:"]
    lines += [f"  {i}: {orjson.dumps(name).decode()}" for i, name in enumerate(names)]
    return "\n".join(lines) + "\n"
