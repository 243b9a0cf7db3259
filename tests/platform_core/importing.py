"""Helpers for import tests: build files in memory and run them through the real job path."""
import io
import json
import wave
import zipfile

import numpy as np
from django.core.files.base import ContentFile
from PIL import Image

from platform_core.imports.runner import import_run
from platform_core.imports.services import import_job_create


def run_import(project, name: str, content: bytes | str):
    if isinstance(content, str):
        content = content.encode()
    job = import_job_create(
        project=project, user=None, upload=ContentFile(content, name=name), enqueue=False
    )
    return import_run(job_id=job.pk)


def jsonl(*rows) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def png_bytes(width=8, height=6, color=(200, 30, 30), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format=fmt)
    return buffer.getvalue()


def wav_bytes(seconds=0.5, rate=8000, freq=440.0) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.3 * np.sin(2 * np.pi * freq * t) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes], symlinks: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in symlinks:
                info.external_attr = (0o120777 << 16)
            archive.writestr(info, data)
    return buffer.getvalue()


def errors_of(job) -> dict[int, str]:
    return {error["row"]: error["error"] for error in job.errors}
