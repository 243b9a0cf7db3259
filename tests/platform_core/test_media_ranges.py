"""HTTP Range requests on task media: players seek in long recordings without downloading them."""
import io

import pytest
from django.core.files.base import ContentFile

from platform_core.media import FileSlice
from platform_core.models import Role
from tests.platform_core.factories import TaskFactory

pytestmark = pytest.mark.django_db

CLIP = bytes(range(256)) * 40  # 10,240 bytes, every offset distinguishable from its neighbours


@pytest.fixture
def clip_client(project, member, api_client):
    task = TaskFactory(project=project, media_type="audio/wav")
    task.media.save("long.wav", ContentFile(CLIP), save=True)
    client = api_client(member(Role.REVIEWER, project.organization))
    url = f"/media/tasks/{task.id}/"
    return lambda method="get", **headers: getattr(client, method)(url, **headers)


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_byte_range_is_answered_with_exactly_those_bytes(clip_client):
    response = clip_client(HTTP_RANGE="bytes=1000-1999")

    assert response.status_code == 206
    assert body_of(response) == CLIP[1000:2000]
    assert response["Content-Length"] == "1000"
    assert response["Content-Range"] == f"bytes 1000-1999/{len(CLIP)}"
    assert response["Accept-Ranges"] == "bytes"


def test_a_partial_answer_keeps_the_headers_that_stop_browsers_running_it(clip_client):
    response = clip_client(HTTP_RANGE="bytes=0-9")

    assert response["Content-Type"] == "audio/wav"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Cache-Control"] == "private, max-age=3600"


def test_a_suffix_range_is_the_end_of_the_file(clip_client):
    response = clip_client(HTTP_RANGE="bytes=-100")

    assert response.status_code == 206
    assert body_of(response) == CLIP[-100:]
    assert response["Content-Range"] == f"bytes {len(CLIP) - 100}-{len(CLIP) - 1}/{len(CLIP)}"


def test_an_open_ended_range_runs_to_the_end_of_the_file(clip_client):
    response = clip_client(HTTP_RANGE="bytes=10000-")

    assert response.status_code == 206
    assert body_of(response) == CLIP[10000:]
    assert response["Content-Length"] == str(len(CLIP) - 10000)


def test_a_range_ending_past_the_file_is_cut_at_its_end(clip_client):
    response = clip_client(HTTP_RANGE="bytes=10200-99999")

    assert body_of(response) == CLIP[10200:]
    assert response["Content-Range"] == f"bytes 10200-{len(CLIP) - 1}/{len(CLIP)}"


def test_a_range_starting_past_the_end_is_416_with_the_size(clip_client):
    response = clip_client(HTTP_RANGE=f"bytes={len(CLIP)}-")

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(CLIP)}"
    assert CLIP[:100] not in response.content


@pytest.mark.parametrize(
    "header", ["bytes=abc", "bytes=5-2", "items=0-9", "bytes=0-1,5-6", "bytes=-", "bytes 0-9"]
)
def test_a_malformed_or_multi_range_header_gets_the_whole_file(clip_client, header):
    response = clip_client(HTTP_RANGE=header)

    assert response.status_code == 200
    assert body_of(response) == CLIP
    assert response["Content-Length"] == str(len(CLIP))
    assert response["Accept-Ranges"] == "bytes"


def test_head_gives_the_size_and_says_ranges_are_accepted(clip_client):
    response = clip_client("head")

    assert response.status_code == 200
    assert response["Content-Length"] == str(len(CLIP))
    assert response["Accept-Ranges"] == "bytes"
    assert body_of(response) == b""


def test_if_range_gets_the_whole_file_as_no_validator_of_ours_can_match(clip_client):
    response = clip_client(HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"some-etag"')

    assert response.status_code == 200
    assert body_of(response) == CLIP


def test_a_slice_is_read_in_blocks_and_never_past_its_end():
    file = io.BytesIO(CLIP)
    piece = FileSlice(file, start=10, length=5000)

    blocks = list(iter(lambda: piece.read(4096), b""))

    assert [len(block) for block in blocks] == [4096, 904]
    assert b"".join(blocks) == CLIP[10:5010]
    assert file.tell() == 5010
