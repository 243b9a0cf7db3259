"""External model servers over the Label Studio ML backend protocol, against a real local server."""
import logging
import socket
import time
import xml.etree.ElementTree as ET

import pytest
from django.core.files.base import ContentFile
from django.urls import include, path

from ml_assist import external
from ml_assist.external import (
    ModelServerClient,
    ModelServerError,
    label_config_xml,
)
from ml_assist.media_links import media_token
from platform_core.models import TaskType
from tests.factories import ProjectFactory
from tests.ml_assist.model_server_fakes import SECRET
from tests.platform_core.factories import TaskFactory


# The app's URLs plus the signed-media view, in case config/urls.py does not include it yet.
urlpatterns = [path("", include("ml_assist.media_urls")), path("", include("config.urls"))]


def _predict(server, project, tasks, results):
    server.routes["/predict"] = [(200, results)]
    with ModelServerClient(server.url) as client:
        return client.predict(project=project, tasks=tasks)


def _choices(*labels):
    return [{"from_name": "label", "to_name": "text", "type": "choices",
             "value": {"choices": list(labels)}}]


# -- up --------------------------------------------------------------------------------------------


def test_health_reports_an_up_server(model_server):
    with ModelServerClient(model_server.url) as client:
        assert client.health()["status"] == "UP"


def test_health_of_a_server_that_is_not_up_is_an_error(model_server):
    model_server.routes["/health"] = [(200, {"status": "LOADING"})]
    with ModelServerClient(model_server.url) as client:
        with pytest.raises(ModelServerError, match="not up"):
            client.health()


def test_setup_sends_the_project_and_a_label_studio_config(db, model_server):
    project = ProjectFactory(task_type=TaskType.TEXT_CLASSIFICATION)
    model_server.routes["/setup"] = [(200, {"model_version": "asr-7"})]
    with ModelServerClient(model_server.url) as client:
        assert client.setup(project=project) == "asr-7"
    _, _, body = model_server.calls[-1]
    assert body["project"].split(".")[0] == str(project.pk)
    assert '<Choice value="positive"/>' in body["schema"]


def test_predict_maps_text_classification_to_labels(db, model_server):
    project = ProjectFactory(task_type=TaskType.TEXT_CLASSIFICATION)
    tasks = [TaskFactory(project=project, data={"text": "great"}),
             TaskFactory(project=project, data={"text": "awful"})]
    answer = {"results": [
        {"result": _choices("positive"), "score": 0.93, "model_version": "sent-2"},
        {"result": _choices("negative"), "score": 0.61, "model_version": "sent-2"},
    ]}
    predictions = _predict(model_server, project, tasks, answer)
    assert [(p.task_id, p.result, p.confidence, p.model_version) for p in predictions] == [
        (tasks[0].pk, {"labels": ["positive"]}, 0.93, "sent-2"),
        (tasks[1].pk, {"labels": ["negative"]}, 0.61, "sent-2"),
    ]
    _, path_, body = model_server.calls[-1]
    assert path_ == "/predict"
    assert body["tasks"] == [{"id": tasks[0].pk, "data": {"text": "great"}},
                             {"id": tasks[1].pk, "data": {"text": "awful"}}]
    assert body["label_config"].startswith("<View>") and body["project"]


def test_predict_maps_spans_and_takes_the_older_list_form(db, model_server):
    project = ProjectFactory(task_type=TaskType.TEXT_SPANS)
    task = TaskFactory(project=project, data={"text": "Ada works at Acme"})
    regions = [
        {"type": "labels", "value": {"start": 0, "end": 3, "labels": ["PER"], "text": "Ada"}},
        {"type": "labels", "value": {"start": 13, "end": 17, "labels": ["ORG"]}, "score": 0.7},
    ]
    [prediction] = _predict(model_server, project, [task], [{"result": regions}])
    assert prediction.result == {"spans": [{"start": 0, "end": 3, "label": "PER"},
                                           {"start": 13, "end": 17, "label": "ORG"}]}
    assert prediction.confidence == 0.7  # no overall score: the least sure region's


def test_predict_maps_boxes_from_percent_to_fractions(db, model_server):
    project = ProjectFactory(task_type=TaskType.IMAGE_BOXES)
    task = TaskFactory(project=project, data={"file": "street.png"}, width=200, height=100)
    regions = [{"type": "rectanglelabels", "value": {
        "x": 10, "y": 20, "width": 30, "height": 40, "rectanglelabels": ["car"]}}]
    [prediction] = _predict(model_server, project, [task], {"results": [{"result": regions}]})
    [box] = prediction.result["boxes"]
    assert box["label"] == "car"
    assert [box[k] for k in "xywh"] == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert model_server.calls[-1][2]["tasks"][0]["data"]["image"] == "street.png"


def test_predict_maps_speaker_regions_with_their_text_to_segments(db, model_server):
    project = ProjectFactory(task_type=TaskType.AUDIO_TRANSCRIPTION)
    task = TaskFactory(project=project, data={"file": "call.wav"}, duration_s=6.0)
    times_b, times_a = {"start": 3.0, "end": 5.5}, {"start": 0.2, "end": 2.5}
    regions = [
        {"id": "r2", "type": "labels", "value": {**times_b, "labels": ["speaker B"]}},
        {"id": "r2", "type": "textarea", "value": {**times_b, "text": ["fine thanks"]}},
        {"id": "r1", "type": "labels", "value": {**times_a, "labels": ["speaker A"]}},
        {"id": "r1", "type": "textarea", "value": {**times_a, "text": ["how are you"]}},
    ]
    answer = {"results": [{"result": regions, "score": 0.8}]}
    [prediction] = _predict(model_server, project, [task], answer)
    assert prediction.result == {"segments": [
        {"start": 0.2, "end": 2.5, "text": "how are you", "label": "speaker A"},
        {"start": 3.0, "end": 5.5, "text": "fine thanks", "label": "speaker B"},
    ]}


def test_a_whole_clip_transcript_becomes_one_segment_over_the_clip(db, model_server):
    project = ProjectFactory(task_type=TaskType.AUDIO_TRANSCRIPTION, label_config={})
    task = TaskFactory(project=project, data={"file": "memo.wav"}, duration_s=4.5)
    regions = [{"from_name": "transcription", "to_name": "audio", "type": "textarea",
                "value": {"text": ["hello world"]}}]
    [prediction] = _predict(model_server, project, [task], {"results": [{"result": regions}]})
    assert prediction.result == {"segments": [{"start": 0.0, "end": 4.5, "text": "hello world"}]}
    assert "perRegion" not in model_server.calls[-1][2]["label_config"]


def test_several_predictions_for_a_task_keep_the_best_and_empty_ones_are_no_suggestion(
    db, model_server
):
    project = ProjectFactory(task_type=TaskType.TEXT_CLASSIFICATION)
    tasks = [TaskFactory(project=project), TaskFactory(project=project)]
    answer = {"model_version": "v9", "results": [
        [{"result": _choices("negative"), "score": 0.4},
         {"result": _choices("positive"), "score": 0.8}],
        {"result": [], "score": 0},
    ]}
    [prediction] = _predict(model_server, project, tasks, answer)
    assert (prediction.task_id, prediction.result, prediction.model_version) == (
        tasks[0].pk, {"labels": ["positive"]}, "v9")


def test_media_goes_out_as_a_signed_link_that_expires(db, model_server, settings, client):
    settings.ROOT_URLCONF = __name__
    settings.ML_MEDIA_BASE_URL = "https://annotate.example.com/"
    project = ProjectFactory(task_type=TaskType.IMAGE_CLASSIFICATION)
    task = TaskFactory(project=project, data={"file": "cat.png"}, media_type="image/png")
    task.media.save("cat.png", ContentFile(b"\x89PNG fake"))
    _predict(model_server, project, [task], {"results": [{"result": []}]})
    link = model_server.calls[-1][2]["tasks"][0]["data"]["image"]
    assert link.startswith("https://annotate.example.com/media/signed/")
    local = link.removeprefix("https://annotate.example.com")
    response = client.get(local)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"\x89PNG fake"
    assert response["Cache-Control"] == "no-store"
    assert client.get(local.replace("/signed/", "/signed/x")).status_code == 404
    settings.ML_MEDIA_LINK_MAX_AGE_S = -1  # every link is already expired
    assert client.get(local).status_code == 404
    assert client.get(f"/media/signed/{media_token(task.pk + 1000)}/").status_code == 404


# -- down, slow, garbage -------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_server_that_is_down_is_tried_three_times_then_reported_down(settings, sleeps):
    settings.ML_SERVER_ALLOW_PRIVATE = True
    with ModelServerClient(f"http://user:secret@127.0.0.1:{_closed_port()}") as client:
        with pytest.raises(ModelServerError, match="is down: connection refused") as error:
            client.health()
    assert "tried 3 times" in str(error.value) and "secret" not in str(error.value)
    assert sleeps == [0.5, 1.0]


def test_a_5xx_answer_is_retried_with_backoff(model_server, sleeps):
    model_server.routes["/health"] = [(503, {"detail": "warming up"}), (200, {"status": "UP"})]
    with ModelServerClient(model_server.url) as client:
        assert client.health()["status"] == "UP"
    assert len(model_server.calls) == 2 and sleeps == [0.5]


def test_a_server_failing_every_try_is_reported_down(model_server, sleeps):
    model_server.routes["/health"] = [(500, b"Traceback ...")]
    with ModelServerClient(model_server.url) as client:
        with pytest.raises(ModelServerError, match="is down: HTTP 500 on /health"):
            client.health()
    assert len(model_server.calls) == 3


def test_a_slow_server_fails_after_the_timeout_without_retrying(db, model_server, settings, sleeps):
    settings.ML_SERVER_TIMEOUT_S = 0.2
    project = ProjectFactory()
    model_server.routes["/predict"] = [(200, {"results": []}, 1.0)]
    started = time.monotonic()
    with ModelServerClient(model_server.url) as client:
        with pytest.raises(ModelServerError, match=r"did not answer /predict within 0.2 s"):
            client.predict(project=project, tasks=[TaskFactory(project=project)])
    assert time.monotonic() - started < 0.9
    assert sleeps == []


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"<html>502 Bad Gateway</html>", "answered garbage: /predict answered non-JSON"),
        ({"predictions": "soon"}, r'answered garbage: expected \{"results"'),
        ({"results": []}, "answered garbage: 0 results for 1 tasks"),
        ({"results": ["positive"]}, "answered garbage: task .*: a prediction must be an object"),
        ({"results": [{"result": {"choices": "positive"}}]}, "task .*: result must be a list"),
        ({"results": [{"result": _choices("sarcastic")}]}, "task .*: result does not fit"),
        ({"results": [{"result": [{"type": "rectanglelabels", "value": {}}]}]}, "no choices"),
    ],
)
def test_garbage_answers_are_clear_errors(db, model_server, answer, message):
    project = ProjectFactory(task_type=TaskType.TEXT_CLASSIFICATION)
    with pytest.raises(ModelServerError, match=message):
        _predict(model_server, project, [TaskFactory(project=project)], answer)


def test_an_http_error_names_the_status_and_a_redirect_is_not_followed(db, model_server):
    with ModelServerClient(model_server.url) as client:
        with pytest.raises(ModelServerError, match=r"refused /nowhere: HTTP 404 \(Not Found\)"):
            client._call("GET", "/nowhere")
        model_server.routes["/health"] = [(302, b"")]
        with pytest.raises(ModelServerError, match=r"garbage: /health redirected \(HTTP 302\)"):
            client.health()
    assert [call[1] for call in model_server.calls] == ["/nowhere", "/health"]


# The job message is shown to every member of the project; the server's answer may be a
# traceback with its environment, or another service's page: only the log gets it.
@pytest.mark.parametrize(
    ("status", "answer", "message"),
    [
        (401, {"detail": f"token {SECRET} expired"}, r"refused /health: HTTP 401 \(Unauthorized\)"),
        (500, f"Traceback: KEY={SECRET}".encode(), "is down: HTTP 500 on /health"),
        (302, b"", "redirected"),
        (200, f"<html>{SECRET}</html>".encode(), "/health answered non-JSON"),
        (200, {"status": "LOADING", "detail": SECRET}, "not up"),
        (200, [SECRET], "not up"),
    ],
)
def test_what_the_server_answered_is_logged_not_shown(
    model_server, sleeps, caplog, status, answer, message
):
    model_server.routes["/health"] = [(status, answer)]
    with caplog.at_level(logging.WARNING, logger=external.__name__):
        with ModelServerClient(model_server.url) as client:
            with pytest.raises(ModelServerError, match=message) as error:
                client.health()
    assert SECRET not in str(error.value)
    assert SECRET in caplog.text


@pytest.mark.parametrize("answer", [{"predictions": SECRET}, {"results": [SECRET]}, SECRET])
def test_a_prediction_answer_that_does_not_fit_is_logged_not_shown(
    db, model_server, caplog, answer
):
    project = ProjectFactory(task_type=TaskType.TEXT_CLASSIFICATION)
    with caplog.at_level(logging.WARNING, logger=external.__name__):
        with pytest.raises(ModelServerError, match="answered garbage") as error:
            _predict(model_server, project, [TaskFactory(project=project)], answer)
    assert SECRET not in str(error.value)
    assert SECRET in caplog.text


# -- addresses and schemes ------------------------------------------------------------------------


# -- label configs --------------------------------------------------------------------------------


@pytest.mark.parametrize("task_type", list(TaskType))
def test_every_type_gets_a_well_formed_label_studio_config(db, task_type):
    root = ET.fromstring(label_config_xml(ProjectFactory(task_type=task_type)))
    assert root.tag == "View" and len(root)


def test_label_values_are_escaped_in_the_config(db):
    project = ProjectFactory(label_config={"labels": [{"value": 'a"<b>&c'}], "multi_label": True})
    root = ET.fromstring(label_config_xml(project))
    choices = root.find("Choices")
    assert choices.get("choice") == "multiple"
    assert [c.get("value") for c in choices] == ['a"<b>&c']
