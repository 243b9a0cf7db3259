"""ZIP archives of media, with an optional manifest naming each file and its metadata.

Limits are checked on the archive's own directory before anything is extracted (member count,
declared uncompressed size), and zipfile never inflates a member past its declared size, so a
zip bomb is refused up front. The member count is checked before zipfile even lists the
directory (see `_check_directory`). Members are stored under a name made from their content
hash, never from their path; a path that would escape the media folder is refused all the same.
"""
import hashlib
import mmap
import os
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

from platform_core.imports.probe import MEDIA_TYPES, MediaMismatch, probe_audio, probe_image
from platform_core.imports.readers import read_csv, read_json_lines
from platform_core.imports.records import ImportFileError, RowError, TaskRecord, data_checksum
from platform_core.models import Project, Task

MANIFEST_NAMES = {"manifest.csv": read_csv, "manifest.jsonl": read_json_lines}
SUFFIXES_BY_KIND = {
    "image": {".png", ".jpg", ".jpeg", ".webp"},
    "audio": {".wav", ".flac", ".mp3"},
    "text": {".txt"},
}
COPY_CHUNK = 1024 * 1024
BROKEN = "The ZIP archive is broken or is not a ZIP file."

# The records zipfile reads to find the central directory (PKWARE APPNOTE.TXT 4.3.12-4.3.16).
EOCD = struct.Struct("<4s4H2LH")  # end of central directory: 22 bytes, then a comment
EOCD_SIGNATURE = b"PK\x05\x06"
ZIP64_LOCATOR = struct.Struct("<4sLQL")  # 20 bytes just before the EOCD
ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")  # 56 bytes just before the locator
ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
CENTRAL_HEADER_SIZE = 46  # then the entry's name, extra fields and comment
CENTRAL_HEADER_SIGNATURE = b"PK\x01\x02"
CENTRAL_NAME_LENGTHS = struct.Struct("<3H")  # at offset 28 of the header
# A directory entry takes about 100 bytes in real archives (46 + a path + a timestamp field);
# zipfile reads the whole directory into memory before listing it, so a directory averaging
# more than this per allowed member is refused unread: 200 MB at the default 200,000 members.
DIRECTORY_BYTES_PER_MEMBER = 1024


class ArchiveSource:
    def __init__(self, path: str, project: Project):
        self.project = project
        self.kind = project.media_kind or "text"
        self.position = 0
        _check_directory(path)
        try:
            self.archive = zipfile.ZipFile(path)
            self.members = self.archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise ImportFileError(BROKEN) from None
        if len(self.members) > settings.IMPORT_MAX_ARCHIVE_MEMBERS:
            raise ImportFileError(
                f"The archive holds {len(self.members)} files; "
                f"the limit is {settings.IMPORT_MAX_ARCHIVE_MEMBERS}."
            )
        declared = sum(member.file_size for member in self.members)
        if declared > settings.IMPORT_MAX_UNCOMPRESSED_BYTES:
            raise ImportFileError(
                f"The archive would unpack to {declared} bytes; "
                f"the limit is {settings.IMPORT_MAX_UNCOMPRESSED_BYTES}."
            )

    def close(self) -> None:
        self.archive.close()

    def items(self) -> Iterator[TaskRecord | RowError]:
        manifest, manifest_member = {}, None
        for member in self.members:
            if member.filename.lower() in MANIFEST_NAMES:
                manifest_member = member
                manifest = yield from self._read_manifest(member)
        media_names = set()
        seen_checksums: set[str] = set()
        for number, member in enumerate(self.members, start=1):
            self.position = member.header_offset + member.compress_size
            if member.is_dir() or member is manifest_member or _is_clutter(member.filename):
                continue
            media_names.add(member.filename)
            problem = _unsafe(member)
            if problem is None:
                record = self._member_record(number, member, seen_checksums)
                if isinstance(record, TaskRecord):
                    record.meta = manifest.get(member.filename, (0, {}))[1]
                    seen_checksums.add(record.checksum)
                    yield record
                    continue
                problem = record
            yield RowError(number, f"{member.filename}: {problem}")
        for name, (line, _) in manifest.items():
            if name not in media_names:
                yield RowError(line, f"manifest names {name}, which is not in the archive")

    def _read_manifest(self, member):
        """Yields the manifest's bad rows; returns {file name: (manifest line, meta)}."""
        reader = MANIFEST_NAMES[member.filename.lower()]
        manifest = {}
        with self.archive.open(member) as stream:
            for item in reader(stream):
                if isinstance(item, RowError):
                    yield RowError(item.row, f"{member.filename}: {item.error}")
                    continue
                line, row = item
                name = row.get("file") if isinstance(row, dict) else None
                if not isinstance(name, str) or not name:
                    yield RowError(line, f"{member.filename}: row has no 'file' name")
                    continue
                meta = row.get("meta") if isinstance(row.get("meta"), dict) else {
                    key: value for key, value in row.items() if key != "file"
                }
                manifest[name] = (line, meta)
        return manifest

    def _member_record(self, number, member, seen_checksums) -> TaskRecord | str:
        suffix = PurePosixPath(member.filename).suffix.lower()
        if suffix not in SUFFIXES_BY_KIND[self.kind]:
            allowed = ", ".join(sorted(SUFFIXES_BY_KIND[self.kind]))
            return f"{suffix or 'a file without extension'} is not taken here; use {allowed}"
        if member.file_size > settings.IMPORT_MAX_MEDIA_FILE_BYTES:
            return f"{member.file_size} bytes is over the {settings.IMPORT_MAX_MEDIA_FILE_BYTES} limit"
        with tempfile.NamedTemporaryFile(suffix=suffix) as temp:
            try:
                digest = _extract(self.archive, member, temp)
            except (zipfile.BadZipFile, zlib.error, OSError, RuntimeError, EOFError) as exc:
                return f"cannot be extracted ({exc})"
            if self.kind == "text":
                return self._text_record(number, member, temp)
            try:
                facts = (probe_image if self.kind == "image" else probe_audio)(temp.name, suffix)
            except MediaMismatch as exc:
                return str(exc)
            record = TaskRecord(
                row=number,
                data={"file": member.filename},
                checksum=digest,
                media_type=facts.media_type,
                width=facts.width,
                height=facts.height,
                duration_s=facts.duration_s,
                sample_rate=facts.sample_rate,
            )
            if digest not in seen_checksums and not _in_project(self.project, digest):
                record.media = _store(self.project, digest, suffix, temp)
            return record

    def _text_record(self, number, member, temp) -> TaskRecord | str:
        temp.seek(0)
        try:
            text = temp.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            return "is not UTF-8 text"
        if not text.strip():
            return "is empty"
        # Same checksum as a JSON row {"text": …}: the same text is one task however it came.
        return TaskRecord(
            row=number,
            data={"text": text, "file": member.filename},
            checksum=data_checksum({"text": text}),
            media_type=MEDIA_TYPES[".txt"],
        )


def _check_directory(path: str) -> None:
    """Refuses an archive with too many members before zipfile lists them.

    zipfile builds a ZipInfo for every entry of the central directory before anything can be
    counted: a 51 MB archive of a million empty files costs 22 s and 470 MB. This finds the
    directory exactly as zipfile will, then walks only the entries' fixed headers and stops one
    past the limit, because zipfile parses as many entries as the directory's size holds,
    whatever count the end record declares.
    """
    limit = settings.IMPORT_MAX_ARCHIVE_MEMBERS
    with open(path, "rb") as file:
        if os.fstat(file.fileno()).st_size < EOCD.size:
            raise ImportFileError(BROKEN)
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            start, size, declared = _directory_location(data)
            if declared > limit:
                raise ImportFileError(f"The archive holds {declared} files; the limit is {limit}.")
            if size > limit * DIRECTORY_BYTES_PER_MEMBER:
                raise ImportFileError(
                    f"The archive's list of files takes {size} bytes, too many for the limit "
                    f"of {limit} files; the archive is refused."
                )
            if _count_entries(data, start, size, stop_after=limit) > limit:
                raise ImportFileError(
                    f"The archive holds more than {limit} files; the limit is {limit}."
                )


def _directory_location(data) -> tuple[int, int, int]:
    """(start, size, declared entry count) of the central directory, read as zipfile reads it:
    the last end record in the final 64 KB, the ZIP64 record when a locator precedes it, and a
    directory that ends where those records begin, whatever offset it declares."""
    at = data.rfind(EOCD_SIGNATURE, max(len(data) - EOCD.size - (1 << 16), 0))
    if at < 0 or at + EOCD.size > len(data):
        raise ImportFileError(f"{BROKEN} (It has no end record: not a ZIP, or cut short.)")
    _, _, _, _, count, size, _, _ = EOCD.unpack_from(data, at)
    records = 0
    locator_at = at - ZIP64_LOCATOR.size
    if locator_at >= 0 and data[locator_at:locator_at + 4] == ZIP64_LOCATOR_SIGNATURE:
        _, disk, _, disks = ZIP64_LOCATOR.unpack_from(data, locator_at)
        record_at = locator_at - ZIP64_EOCD.size
        if disk != 0 or disks > 1 or record_at < 0:
            raise ImportFileError(f"{BROKEN} (Its ZIP64 end records are corrupt or multi-disk.)")
        fields = ZIP64_EOCD.unpack_from(data, record_at)
        if fields[0] == ZIP64_EOCD_SIGNATURE:  # else zipfile keeps the plain record's figures
            count, size = fields[7], fields[8]
            records = ZIP64_LOCATOR.size + ZIP64_EOCD.size
    start = at - records - size
    if start < 0:
        raise ImportFileError(f"{BROKEN} (Its directory is larger than the file.)")
    return start, size, count


def _count_entries(data, start: int, size: int, stop_after: int) -> int:
    """Entries in the directory, counted as zipfile walks them, but no further than one past
    `stop_after`. The directory's bytes are mapped, not read: the walk costs no memory."""
    end = min(start + size, len(data))
    position, count = start, 0
    while position - start < size and count <= stop_after:
        header_end = position + CENTRAL_HEADER_SIZE
        if header_end > end or data[position:position + 4] != CENTRAL_HEADER_SIGNATURE:
            raise ImportFileError(BROKEN)
        name, extra, comment = CENTRAL_NAME_LENGTHS.unpack_from(data, position + 28)
        position = header_end + name + extra + comment
        count += 1
    return count


def _is_clutter(name: str) -> bool:
    path = PurePosixPath(name)
    return path.parts[0] == "__MACOSX" or path.name.startswith(".")


def _unsafe(member: zipfile.ZipInfo) -> str | None:
    name = member.filename
    path = PurePosixPath(name)
    if (
        "\\" in name
        or "\x00" in name
        or path.is_absolute()
        or ".." in path.parts
        or (len(name) > 1 and name[1] == ":")
    ):
        return "path would escape the media folder; refused"
    if stat.S_ISLNK(member.external_attr >> 16):
        return "symbolic links are refused"
    if member.flag_bits & 0x1:
        return "encrypted files are not supported"
    return None


def _extract(archive: zipfile.ZipFile, member, temp) -> str:
    digest = hashlib.sha256()
    with archive.open(member) as source:
        while chunk := source.read(COPY_CHUNK):
            digest.update(chunk)
            temp.write(chunk)
    temp.flush()
    return digest.hexdigest()


def _in_project(project: Project, checksum: str) -> bool:
    return Task.objects.filter(project=project, checksum=checksum).exists()


def _store(project: Project, checksum: str, suffix: str, temp) -> str:
    """Content-addressed: a retried import finds the file it stored the first time."""
    name = f"projects/{project.pk}/media/{checksum[:2]}/{checksum}{suffix}"
    if not default_storage.exists(name):
        temp.seek(0)
        name = default_storage.save(name, File(temp))
    return name
