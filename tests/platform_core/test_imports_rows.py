import codecs
import io
import json

import pytest
from django.core.exceptions import ValidationError

from platform_core.imports.readers import ARRAY_READ_BYTES, read_json_array
from platform_core.imports.records import ImportFileError
from platform_core.models import Dataset, ImportJob, Prediction, Task, TaskStatus, TaskType
from tests.factories import ProjectFactory
from tests.platform_core.importing import errors_of, jsonl, run_import


@pytest.fixture
def text_project(db):
    return ProjectFactory(task_type=TaskType.TEXT_CLASSIFICATION)


def texts(project) -> list[str]:
    return list(Task.objects.filter(project=project).order_by("id").values_list("data__text", flat=True))


def test_jsonl_rows_become_tasks_in_file_order(text_project):
    job = run_import(text_project, "a.jsonl", jsonl({"text": "one"}, {"text": "two", "lang": "en"}))
    assert (job.status, job.imported, job.total, job.error_count) == ("succeeded", 2, 2, 0)
    assert texts(text_project) == ["one", "two"]
    task = Task.objects.get(project=text_project, data__text="two")
    assert task.data == {"text": "two", "lang": "en"}
    assert task.status == TaskStatus.NEW and task.dataset == job.dataset
    assert Dataset.objects.get(pk=job.dataset_id).task_count == 2


def test_json_array_is_streamed_into_tasks(text_project):
    job = run_import(text_project, "a.json", json.dumps([{"text": "x"}, {"text": "y"}, {"text": "z"}]))
    assert (job.status, job.imported) == ("succeeded", 3)
    assert texts(text_project) == ["x", "y", "z"]


def test_csv_with_byte_order_mark_uses_the_header_as_keys(text_project):
    content = codecs.BOM_UTF8 + "text,source\n\"hello, world\",web\nsecond,mail\n".encode()
    job = run_import(text_project, "a.csv", content)
    assert (job.status, job.imported) == ("succeeded", 2)
    assert Task.objects.get(data__text="hello, world").data == {"text": "hello, world", "source": "web"}


def test_label_studio_tasks_keep_their_predictions_as_suggestions(text_project):
    rows = [
        {
            "data": {"text": "great product"},
            "predictions": [
                {
                    "model_version": "ls-v1",
                    "score": 0.83,
                    "result": [{"type": "choices", "value": {"choices": ["positive"]}}],
                }
            ],
        },
        {"data": {"text": "no prediction"}},
    ]
    job = run_import(text_project, "export.json", json.dumps(rows))
    assert (job.status, job.imported, job.error_count) == ("succeeded", 2, 0)
    suggested = Task.objects.get(data__text="great product")
    assert suggested.status == TaskStatus.SUGGESTED
    prediction = Prediction.objects.get(task=suggested)
    assert (prediction.model_version, prediction.result, prediction.confidence) == (
        "ls-v1", {"labels": ["positive"]}, 0.83,
    )
    assert Task.objects.get(data__text="no prediction").status == TaskStatus.NEW


def test_label_studio_prediction_with_unknown_label_is_reported_and_the_task_kept(text_project):
    row = {
        "data": {"text": "hmm"},
        "predictions": [{"result": [{"type": "choices", "value": {"choices": ["sarcastic"]}}]}],
    }
    job = run_import(text_project, "a.jsonl", jsonl(row))
    assert job.imported == 1
    assert "sarcastic" in errors_of(job)[1]
    assert not Prediction.objects.exists()


def test_span_predictions_map_to_character_offsets(db):
    project = ProjectFactory(task_type=TaskType.TEXT_SPANS)
    row = {
        "data": {"text": "Ada works at IBM"},
        "predictions": [{"result": [
            {"type": "labels", "value": {"start": 0, "end": 3, "labels": ["PER"]}},
            {"type": "labels", "value": {"start": 13, "end": 16, "labels": ["ORG"]}},
        ]}],
    }
    run_import(project, "a.jsonl", jsonl(row))
    assert Prediction.objects.get().result == {
        "spans": [{"start": 0, "end": 3, "label": "PER"}, {"start": 13, "end": 16, "label": "ORG"}]
    }


def test_duplicates_within_the_file_and_across_imports_are_skipped_and_counted(text_project):
    first = run_import(text_project, "a.jsonl", jsonl({"text": "a"}, {"text": "b"}, {"text": "a"}))
    assert (first.imported, first.duplicates) == (2, 1)
    # Key order and whitespace do not make a new item.
    second = run_import(text_project, "b.jsonl", '{"text": "b", "x": 1}\n{ "x":1,"text":"b" }\n{"text": "c"}\n')
    assert (second.imported, second.duplicates) == (2, 1)
    third = run_import(text_project, "c.jsonl", jsonl({"text": "a"}, {"text": "c"}))
    assert (third.imported, third.duplicates) == (0, 2)
    assert Task.objects.filter(project=text_project).count() == 4


def test_the_same_item_may_live_in_two_projects(text_project):
    other = ProjectFactory(organization=text_project.organization)
    run_import(text_project, "a.jsonl", jsonl({"text": "shared"}))
    assert run_import(other, "a.jsonl", jsonl({"text": "shared"})).imported == 1


def test_bad_rows_are_reported_with_row_number_and_good_rows_kept(text_project):
    content = (
        '{"text": "good one"}\n'
        "{not json}\n"
        '["a list"]\n'
        '{"text": ""}\n'
        '{"title": "no text field"}\n'
        "\n"
        '{"text": "good two"}\n'
    )
    job = run_import(text_project, "a.jsonl", content)
    assert (job.status, job.imported, job.error_count) == ("succeeded", 2, 4)
    errors = errors_of(job)
    assert set(errors) == {2, 3, 4, 5}
    assert "Invalid JSON" in errors[2]
    assert "object" in errors[3]
    assert "'text'" in errors[4] and "'text'" in errors[5]
    assert texts(text_project) == ["good one", "good two"]


def test_a_row_over_the_size_limit_is_reported_without_reading_it_whole(text_project, settings):
    settings.IMPORT_MAX_ROW_BYTES = 100
    content = jsonl({"text": "short"}, {"text": "x" * 500}, {"text": "after"})
    job = run_import(text_project, "a.jsonl", content)
    assert (job.imported, job.error_count) == (2, 1)
    assert "longer than 100 bytes" in errors_of(job)[2]


def test_a_json_array_element_over_the_size_limit_is_reported_and_the_others_kept(text_project, settings):
    settings.IMPORT_MAX_ROW_BYTES = 100
    content = json.dumps([{"text": "short"}, {"text": "x" * 500}, {"text": "after"}])
    job = run_import(text_project, "a.json", content)
    assert (job.status, job.imported, job.error_count) == ("succeeded", 2, 1)
    assert "longer than 100 bytes" in errors_of(job)[2]
    assert texts(text_project) == ["short", "after"]


def test_a_json_array_element_of_many_small_values_is_dropped_as_it_grows(text_project, settings):
    settings.IMPORT_MAX_ROW_BYTES = 100
    # About 150 KB of tags: more than one read, events all the way, so it is skipped, not refused.
    content = json.dumps([{"text": "big", "tags": ["t"] * 30_000}, {"text": "after"}])
    job = run_import(text_project, "a.json", content)
    assert (job.status, job.imported, job.error_count) == ("succeeded", 1, 1)
    assert "longer than 100 bytes" in errors_of(job)[1]


def test_a_json_array_value_too_long_to_skip_refuses_the_file_before_it_is_read_whole(settings):
    settings.IMPORT_MAX_ROW_BYTES = 100
    content = b'[{"text": "a"}, {"text": "' + b"y" * (10 * ARRAY_READ_BYTES) + b'"}, {"text": "b"}]'
    stream = io.BytesIO(content)
    with pytest.raises(ImportFileError, match="Row 2 holds a single value longer than 100 bytes"):
        list(read_json_array(stream))
    # The limit plus a few reads at most, as ijson buffers a value until it ends.
    assert stream.tell() <= 100 + 3 * ARRAY_READ_BYTES


def test_preference_rows_need_a_prompt_and_both_responses(db):
    project = ProjectFactory(task_type=TaskType.PREFERENCE)
    good = {"prompt": "Say hi", "response_a": "Hi!", "response_b": "Go away."}
    job = run_import(project, "p.jsonl", jsonl(good, {"prompt": "only a", "response_a": "x"}))
    assert job.imported == 1
    assert "'response_b'" in errors_of(job)[2]


def test_rows_for_a_media_project_are_refused_with_a_hint(db):
    project = ProjectFactory(task_type=TaskType.IMAGE_CLASSIFICATION)
    job = run_import(project, "a.jsonl", jsonl({"image": "http://127.0.0.1/cat.png"}))
    assert job.status == "failed"
    assert "ZIP archive" in errors_of(job)[1]
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.json", b"\x89PNG\r\n\x1a\n\x00\x00binary", "not JSON"),
        ("a.json", b'[{"text": "fine"}, {"text": "broken', "broken"),
        ("a.jsonl", b"\x00\xff" * 40 + b"\n" * 30, "not a JSON Lines file"),
        ("a.csv", b"\xff\xfe\x00t\x00e\x00x\x00t\x00\n\x00", "not UTF-8"),
    ],
)
def test_a_file_that_cannot_be_parsed_fails_the_job_and_writes_nothing(text_project, name, content, message):
    job = run_import(text_project, name, content)
    assert job.status == "failed"
    assert message in job.message
    assert (job.imported, job.errors) == (0, [])
    assert not Task.objects.filter(project=text_project).exists()


def test_an_empty_file_is_refused_before_a_job_is_made(text_project):
    with pytest.raises(ValidationError, match="empty"):
        run_import(text_project, "a.csv", b"")
    assert not ImportJob.objects.exists()


def test_a_json_array_broken_after_many_rows_keeps_none_of_them(text_project):
    rows = ",".join(json.dumps({"text": f"row {i}"}) for i in range(4500))
    job = run_import(text_project, "big.json", "[" + rows + ", {oops")
    assert job.status == "failed"
    assert not Task.objects.filter(project=text_project).exists()


def test_html_in_text_is_stored_as_is_for_the_pages_to_escape(text_project):
    run_import(text_project, "a.jsonl", jsonl({"text": "<script>alert(1)</script>"}))
    assert texts(text_project) == ["<script>alert(1)</script>"]
