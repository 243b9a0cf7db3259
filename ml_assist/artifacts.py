"""Predictor artifacts: pickled bytes in Django storage, signed, and verified before loading.

Unpickling runs code, so bytes are unpickled only after their HMAC-SHA256 (keyed from
SECRET_KEY through `salted_hmac`, compared in constant time) matches the signature stored on
the ModelVersion row when the artifact was written. Whoever can write to the media store (an
S3 bucket shared with other tools, a restored backup) cannot make the worker run their code
without also knowing SECRET_KEY and being able to write the database.
"""
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.crypto import constant_time_compare, salted_hmac

from ml_assist import estimators
from ml_assist.models import ModelVersion, artifact_path

SIGNATURE_SALT = "ml_assist.artifacts.predictor"
# Loaded predictors kept per worker process: a text model is a few MB; eight of them is cheap
# next to reading and unpickling one for every job.
CACHED_PREDICTORS = 8


class ArtifactRefused(Exception):
    """The artifact is missing or its signature does not match: it was not unpickled."""


def artifact_sign(blob: bytes) -> str:
    return salted_hmac(SIGNATURE_SALT, blob, algorithm="sha256").hexdigest()


# Names stored inside the innermost artifacts_removed_on_rollback() block.
_stored_in_block: ContextVar[list[str] | None] = ContextVar("stored_in_block", default=None)


def artifact_store(*, project_id: int, name: str, blob: bytes) -> tuple[str, str]:
    """Save `blob` for the version `name` of the project; returns (storage name, signature)."""
    stub = ModelVersion(project_id=project_id)
    stored = default_storage.save(artifact_path(stub, f"{name}.pkl"), ContentFile(blob))
    if (block := _stored_in_block.get()) is not None:
        block.append(stored)
    return stored, artifact_sign(blob)


@contextmanager
def artifacts_removed_on_rollback():
    """Around a transaction that stores artifacts for the version rows it writes: when it
    raises (and so rolls back), the files go too, instead of staying behind with no row."""
    stored: list[str] = []
    token = _stored_in_block.set(stored)
    try:
        yield
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    finally:
        _stored_in_block.reset(token)


def artifact_verified_bytes(version: ModelVersion) -> bytes:
    """The artifact's bytes once its signature checked out; ArtifactRefused otherwise."""
    try:
        with default_storage.open(version.artifact.name, "rb") as handle:
            blob = handle.read()
    except (FileNotFoundError, OSError, ValueError) as exc:
        raise ArtifactRefused(f"The artifact of {version.name} cannot be read ({exc}).") from None
    if not version.artifact_signature or not constant_time_compare(
        artifact_sign(blob), version.artifact_signature
    ):
        raise ArtifactRefused(
            f"The artifact of {version.name} does not match its signature; it was not loaded. "
            "Train a new version."
        )
    return blob


def predictor_load(version: ModelVersion) -> estimators.BasePredictor:
    """The version's predictor, verified then unpickled (cached per process by signature)."""
    return _load(version.pk, version.name, version.artifact.name, version.artifact_signature)


@lru_cache(maxsize=CACHED_PREDICTORS)
def _load(pk: int, name: str, artifact: str, signature: str) -> estimators.BasePredictor:
    stub = ModelVersion(pk=pk, name=name, artifact=artifact, artifact_signature=signature)
    blob = artifact_verified_bytes(stub)
    return estimators.loads(blob)


def predictor_cache_clear() -> None:
    _load.cache_clear()
