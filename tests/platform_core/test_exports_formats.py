"""The formats other tools read: COCO (read by pycocotools), YOLO (parsed by hand), CoNLL (BIO
read by seqeval) and the Label Studio mapping of every type, each compared with our results."""
import io
import json
import threading
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pycocotools.coco import COCO
from seqeval.metrics.sequence_labeling import get_entities

from platform_core.exports import ExportOptions, project_export, reader
from platform_core.exports.conll import TOKEN
from platform_core.label_studio import from_label_studio, to_label_studio
from platform_core.models import Role, Task, TaskStatus, TaskType
from tests.factories import LABEL_CONFIGS, ProjectFactory
from tests.platform_core.factories import TaskFactory
from tests.platform_core.importing import png_bytes


@pytest.fixture
def client(api_client, member, org):
    return api_client(member(Role.REVIEWER, org))


def _zip(client, project, fmt) -> zipfile.ZipFile:
    response = client.get(f"/api/v1/projects/{project.pk}/export/", {"format": fmt})
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].endswith(f'"project-{project.pk}-{fmt}.zip"')
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


@pytest.fixture
def boxes_project(org):
    project = ProjectFactory(organization=org, task_type=TaskType.IMAGE_BOXES)
    sizes = [(64, 48), (100, 50), (30, 30)]
    results = [
        {"boxes": [{"x": 0.1, "y": 0.2, "w": 0.5, "h": 0.25, "label": "car"},
                   {"x": 0.0, "y": 0.0, "w": 1.0, "h": 1.0, "label": "person"}]},
        # A label the project no longer lists still gets a class.
        {"boxes": [{"x": 0.25, "y": 0.5, "w": 0.5, "h": 0.5, "label": "truck"}]},
        None,  # not accepted yet: left out
    ]
    for index, ((width, height), result) in enumerate(zip(sizes, results)):
        task = TaskFactory(
            project=project, data={"file": f"img{index}.png"}, width=width, height=height,
            media_type="image/png", accepted_result=result,
            status=TaskStatus.ACCEPTED if result else TaskStatus.SUBMITTED,
        )
        task.media.save(f"img{index}.png", ContentFile(png_bytes(width, height)), save=True)
    return project


def test_coco_zip_is_read_by_pycocotools_with_boxes_in_pixels(client, boxes_project, tmp_path):
    archive = _zip(client, boxes_project, "coco")
    (tmp_path / "annotations.json").write_bytes(archive.read("annotations.json"))
    coco = COCO(str(tmp_path / "annotations.json"))

    labeled = list(boxes_project.tasks.filter(status=TaskStatus.ACCEPTED).order_by("id"))
    assert sorted(coco.getImgIds()) == [task.pk for task in labeled]
    names = {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())}
    assert names == {1: "car", 2: "person", 3: "truck"}
    assert len(coco.getAnnIds()) == sum(len(t.accepted_result["boxes"]) for t in labeled)
    for task in labeled:
        image = coco.loadImgs(task.pk)[0]
        assert (image["width"], image["height"]) == (task.width, task.height)
        assert archive.read(image["file_name"]) == task.media.open("rb").read()
        found = coco.loadAnns(coco.getAnnIds(imgIds=[task.pk]))
        for annotation, box in zip(found, task.accepted_result["boxes"]):
            expected = [box["x"] * task.width, box["y"] * task.height,
                        box["w"] * task.width, box["h"] * task.height]
            assert annotation["bbox"] == pytest.approx(expected)
            assert names[annotation["category_id"]] == box["label"]
    assert sorted(n for n in archive.namelist() if n.startswith("images/")) == sorted(
        coco.loadImgs(task.pk)[0]["file_name"] for task in labeled)


def test_yolo_zip_has_one_label_file_per_image_in_centre_and_size_fractions(client, boxes_project):
    archive = _zip(client, boxes_project, "yolo")
    classes = archive.read("classes.txt").decode().splitlines()
    assert classes == ["car", "person", "truck"]
    assert '  2: "truck"' in archive.read("data.yaml").decode()
    labeled = boxes_project.tasks.filter(status=TaskStatus.ACCEPTED).order_by("id")
    for task in labeled:
        image = next(n for n in archive.namelist() if n.startswith(f"images/{task.pk}_"))
        assert archive.read(image) == task.media.open("rb").read()
        stem = image.removeprefix("images/").rsplit(".", 1)[0]
        lines = archive.read(f"labels/{stem}.txt").decode().splitlines()
        assert len(lines) == len(task.accepted_result["boxes"])
        for line, box in zip(lines, task.accepted_result["boxes"]):
            number, cx, cy, w, h = line.split()
            assert classes[int(number)] == box["label"]
            assert [float(cx), float(cy), float(w), float(h)] == pytest.approx(
                [box["x"] + box["w"] / 2, box["y"] + box["h"] / 2, box["w"], box["h"]], abs=1e-6)
    assert len([n for n in archive.namelist() if n.startswith("labels/")]) == labeled.count()


def test_an_image_missing_from_storage_is_left_out_of_the_zip(client, boxes_project):
    task = boxes_project.tasks.filter(status=TaskStatus.ACCEPTED).first()
    task.media.storage.delete(task.media.name)
    names = _zip(client, boxes_project, "yolo").namelist()
    assert not any(name.startswith(f"images/{task.pk}_") for name in names)
    assert len([n for n in names if n.startswith("images/")]) == 1


# -- CoNLL -----------------------------------------------------------------------------------------


SPAN_TASKS = [
    ("Alice Smith works at ACME Corp. in Paris", [(0, 11, "PER"), (21, 31, "ORG")]),
    ("  New\tYork\n\nis big ", [(2, 10, "ORG")]),
    ("Bob met Bob", [(0, 3, "PER"), (8, 11, "PER")]),
    ("nothing here", []),
]


def _conll(client, project) -> dict[int, list[tuple[str, str]]]:
    response = client.get(f"/api/v1/projects/{project.pk}/export/", {"format": "conll"})
    documents, current = {}, None
    for line in b"".join(response.streaming_content).decode().split("\n"):
        if line.startswith("# task_id = "):
            current = documents.setdefault(int(line.split(" = ")[1]), [])
        elif line:
            token, tag = line.split("\t")
            current.append((token, tag))
    return documents


def test_conll_bio_tags_give_back_our_spans_through_seqeval(client, org):
    project = ProjectFactory(organization=org, task_type=TaskType.TEXT_SPANS)
    tasks = [
        TaskFactory(project=project, data={"text": text}, status=TaskStatus.ACCEPTED,
                    accepted_result={"spans": [{"start": s, "end": e, "label": label}
                                               for s, e, label in spans]})
        for text, spans in SPAN_TASKS
    ]
    TaskFactory(project=project, data={"text": "not labeled"}, status=TaskStatus.SUBMITTED)
    documents = _conll(client, project)
    assert list(documents) == [task.pk for task in tasks]
    for task in tasks:
        text = task.data["text"]
        tokens = list(TOKEN.finditer(text))
        assert [token for token, _ in documents[task.pk]] == [m.group() for m in tokens]
        entities = get_entities([tag for _, tag in documents[task.pk]])
        found = [(tokens[first].start(), tokens[last].end(), label)
                 for label, first, last in entities]
        assert found == [(s["start"], s["end"], s["label"]) for s in task.accepted_result["spans"]]


def test_conll_gives_a_token_to_one_span_and_widens_spans_to_whole_tokens(client, org):
    project = ProjectFactory(organization=org, task_type=TaskType.TEXT_SPANS,
                             label_config={**LABEL_CONFIGS[TaskType.TEXT_SPANS],
                                           "allow_overlap": True})
    spans = [{"start": 0, "end": 13, "label": "ORG"},  # "New York City"
             {"start": 4, "end": 8, "label": "PER"},  # "York", inside it: BIO cannot say so
             {"start": 15, "end": 17, "label": "PER"}]  # "Ja" of "Jane"
    task = TaskFactory(project=project, data={"text": "New York City Jane"},
                       status=TaskStatus.ACCEPTED, accepted_result={"spans": spans})
    assert _conll(client, project)[task.pk] == [
        ("New", "B-ORG"), ("York", "I-ORG"), ("City", "I-ORG"), ("Jane", "B-PER")]


# -- Label Studio, every type ----------------------------------------------------------------------


RESULTS = {
    TaskType.TEXT_CLASSIFICATION: {"labels": ["positive"]},
    TaskType.IMAGE_CLASSIFICATION: {"labels": ["cat", "dog"]},
    TaskType.AUDIO_CLASSIFICATION: {"labels": ["speech"]},
    TaskType.TEXT_SPANS: {"spans": [{"start": 0, "end": 5, "label": "PER"}]},
    TaskType.IMAGE_BOXES: {"boxes": [{"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4, "label": "car"}]},
    TaskType.PREFERENCE: {"choice": "B", "reason": "kinder"},
    TaskType.SFT: {"response": "Two lines\nof answer."},
    TaskType.AUDIO_TRANSCRIPTION: {"segments": [
        {"start": 0.0, "end": 1.5, "text": "hello", "label": "speaker A"},
        {"start": 1.5, "end": 2.0, "text": "hi"}]},
}


@pytest.mark.parametrize("task_type", list(TaskType))
def test_every_type_maps_to_label_studio_regions_and_back(task_type):
    regions = to_label_studio(task_type, RESULTS[task_type], config=LABEL_CONFIGS[task_type],
                              text="Alice went home", width=640, height=480)
    assert regions and all({"from_name", "to_name", "type", "value"} <= set(r) for r in regions)
    assert from_label_studio(task_type, regions) == RESULTS[task_type]


def test_transcripts_without_speakers_map_to_timed_text_regions():
    result = {"segments": [{"start": 0.0, "end": 2.0, "text": "only words"}]}
    regions = to_label_studio(TaskType.AUDIO_TRANSCRIPTION, result, config={})
    assert [(r["from_name"], r["type"]) for r in regions] == [("transcription", "textarea")]
    assert from_label_studio(TaskType.AUDIO_TRANSCRIPTION, regions) == result


def test_label_studio_export_of_boxes_links_the_image_and_gives_percent(client, boxes_project):
    response = client.get(f"/api/v1/projects/{boxes_project.pk}/export/",
                          {"format": "label-studio"})
    first = json.loads(b"".join(response.streaming_content))[0]
    assert first["data"]["image"] == f"http://testserver/media/tasks/{first['id']}/"
    [car, person] = first["annotations"][0]["result"]
    assert car["value"] == {"x": 10.0, "y": 20.0, "width": 50.0, "height": 25.0, "rotation": 0,
                            "rectanglelabels": ["car"]}
    assert (car["original_width"], car["original_height"]) == (64, 48)


# -- a consistent view -----------------------------------------------------------------------------


@pytest.mark.servers
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_long_export_sees_the_tasks_as_they_were_when_it_began(monkeypatch):
    monkeypatch.setattr(reader, "BATCH_SIZE", 2)
    project = ProjectFactory(task_type=TaskType.TEXT_CLASSIFICATION)
    tasks = [TaskFactory(project=project, status=TaskStatus.ACCEPTED, accepted_result={
        "labels": ["positive"]}) for _ in range(4)]
    chunks = project_export(project=project, options=ExportOptions(format="jsonl")).chunks
    with CaptureQueriesContext(connection) as queries:
        first = next(chunks)
    assert any("REPEATABLE READ" in q["sql"] for q in queries.captured_queries)

    def relabel_elsewhere():  # another connection commits while the download goes on
        Task.objects.filter(pk=tasks[3].pk).update(accepted_result={"labels": ["negative"]})
        connection.close()

    worker = threading.Thread(target=relabel_elsewhere)
    worker.start()
    worker.join()
    lines = [json.loads(line) for line in (first + b"".join(chunks)).splitlines()]
    assert [line["result"]["labels"] for line in lines] == [["positive"]] * 4
    assert Task.objects.get(pk=tasks[3].pk).accepted_result == {"labels": ["negative"]}
