"""Exports through the API and manage.py: who may export, which tasks, JSON Lines, CSV and Label
Studio JSON read back with Python's own readers and compared with the database, and the stream."""
import csv
import io
import json
import re

import orjson
import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from annotator.models import Annotation
from ml_assist.routing import route_confident
from platform_core.exports import reader
from platform_core.models import Prediction, Role, Task, TaskStatus, TaskType
from tests.annotator.factories import AnnotationFactory
from tests.factories import ProjectFactory, UserFactory
from tests.platform_core.factories import DatasetFactory, PredictionFactory, TaskFactory
from tests.platform_core.importing import png_bytes, run_import

POSITIVE, NEGATIVE = {"labels": ["positive"]}, {"labels": ["negative"]}


def _export(client, project, **params):
    return client.get(f"/api/v1/projects/{project.pk}/export/", params)


def _body(response) -> bytes:
    assert isinstance(response, StreamingHttpResponse), response.content
    return b"".join(response.streaming_content)


def _jsonl(response) -> list[dict]:
    return [json.loads(line) for line in _body(response).decode().splitlines()]


@pytest.fixture
def manager(member, org):
    return member(Role.MANAGER, org)


@pytest.fixture
def client(api_client, manager):
    return api_client(manager)


@pytest.fixture
def labeled(project):
    """A text project's tasks in every state that matters, by name."""
    annotator = UserFactory(username="ann")
    tasks = {
        "accepted": TaskFactory(project=project, status=TaskStatus.ACCEPTED,
                                accepted_result=POSITIVE, meta={"source": "web"}),
        "corrected": TaskFactory(project=project, status=TaskStatus.ACCEPTED,
                                 accepted_result=NEGATIVE),
        "machine": TaskFactory(project=project, status=TaskStatus.AUTO_ACCEPTED),
        "submitted": TaskFactory(project=project, status=TaskStatus.SUBMITTED),
        "new": TaskFactory(project=project),
    }
    AnnotationFactory(task=tasks["accepted"], annotator=annotator, result=POSITIVE,
                      lead_time_s=4.5, status="accepted")
    AnnotationFactory(task=tasks["corrected"], annotator=annotator, result=POSITIVE,
                      lead_time_s=None, status="accepted")
    AnnotationFactory(task=tasks["submitted"], annotator=annotator, result=NEGATIVE)
    older = PredictionFactory(task=tasks["machine"], model_version="v1", result=NEGATIVE,
                              confidence=0.7)
    newer = PredictionFactory(task=tasks["machine"], model_version="v2", result=POSITIVE,
                              confidence=0.97)
    # Auto-accepted before routing stored the label it accepted: the export falls back to the
    # latest prediction.
    Prediction.objects.filter(pk=older.pk).update(created_at=newer.created_at.replace(year=2001))
    return tasks


# -- who may export --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.REVIEWER])
def test_members_who_see_results_may_export(api_client, member, org, project, role):
    response = _export(api_client(member(role, org)), project)
    assert response.status_code == 200
    _body(response)


def test_an_annotator_may_not_export(api_client, member, org, project):
    response = _export(api_client(member(Role.ANNOTATOR, org)), project)
    assert response.status_code == 403
    assert response.json()["detail"]


def test_another_organizations_project_is_a_404(api_client, member, other_org, project):
    outsider = member(Role.ADMIN, other_org)
    response = _export(api_client(outsider), project, format="csv")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such project."}


def test_a_project_being_deleted_is_a_404(client, project):
    type(project).objects.filter(pk=project.pk).update(deleting=True)
    assert _export(client, project).status_code == 404


# -- what may be asked -----------------------------------------------------------------------------


def test_a_format_the_type_does_not_allow_is_a_400_naming_the_allowed_ones(client, project):
    for bad in ("coco", "conll", "xml"):
        response = _export(client, project, format=bad)
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        message = response.json()["format"][0]
        assert repr(bad) in message and "jsonl, csv, label-studio" in message


def test_unknown_parameters_and_bad_values_are_refused(client, project):
    assert "acepted" in _export(client, project, acepted="all").json()
    assert "accepted" in _export(client, project, accepted="some").json()
    assert "suggestions" in _export(client, project, suggestions="maybe").json()


def test_a_dataset_of_another_project_is_refused(client, project):
    elsewhere = DatasetFactory()
    response = _export(client, project, dataset=elsewhere.pk)
    assert response.status_code == 400
    assert str(elsewhere.pk) in response.json()["dataset"][0]


# -- the stream ------------------------------------------------------------------------------------


def test_the_file_is_streamed_as_an_attachment_named_after_project_and_format(client, project):
    response = _export(client, project, format="label-studio")
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"] == (
        f'attachment; filename="project-{project.pk}-label-studio.json"'
    )
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert json.loads(_body(response)) == []


def test_tasks_are_read_a_batch_at_a_time_as_the_stream_is_consumed(client, project, monkeypatch):
    monkeypatch.setattr(reader, "BATCH_SIZE", 3)
    for _ in range(16):
        TaskFactory(project=project, status=TaskStatus.ACCEPTED, accepted_result=POSITIVE)
    TaskFactory(project=project)  # not accepted: never read
    pages_read = []
    task_pages = reader._task_pages

    def counted(*args, **kwargs):  # on PostgreSQL in the read-ahead thread
        for page in task_pages(*args, **kwargs):
            pages_read.append(len(page))
            yield page

    monkeypatch.setattr(reader, "_task_pages", counted)
    response = _export(client, project, annotations="true")
    chunks = iter(response.streaming_content)
    annotation_table = Annotation._meta.db_table

    def annotation_reads(queries) -> int:  # queries whose first FROM is the annotation table
        return sum(re.search(r'FROM "(\w+)"', q["sql"]).group(1) == annotation_table
                   for q in queries)

    with CaptureQueriesContext(connection) as first:
        first_lines = next(chunks).splitlines()
    # The first batch is written after one read of tasks; at most two more are read ahead
    # (one handed over, one waiting), never the project's six.
    assert len(first_lines) == 3 and 1 <= len(pages_read) <= 3
    assert annotation_reads(first.captured_queries) == 1
    with CaptureQueriesContext(connection) as rest:
        rest_lines = b"".join(chunks).splitlines()
    assert len(rest_lines) == 13 and pages_read == [3, 3, 3, 3, 3, 1]
    # Each batch's annotations in one query.
    assert annotation_reads(rest.captured_queries) == 5


# -- JSON Lines ------------------------------------------------------------------------------------


def test_jsonl_holds_the_accepted_tasks_and_their_final_labels_by_default(client, labeled):
    lines = _jsonl(_export(client, labeled["new"].project))
    wanted = [labeled[name] for name in ("accepted", "corrected", "machine")]
    assert [line["id"] for line in lines] == [task.pk for task in wanted]
    for line, task in zip(lines, wanted):
        task.refresh_from_db()
        assert line["data"] == task.data and line["meta"] == task.meta
        assert line["status"] == task.status and line["dataset"] is None
        assert set(line) == {"id", "dataset", "status", "data", "meta", "result"}
    assert [line["result"] for line in lines] == [POSITIVE, NEGATIVE, POSITIVE]


def test_a_routed_task_is_exported_with_its_machine_label_without_a_prediction_query(
    client, project
):
    project.auto_accept_threshold, project.review_sample_rate = 0.9, 0.0
    project.save()
    task = TaskFactory(project=project, status=TaskStatus.SUGGESTED)
    PredictionFactory(task=task, model_version="v1", result=NEGATIVE, confidence=0.95)
    route_confident(project=project, task_confidences={task.pk: 0.95})
    with CaptureQueriesContext(connection) as export:
        [line] = _jsonl(_export(client, project))
    assert (line["id"], line["status"], line["result"]) == (task.pk, "auto_accepted", NEGATIVE)
    prediction_table = Prediction._meta.db_table
    assert not any(prediction_table in query["sql"] for query in export.captured_queries)


def test_jsonl_of_all_tasks_with_annotations_and_suggestions(client, labeled):
    project = labeled["new"].project
    lines = {line["id"]: line for line in
             _jsonl(_export(client, project, accepted="all", annotations="true",
                            suggestions="true"))}
    assert set(lines) == {task.pk for task in labeled.values()}
    assert lines[labeled["new"].pk]["result"] is None
    assert lines[labeled["submitted"].pk]["result"] is None
    assert lines[labeled["corrected"].pk]["annotations"] == [{
        "id": labeled["corrected"].annotations.get().pk, "annotator": "ann",
        "result": POSITIVE, "lead_time_s": None, "status": "accepted",
    }]
    assert lines[labeled["accepted"].pk]["annotations"][0]["lead_time_s"] == 4.5
    assert lines[labeled["machine"].pk]["suggestions"] == [
        {"model_version": "v2", "result": POSITIVE, "confidence": 0.97},
        {"model_version": "v1", "result": NEGATIVE, "confidence": 0.7},
    ]
    assert lines[labeled["new"].pk]["suggestions"] == []


def test_jsonl_lines_are_the_bytes_orjson_writes_with_the_stored_json_spliced_in(
    client, project
):
    dataset = DatasetFactory(project=project)
    tricky = {"text": 'Caf\u00e9 "quoted" \\ back\nslash \U0001f600 </script>', "n": [1.5, None]}
    tasks = [
        TaskFactory(project=project, data=tricky, meta={"k": "\u2028"}, dataset=dataset,
                    status=TaskStatus.ACCEPTED, accepted_result=POSITIVE),
        TaskFactory(project=project, status=TaskStatus.AUTO_ACCEPTED, accepted_result=NEGATIVE),
    ]
    rows = Task.objects.filter(project=project).annotate(
        d=Cast("data", TextField()), m=Cast("meta", TextField()),
        r=Cast("accepted_result", TextField()),
    ).order_by("id").values_list("id", "dataset_id", "status", "d", "m", "r")
    expected = b"".join(orjson.dumps({
        "id": pk, "dataset": dataset_id, "status": status, "data": orjson.Fragment(data),
        "meta": orjson.Fragment(meta), "result": orjson.Fragment(result),
    }) + b"\n" for pk, dataset_id, status, data, meta, result in rows)
    assert len(rows) == len(tasks)
    assert _body(_export(client, project)) == expected


def test_one_dataset_only(client, project):
    first, second = DatasetFactory(project=project), DatasetFactory(project=project)
    kept = TaskFactory(project=project, dataset=first, status=TaskStatus.ACCEPTED,
                       accepted_result=POSITIVE)
    TaskFactory(project=project, dataset=second, status=TaskStatus.ACCEPTED,
                accepted_result=POSITIVE)
    lines = _jsonl(_export(client, project, dataset=first.pk))
    assert [(line["id"], line["dataset"]) for line in lines] == [(kept.pk, first.pk)]


def test_media_tasks_export_their_storage_name_and_member_url(client, org):
    project = ProjectFactory(organization=org, task_type=TaskType.IMAGE_CLASSIFICATION)
    task = TaskFactory(project=project, data={"file": "cat.png"}, status=TaskStatus.ACCEPTED,
                       accepted_result={"labels": ["cat"]}, width=8, height=6,
                       media_type="image/png")
    task.media.save("cat.png", ContentFile(png_bytes()), save=True)
    [line] = _jsonl(_export(client, project))
    assert line["media"]["name"] == task.media.name
    assert line["media"]["url"] == f"http://testserver/media/tasks/{task.pk}/"
    assert (line["media"]["width"], line["media"]["height"]) == (8, 6)
    assert client.get(line["media"]["url"]).status_code == 200
    rows = list(csv.DictReader(io.StringIO(_body(_export(client, project, format="csv")).decode())))
    assert (rows[0]["media"], rows[0]["media_url"]) == (task.media.name, line["media"]["url"])


# -- CSV -------------------------------------------------------------------------------------------


FORMULAS = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tindent", "\rreturn"]


def test_csv_reads_back_and_no_cell_starts_a_formula(client, project):
    tasks = [TaskFactory(project=project, data={"text": text}, status=TaskStatus.ACCEPTED,
                         accepted_result=POSITIVE, meta={"note": text})
             for text in [*FORMULAS, "plain, with \"quotes\"\nand a newline"]]
    response = _export(client, project, format="csv", suggestions="true")
    assert response["Content-Disposition"].endswith(f'"project-{project.pk}-csv.csv"')
    rows = list(csv.DictReader(io.StringIO(_body(response).decode())))
    assert list(rows[0]) == ["id", "dataset", "status", "text", "labels", "data", "meta", "result",
                             "suggestions"]
    assert [int(row["id"]) for row in rows] == [task.pk for task in tasks]
    for row, task in zip(rows, tasks):
        text = task.data["text"]
        assert row["text"] == ("'" + text if text in FORMULAS else text)
        assert json.loads(row["data"]) == task.data and json.loads(row["meta"]) == task.meta
        assert json.loads(row["result"]) == POSITIVE and row["labels"] == "positive"
        assert json.loads(row["suggestions"]) == []
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())


def test_csv_of_an_empty_export_is_its_header(client, project):
    body = _body(_export(client, project, format="csv")).decode()
    assert body.splitlines() == ["id,dataset,status,text,labels,data,meta,result"]


# -- Label Studio ----------------------------------------------------------------------------------


def test_label_studio_json_carries_final_labels_and_predictions_our_importer_reads(
    client, labeled, org
):
    project = labeled["new"].project
    tasks = json.loads(_body(_export(client, project, format="label-studio", suggestions="true")))
    by_id = {task["id"]: task for task in tasks}
    machine = by_id[labeled["machine"].pk]
    assert machine["annotations"] == [{"ground_truth": True, "result": [
        {"from_name": "label", "to_name": "text", "type": "choices",
         "value": {"choices": ["positive"]}}]}]
    assert [(p["model_version"], p["score"]) for p in machine["predictions"]] == [
        ("v2", 0.97), ("v1", 0.7)]
    assert by_id[labeled["accepted"].pk]["data"] == labeled["accepted"].data
    assert by_id[labeled["accepted"].pk]["meta"] == {"source": "web"}

    copy = ProjectFactory(organization=org, task_type=project.task_type)
    job = run_import(copy, "tasks.json", json.dumps(tasks).encode())
    assert job.imported == 3, job.errors
    assert {task.data["text"] for task in copy.tasks.all()} == {
        labeled[name].data["text"] for name in ("accepted", "corrected", "machine")}
    machine_copy = copy.tasks.get(data__text=labeled["machine"].data["text"])
    suggestion = machine_copy.predictions.get(model_version="v2")
    assert (suggestion.result, suggestion.confidence) == (POSITIVE, 0.97)


def test_label_studio_adds_each_annotation_after_the_final_label(client, labeled):
    project = labeled["new"].project
    tasks = json.loads(_body(_export(client, project, format="label-studio", annotations="true")))
    corrected = next(task for task in tasks if task["id"] == labeled["corrected"].pk)
    assert [(a["ground_truth"], a["result"][0]["value"]["choices"]) for a in
            corrected["annotations"]] == [(True, ["negative"]), (False, ["positive"])]
    assert corrected["annotations"][1]["lead_time"] is None


# -- manage.py export_project ----------------------------------------------------------------------


def test_the_command_writes_the_same_file_as_the_api(client, labeled, tmp_path):
    project = labeled["new"].project
    target = tmp_path / "out.jsonl"
    call_command("export_project", project.pk, "--format", "jsonl", "--accepted", "all",
                 "--annotations", "--output", str(target), stdout=io.StringIO())
    from_api = _body(_export(client, project, accepted="all", annotations="true"))
    assert target.read_bytes() == from_api


def test_the_command_refuses_a_format_the_type_does_not_allow(project):
    with pytest.raises(CommandError, match="use one of: jsonl, csv, label-studio"):
        call_command("export_project", project.pk, "--format", "yolo", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No project"):
        call_command("export_project", 10**9, "--format", "csv", stdout=io.StringIO())
