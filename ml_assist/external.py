"""A client for model servers speaking the Label Studio ML backend protocol.

    GET  /health   -> {"status": "UP", ...}
    POST /setup    {"project": "<id>.<created ts>", "schema": "<View>…"} -> {"model_version": …}
    POST /predict  {"tasks": [{"id", "data"}], "label_config": "<View>…", "project": …}
                   -> {"results": [{"result": [regions], "score": 0.9, "model_version": …}]}
                      (or the bare list; an item may also be a list of predictions for the task)

Results become our shapes through platform_core.label_studio and are validated against the
project like any other result. Every failure is a ModelServerError whose message a job can show
to every member of the project: it names the status or the shape that was wrong, never what the
server said (a traceback with its environment, another service's page); that goes to the log.

The URL must be http(s) and resolve to public addresses unless ML_SERVER_ALLOW_PRIVATE. Each
request connects to the address that was checked, not to whatever a second lookup of the name
answers (DNS rebinding), and never through a proxy from the environment.
"""
import ipaddress
import json
import logging
import socket
import time
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from requests.adapters import HTTPAdapter

from ml_assist.media_links import signed_media_url
from platform_core.label_studio import from_label_studio, label_config_xml
from platform_core.models import Project, Task
from platform_core.results import validate_result

TRIES = 3  # connection errors and 5xx: 3 tries, 0.5 s then 1 s apart
BACKOFF_S = 0.5
# 1,000 tasks with a few dozen boxes each is ~10 MB of JSON; beyond 64 MB something is wrong.
MAX_ANSWER_BYTES = 64 * 1024**2
SNIPPET = 200  # characters of an answer the log keeps
_sleep = time.sleep  # tests patch this

logger = logging.getLogger(__name__)


class ModelServerError(Exception):
    """The model server cannot be used; str(error) says why, in words for the job page."""


@dataclass(frozen=True)
class ExternalPrediction:
    task_id: int
    result: dict  # our shape, validated against the project
    confidence: float | None  # the server's score when it is in 0..1
    model_version: str  # the server's name for its model; "" when it gives none


def display_url(url: str) -> str:
    """The URL without credentials (user:password@), for messages."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


def model_server_url_check(url: str) -> str | None:
    """ModelServerError unless `url` is http(s) and every address its host resolves to is public.

    Returns the address to connect to (the first answer), or None when ML_SERVER_ALLOW_PRIVATE
    skips the check. Connect to that address, not to the name: a second lookup may answer
    127.0.0.1 (DNS rebinding).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        scheme = f"{parts.scheme}:" if parts.scheme else "no scheme"
        raise ModelServerError(f"model server URL must be http:// or https://, not {scheme}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ModelServerError(f"model server URL {display_url(url)!r} has a bad port") from None
    if not parts.hostname:
        raise ModelServerError(f"model server URL {display_url(url)!r} names no host")
    if settings.ML_SERVER_ALLOW_PRIVATE:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ModelServerError(
            f"model server at {display_url(url)} is down: cannot resolve {parts.hostname} ({exc})"
        ) from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    for address in addresses:
        if _is_internal(address):
            raise ModelServerError(
                f"model server at {display_url(url)} resolves to {address}, a private, loopback "
                "or link-local address: refused (ML_SERVER_ALLOW_PRIVATE allows it)"
            )
    if not addresses:
        raise ModelServerError(f"model server at {display_url(url)} resolves to no address")
    return str(addresses[0])


def _url_to(address: str | None, url: str) -> tuple[str, dict]:
    """`url` with its host replaced by `address`, and the Host header that names the host."""
    if address is None:
        return url, {}
    parts = urlsplit(url)
    userinfo, _, host = parts.netloc.rpartition("@")
    netloc = f"[{address}]" if ":" in address else address
    if parts.port:
        netloc += f":{parts.port}"
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    return urlunsplit(parts._replace(netloc=netloc)), {"Host": host}


class _NamedTLSAdapter(HTTPAdapter):
    """HTTPS to an address (see _url_to) that sends the host name for SNI; the ssl module
    checks the certificate against that same name."""

    def __init__(self, hostname: str):
        self.hostname = hostname  # before super().__init__, which builds the pool manager
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, server_hostname=self.hostname, **kwargs)


_INTERNAL = ("is_private", "is_loopback", "is_link_local", "is_reserved", "is_multicast",
             "is_unspecified")


def _is_internal(address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 is 127.0.0.1
    if mapped is not None and _is_internal(mapped):
        return True
    # not is_global also catches what none of the flags name, e.g. 100.64.0.0/10 (CGNAT).
    return any(getattr(address, flag) for flag in _INTERNAL) or not address.is_global


class ModelServerClient:
    """One model server; use it as a context manager (it holds a connection pool)."""

    def __init__(self, url: str, *, timeout: float | None = None, tries: int = TRIES):
        self.url = url.rstrip("/")
        self.shown = display_url(self.url)
        self.timeout = float(timeout if timeout is not None else settings.ML_SERVER_TIMEOUT_S)
        self.tries = max(1, tries)
        self.session = requests.Session()
        # A proxy (HTTP_PROXY, ...) would connect wherever the name points, past the check.
        self.session.trust_env = False
        if hostname := urlsplit(self.url).hostname:
            self.session.mount("https://", _NamedTLSAdapter(hostname))

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.session.close()

    def health(self) -> dict:
        body = self._call("GET", "/health")
        if not isinstance(body, dict) or body.get("status") != "UP":
            self._log_answer("/health", "not UP", _snippet(body))
            raise ModelServerError(
                f'model server at {self.shown} is not up: /health did not say "status": "UP"'
            )
        return body

    def setup(self, *, project: Project) -> str:
        """Tell the server the project's labels; returns the model version it will use."""
        payload = {"project": project_ref(project), "schema": label_config_xml(project),
                   "hostname": settings.ML_MEDIA_BASE_URL, "access_token": ""}
        body = self._call("POST", "/setup", payload)
        if not isinstance(body, dict):
            self._log_answer("/setup", "not an object", _snippet(body))
            raise self._garbage(f"/setup answered {_kind(body)}, not an object")
        return str(body.get("model_version") or "")

    def predict(self, *, project: Project, tasks: list[Task]) -> list[ExternalPrediction]:
        """Predictions for `tasks` (one batch) in our shapes; tasks the server left empty are
        absent. ModelServerError if the answer does not fit, naming the task where it can."""
        if not tasks:
            return []
        payload = {"tasks": [task_payload(task, project) for task in tasks],
                   "label_config": label_config_xml(project), "project": project_ref(project)}
        body = self._call("POST", "/predict", payload)
        version = body.get("model_version") if isinstance(body, dict) else None
        results = body.get("results") if isinstance(body, dict) else body
        if not isinstance(results, list):
            self._log_answer("/predict", "no results list", _snippet(body))
            raise self._garbage(f"expected {{\"results\": [...]}}, got {_kind(body)}")
        if len(results) != len(tasks):
            raise self._garbage(f"{len(results)} results for {len(tasks)} tasks")
        predictions = []
        for task, item in zip(tasks, results):
            try:
                prediction = _prediction(project, task, item, version)
            except (ValueError, TypeError) as exc:
                self._log_answer("/predict", f"task {task.pk}: {exc}", _snippet(item))
                raise self._garbage(f"task {task.pk}: {exc}") from None
            if prediction is not None:
                predictions.append(prediction)
        return predictions

    # -- transport ---------------------------------------------------------------------------

    def _call(self, method: str, path: str, payload: dict | None = None):
        problem = ""
        for attempt in range(self.tries):
            if attempt:
                _sleep(BACKOFF_S * 2 ** (attempt - 1))
            url, headers = _url_to(model_server_url_check(self.url), self.url + path)
            try:
                response = self.session.request(
                    method, url, json=payload, timeout=(self.timeout, self.timeout),
                    allow_redirects=False, stream=True,
                    headers={"Accept": "application/json", **headers},
                )
            except requests.exceptions.ConnectTimeout:
                problem = f"no connection within {self.timeout:g} s"
                continue
            except requests.exceptions.ReadTimeout:
                raise ModelServerError(
                    f"model server at {self.shown} did not answer {path} within {self.timeout:g} s"
                ) from None
            except requests.exceptions.RequestException as exc:
                problem = _reason(exc)
                continue
            with response:
                if response.status_code >= 500:
                    problem = f"HTTP {response.status_code} on {path}"
                    self._log_answer(path, f"HTTP {response.status_code}", _first_bytes(response))
                    continue
                body = self._read(response, path)
            return self._decode(response, path, body)
        raise ModelServerError(
            f"model server at {self.shown} is down: {problem} (tried {self.tries} times)"
        )

    def _read(self, response, path: str) -> bytes:
        deadline = time.monotonic() + self.timeout
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    raise self._garbage(f"{path} answered over {MAX_ANSWER_BYTES} bytes")
                if time.monotonic() > deadline:
                    raise requests.exceptions.ReadTimeout()
                chunks.append(chunk)
        except requests.exceptions.RequestException:
            raise ModelServerError(
                f"model server at {self.shown} did not finish answering {path} "
                f"within {self.timeout:g} s"
            ) from None
        return b"".join(chunks)

    def _decode(self, response, path: str, body: bytes):
        status = response.status_code
        if 300 <= status < 400:
            self._log_answer(path, f"HTTP {status} to", response.headers.get("Location", ""))
            raise self._garbage(f"{path} redirected (HTTP {status}); redirects are not followed")
        if status >= 400:
            self._log_answer(path, f"HTTP {status}", body)
            raise ModelServerError(
                f"model server at {self.shown} refused {path}: HTTP {status} ({_phrase(status)})"
            )
        try:
            return json.loads(body)
        except ValueError:
            self._log_answer(path, "non-JSON", body)
            raise self._garbage(f"{path} answered non-JSON ({len(body)} bytes)") from None

    def _log_answer(self, path: str, what: str, answer: bytes | str) -> None:
        if isinstance(answer, bytes):
            answer = answer[:SNIPPET].decode("utf-8", "replace")
        logger.warning("Model server at %s, %s: %s: %r", self.shown, path, what, answer[:SNIPPET])

    def _garbage(self, what: str) -> ModelServerError:
        return ModelServerError(f"model server at {self.shown} answered garbage: {what}")


def model_server_predict(*, project: Project, tasks: list[Task]) -> list[ExternalPrediction]:
    """Predictions from the project's model server for one batch of its tasks."""
    with ModelServerClient(project.model_server_url) as client:
        return client.predict(project=project, tasks=tasks)


def _reason(exc: Exception) -> str:
    """"connection refused" rather than requests' 300-character pool message."""
    text = str(exc)
    return "connection refused" if "Connection refused" in text else type(exc).__name__


def _snippet(value) -> str:
    return json.dumps(value)[:SNIPPET]


def _kind(value) -> str:
    """What a JSON value is, without what it says: for messages."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return {str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def _phrase(status: int) -> str:
    """The standard reason for a status; the server's own reason phrase is its text."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"


def _first_bytes(response) -> bytes:
    """The start of an answer that is not used, for the log; b"" if it does not come."""
    try:
        return next(response.iter_content(SNIPPET), b"")
    except requests.exceptions.RequestException:
        return b""


# -- payloads and results ----------------------------------------------------------------------


def project_ref(project: Project) -> str:
    """Label Studio's "<id>.<created timestamp>": backends split on the dot for the id."""
    return f"{project.pk}.{int(project.created_at.timestamp())}"


def task_payload(task: Task, project: Project) -> dict:
    """A Label Studio task: our data, plus for media a link the server can fetch.

    Without ML_MEDIA_BASE_URL the media key holds the storage name only, which serves servers
    that share the media volume and nobody else.
    """
    data = dict(task.data) if isinstance(task.data, dict) else {}
    if kind := project.media_kind:
        data[kind] = signed_media_url(task) or task.media.name or data.get("file", "")
    return {"id": task.pk, "data": data}


def _prediction(project, task, item, default_version) -> ExternalPrediction | None:
    if isinstance(item, list):  # several predictions for one task: take the best scored
        item = max((p for p in item if isinstance(p, dict)), key=_score_key, default=None)
    if item is None:
        return None
    if not isinstance(item, dict):
        raise ValueError(f"a prediction must be an object, got {_kind(item)}")
    regions = item.get("result")
    if regions in (None, []):
        return None  # the server has nothing to suggest for this task
    result = from_label_studio(project.task_type, regions, duration_s=task.duration_s)
    try:
        result = validate_result(project=project, task=task, result=result)
    except ValidationError as exc:
        messages = exc.message_dict.get("result", exc.messages)
        raise ValueError(f"result does not fit the project: {'; '.join(messages[:3])}") from None
    score = item.get("score")
    confidence = float(score) if _is_unit(score) else _region_score(regions)
    version = str(item.get("model_version") or default_version or "")[:100]
    return ExternalPrediction(task.pk, result, confidence, version)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_unit(value) -> bool:
    return _is_number(value) and 0.0 <= value <= 1.0


def _score_key(prediction: dict) -> float:
    return prediction.get("score") if _is_number(prediction.get("score")) else -1.0


def _region_score(regions) -> float | None:
    scores = [r["score"] for r in regions if isinstance(r, dict) and _is_unit(r.get("score"))]
    return float(min(scores)) if scores else None
