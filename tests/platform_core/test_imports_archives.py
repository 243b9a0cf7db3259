import json
import zipfile

import pytest
from django.core.files.storage import default_storage

from platform_core.models import Task, TaskType
from tests.factories import ProjectFactory
from tests.platform_core.importing import errors_of, png_bytes, run_import, wav_bytes, zip_bytes


@pytest.fixture
def image_project(db):
    return ProjectFactory(task_type=TaskType.IMAGE_CLASSIFICATION)


@pytest.fixture
def audio_project(db):
    return ProjectFactory(task_type=TaskType.AUDIO_TRANSCRIPTION)


def test_images_are_stored_privately_with_their_size_and_manifest_metadata(image_project):
    archive = zip_bytes({
        "cats/a.png": png_bytes(10, 7),
        "b.jpg": png_bytes(4, 3, fmt="JPEG"),
        "c.webp": png_bytes(5, 5, fmt="WEBP"),
        "manifest.csv": b"file,photographer\ncats/a.png,Ann\nb.jpg,Bob\n",
    })
    job = run_import(image_project, "photos.zip", archive)
    assert (job.status, job.imported, job.error_count) == ("succeeded", 3, 0)
    task = Task.objects.get(data__file="cats/a.png")
    assert (task.width, task.height, task.media_type) == (10, 7, "image/png")
    assert task.meta == {"photographer": "Ann"}
    assert task.media.name.startswith(f"projects/{image_project.pk}/media/")
    assert default_storage.exists(task.media.name)
    assert Task.objects.get(data__file="b.jpg").media_type == "image/jpeg"
    assert Task.objects.get(data__file="c.webp").meta == {}


def test_audio_gets_duration_and_sample_rate(audio_project):
    archive = zip_bytes({"clip.wav": wav_bytes(seconds=1.5, rate=8000)})
    job = run_import(audio_project, "clips.zip", archive)
    assert job.imported == 1
    task = Task.objects.get()
    assert task.sample_rate == 8000
    assert task.duration_s == pytest.approx(1.5)
    assert task.media_type == "audio/wav"


def test_jsonl_manifest_with_meta_objects(audio_project):
    manifest = json.dumps({"file": "x.wav", "meta": {"speaker": "s1", "lang": "zh-CN"}}) + "\n"
    archive = zip_bytes({"x.wav": wav_bytes(), "manifest.jsonl": manifest.encode()})
    run_import(audio_project, "a.zip", archive)
    assert Task.objects.get().meta == {"speaker": "s1", "lang": "zh-CN"}


def test_manifest_rows_naming_missing_files_are_reported(image_project):
    archive = zip_bytes({"a.png": png_bytes(), "manifest.csv": b"file,x\na.png,1\nghost.png,2\n"})
    job = run_import(image_project, "a.zip", archive)
    assert job.imported == 1
    assert "ghost.png" in errors_of(job)[3]


def test_the_same_image_twice_is_one_task_and_one_stored_file(image_project):
    same = png_bytes(6, 6)
    job = run_import(image_project, "a.zip", zip_bytes({"one.png": same, "two.png": same}))
    assert (job.imported, job.duplicates) == (1, 1)
    again = run_import(image_project, "b.zip", zip_bytes({"three.png": same}))
    assert (again.imported, again.duplicates) == (0, 1)
    media_dir = f"projects/{image_project.pk}/media/"
    stored = [name for _, files in [default_storage.listdir(media_dir + d) for d in default_storage.listdir(media_dir)[0]] for name in files]
    assert len(stored) == 1


def test_a_file_whose_content_does_not_match_its_extension_is_refused(image_project, audio_project):
    job = run_import(image_project, "a.zip", zip_bytes({
        "real.png": png_bytes(),
        "fake.png": b"<html><script>alert(1)</script></html>",
        "jpeg-named-png.png": png_bytes(fmt="JPEG"),
    }))
    errors = errors_of(job)
    assert job.imported == 1
    assert "fake.png" in errors[2] and "not a readable PNG" in errors[2]
    assert "JPEG, not PNG" in errors[3]
    audio = run_import(audio_project, "b.zip", zip_bytes({"song.wav": png_bytes(), "ok.wav": wav_bytes()}))
    assert audio.imported == 1
    assert "not a readable WAV" in errors_of(audio)[1]


def test_files_of_the_wrong_kind_for_the_project_are_refused(image_project):
    job = run_import(image_project, "a.zip", zip_bytes({"a.png": png_bytes(), "notes.txt": b"hi", "x.exe": b"MZ"}))
    assert job.imported == 1
    assert ".txt is not taken here" in errors_of(job)[2]
    assert ".exe is not taken here" in errors_of(job)[3]


@pytest.mark.parametrize("name", ["../evil.png", "/etc/evil.png", "a/../../evil.png", "C:evil.png", "a\\..\\evil.png"])
def test_a_member_path_that_would_escape_the_media_folder_is_refused(image_project, name):
    job = run_import(image_project, "slip.zip", zip_bytes({name: png_bytes(), "ok.png": png_bytes(3, 3)}))
    assert job.imported == 1
    assert "escape the media folder" in errors_of(job)[1]
    assert not Task.objects.filter(data__file=name).exists()


def test_symbolic_links_in_an_archive_are_refused(image_project):
    job = run_import(image_project, "l.zip", zip_bytes({"link.png": b"/etc/passwd"}, symlinks=("link.png",)))
    assert "symbolic links are refused" in errors_of(job)[1]


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(image_project, settings, tmp_path):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 10 * 1024 * 1024
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("zeros.png", b"\0" * (11 * 1024 * 1024))
    assert bomb.stat().st_size < 100 * 1024  # a few KB that claim to unpack to 11 MB
    job = run_import(image_project, "bomb.zip", bomb.read_bytes())
    assert job.status == "failed"
    assert "would unpack to" in job.message
    assert not Task.objects.exists()


def test_too_many_members_fail_the_archive(image_project, settings):
    settings.IMPORT_MAX_ARCHIVE_MEMBERS = 3
    job = run_import(image_project, "many.zip", zip_bytes({f"{i}.png": png_bytes(i + 1, 2) for i in range(4)}))
    assert job.status == "failed" and "the limit is 3" in job.message


def test_an_oversized_member_is_reported(image_project, settings):
    settings.IMPORT_MAX_MEDIA_FILE_BYTES = 50
    job = run_import(image_project, "a.zip", zip_bytes({"big.png": png_bytes(64, 64)}))
    assert "over the 50 limit" in errors_of(job)[1]


def test_a_broken_archive_fails_the_job_with_a_clear_message(image_project):
    job = run_import(image_project, "broken.zip", b"PK\x03\x04 this is not really a zip")
    assert job.status == "failed" and "broken or is not a ZIP" in job.message


def test_a_corrupt_member_is_a_row_error_and_the_rest_imports(image_project):
    good, bad = png_bytes(), png_bytes(9, 9, color=(1, 2, 3))
    archive = bytearray(zip_bytes({"good.png": good, "bad.png": bad}))
    offset = archive.index(b"bad.png") + len(b"bad.png") + 5  # inside bad.png's compressed bytes
    archive[offset:offset + 4] = b"\xde\xad\xbe\xef"
    job = run_import(image_project, "a.zip", bytes(archive))
    assert job.imported == 1
    assert "bad.png" in errors_of(job)[2]


def test_text_files_in_an_archive_become_text_tasks(db):
    project = ProjectFactory(task_type=TaskType.TEXT_CLASSIFICATION)
    job = run_import(project, "t.zip", zip_bytes({"a.txt": "héllo".encode(), "b.txt": b"\xff\xfe"}))
    assert job.imported == 1
    assert Task.objects.get().data == {"text": "héllo", "file": "a.txt"}
    assert "not UTF-8" in errors_of(job)[2]
