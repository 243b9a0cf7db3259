import pickle

import pytest
from django.core.files.storage import default_storage

from ml_assist.artifacts import ArtifactRefused, artifact_sign, predictor_cache_clear, predictor_load
from ml_assist.models import MlJobKind, MlJobStatus, ModelVersion
from ml_assist.services import ml_job_create, model_prelabel, model_train
from platform_core.models import Prediction


@pytest.fixture
def version(labeled_text_project):
    project, _ = labeled_text_project
    job = ml_job_create(project=project, kind=MlJobKind.TRAIN, enqueue=False)
    model_train(job_id=job.pk)
    predictor_cache_clear()
    yield ModelVersion.objects.get(project=project)
    predictor_cache_clear()


@pytest.fixture
def no_unpickling(monkeypatch):
    """Any call of pickle.loads fails the test: refused bytes must never reach it."""

    def refuse(*args, **kwargs):
        pytest.fail("pickle.loads was called on an artifact whose signature did not match")

    monkeypatch.setattr(pickle, "loads", refuse)


def _overwrite(version, blob: bytes) -> None:
    with default_storage.open(version.artifact.name, "wb") as handle:
        handle.write(blob)


def test_a_signed_artifact_loads_into_a_working_predictor(version):
    predictor = predictor_load(version)

    assert predictor.is_trained
    assert version.artifact_signature == artifact_sign(version.artifact.read())


def test_a_tampered_artifact_is_refused_and_never_unpickled(version, no_unpickling):
    with default_storage.open(version.artifact.name, "rb") as handle:
        blob = handle.read()
    _overwrite(version, blob[:-1] + bytes([blob[-1] ^ 1]))

    with pytest.raises(ArtifactRefused, match="does not match its signature"):
        predictor_load(version)


def test_a_replaced_artifact_with_a_malicious_pickle_is_refused(version, no_unpickling):
    class Boom:
        def __reduce__(self):
            return (print, ("this must never run",))

    _overwrite(version, pickle.dumps(Boom()))

    with pytest.raises(ArtifactRefused):
        predictor_load(version)


def test_a_signature_changed_in_the_database_alone_is_refused(version, no_unpickling):
    version.artifact_signature = "0" * 64

    with pytest.raises(ArtifactRefused):
        predictor_load(version)


def test_prelabel_with_a_refused_artifact_fails_the_job_with_a_clear_message(version, no_unpickling):
    _overwrite(version, b"\x80\x05 not our bytes")
    job = ml_job_create(project=version.project, kind=MlJobKind.PRELABEL, enqueue=False)

    model_prelabel(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == MlJobStatus.FAILED
    assert "does not match its signature" in job.message
    assert not Prediction.objects.filter(task__project=version.project).exists()
