import io
import json
import struct
import zipfile

import pytest
from django.core.files.storage import default_storage

from platform_core.imports import archives
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


def directory_only_zip(entries: int, declared: int | None = None, zip64: bool = False) -> bytes:
    """An archive that is all central directory: `entries` empty files of 51 bytes each (a
    million take no time to build), and end records declaring `declared` of them, in ZIP64 form
    when asked or when the count needs it, as zipfile writes them."""
    name = b"f.txt"
    entry = struct.pack(zipfile.structCentralDir, zipfile.stringCentralDir, 20, 0, 20, 0, 0, 0, 0, 0,
                        0, 0, 0, len(name), 0, 0, 0, 0, 0, 0) + name
    directory = entry * entries
    declared = entries if declared is None else declared
    if not zip64 and declared < 0xFFFF:
        end = struct.pack(zipfile.structEndArchive, zipfile.stringEndArchive, 0, 0,
                          declared, declared, len(directory), 0, 0)
        return directory + end
    record = struct.pack(zipfile.structEndArchive64, zipfile.stringEndArchive64, 44, 45, 45, 0, 0,
                         declared, declared, len(directory), 0)
    locator = struct.pack(zipfile.structEndArchive64Locator, zipfile.stringEndArchive64Locator,
                          0, len(directory), 1)
    end = struct.pack(zipfile.structEndArchive, zipfile.stringEndArchive, 0, 0,
                      0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return directory + record + locator + end


@pytest.fixture
def zipfile_opened(monkeypatch):
    """The paths of the archives zipfile.ZipFile opened (the import opens a path; the tests
    build their archives in memory)."""
    opened = []
    real = zipfile.ZipFile

    def recording(file, *args, **kwargs):
        if isinstance(file, str):
            opened.append(file)
        return real(file, *args, **kwargs)

    monkeypatch.setattr(archives.zipfile, "ZipFile", recording)
    return opened


def test_our_directory_builder_makes_archives_zipfile_reads(image_project):
    for zip64 in (False, True):
        with zipfile.ZipFile(io.BytesIO(directory_only_zip(3, zip64=zip64))) as archive:
            assert [info.filename for info in archive.infolist()] == ["f.txt"] * 3


def test_a_million_member_archive_is_refused_before_zipfile_lists_it(image_project, zipfile_opened):
    # zipfile would take some 20 s and 470 MB to list this 51 MB archive.
    job = run_import(image_project, "million.zip", directory_only_zip(1_000_000))
    assert job.status == "failed"
    assert job.message == "The archive holds 1000000 files; the limit is 200000."
    assert zipfile_opened == []


def test_the_zip64_member_count_is_read_too(image_project, settings, zipfile_opened):
    settings.IMPORT_MAX_ARCHIVE_MEMBERS = 3
    job = run_import(image_project, "many.zip", directory_only_zip(4, zip64=True))
    assert job.status == "failed" and job.message == "The archive holds 4 files; the limit is 3."
    assert zipfile_opened == []


def test_a_directory_too_large_for_the_member_limit_is_refused_unread(image_project, settings, zipfile_opened):
    # zipfile parses as many entries as the directory's size holds, whatever count is declared.
    settings.IMPORT_MAX_ARCHIVE_MEMBERS = 10
    job = run_import(image_project, "liar.zip", directory_only_zip(1000, declared=1))
    assert job.status == "failed"
    assert "list of files takes 51000 bytes, too many for the limit of 10 files" in job.message
    assert zipfile_opened == []


def test_an_archive_declaring_fewer_members_than_it_holds_is_counted(image_project, settings, zipfile_opened):
    settings.IMPORT_MAX_ARCHIVE_MEMBERS = 100
    job = run_import(image_project, "liar.zip", directory_only_zip(101, declared=1))
    assert job.status == "failed"
    assert job.message == "The archive holds more than 100 files; the limit is 100."
    assert zipfile_opened == []


def test_an_archive_within_the_limits_is_opened(image_project, settings, zipfile_opened):
    settings.IMPORT_MAX_ARCHIVE_MEMBERS = 2
    job = run_import(image_project, "two.zip", zip_bytes({"a.png": png_bytes(), "b.png": png_bytes(3, 3)}))
    assert job.imported == 2
    assert len(zipfile_opened) == 1


@pytest.mark.parametrize("content, problem", [
    (b"PK", ""),
    (b"PK\x03\x04" + b"x" * 100, "no end record"),
    (directory_only_zip(3)[:-30], "no end record"),  # cut short
    (directory_only_zip(3)[40:], "directory is larger than the file"),
])
def test_an_archive_without_a_sound_end_record_fails_clearly(image_project, zipfile_opened, content, problem):
    job = run_import(image_project, "cut.zip", content)
    assert job.status == "failed"
    assert job.message.startswith("The ZIP archive is broken or is not a ZIP file.")
    assert problem in job.message
    assert zipfile_opened == []
