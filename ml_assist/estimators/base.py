"""The predictor interface every task type implements, and what all of them share.

Pure Python + numpy/scikit-learn: no Django here (STYLE.md habit 9). The Django side turns tasks
and accepted annotations into `Item`s and result dicts, calls `fit` / `predict` / `evaluate`,
and stores `dumps()` bytes (signing them is its job, not ours).
"""
from __future__ import annotations

import io
import pickle
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

# numpy is imported where it is used: the web process imports this module (through the job
# services) and must not carry numpy; estimators run on the worker only.
if TYPE_CHECKING:
    import numpy as np

ARTIFACT_FORMAT = 1


@dataclass
class Item:
    """What an estimator sees of one task: its text fields and, for media types, the decoded
    media. `image` is H x W x 3 uint8 RGB; `audio` is mono float32 in -1..1."""

    data: dict = field(default_factory=dict)
    image: np.ndarray | None = None
    audio: np.ndarray | None = None
    sample_rate: int = 0

    @property
    def duration_s(self) -> float | None:
        if self.audio is None or not self.sample_rate:
            return None
        return len(self.audio) / self.sample_rate

    @classmethod
    def from_image_bytes(cls, content: bytes, data: dict | None = None) -> Item:
        import numpy as np
        from PIL import Image

        with Image.open(io.BytesIO(content)) as picture:
            rgb = np.asarray(picture.convert("RGB"), dtype=np.uint8)
        return cls(data=dict(data or {}), image=rgb)

    @classmethod
    def from_audio_bytes(cls, content: bytes, data: dict | None = None) -> Item:
        import soundfile as sf

        signal, rate = sf.read(io.BytesIO(content), dtype="float32", always_2d=True)
        return cls(data=dict(data or {}), audio=signal.mean(axis=1), sample_rate=int(rate))


@dataclass
class Prediction:
    """A result in the task type's shape (DESIGN.md), the calibrated probability that it is
    right as a whole (0..1), and an uncertainty for active learning (higher = less sure)."""

    result: dict
    confidence: float
    uncertainty: float


@runtime_checkable
class Predictor(Protocol):
    task_type: str
    config: dict
    primary_metric: str

    @property
    def is_trained(self) -> bool: ...

    @property
    def ready(self) -> bool: ...

    def fit(self, items: list[Item], results: list[dict]) -> Predictor: ...

    def predict(self, items: list[Item]) -> list[Prediction | None]: ...

    def evaluate(self, items: list[Item], results: list[dict]) -> dict[str, float]: ...

    def dumps(self) -> bytes: ...


class BasePredictor:
    """Shared plumbing: config, the "too few labels" rule, evaluate, (de)serialisation.

    Subclasses implement `_usable` (which results teach anything), `_has_input` (the item has
    what the type reads), `_fit` (False when the labels cannot teach anything yet), `_predict`
    and `_score` (metrics of predictions against accepted results, plus per-item correctness).
    """

    task_type: ClassVar[str] = ""
    primary_metric: ClassVar[str] = "accuracy"
    # Fewer accepted labels than this and the predictor stays silent rather than guess.
    min_labels: ClassVar[int] = 5
    # True where predictions need no labels at all (voice activity detection).
    unsupervised: ClassVar[bool] = False

    def __init__(self, config: dict | None = None):
        self.config = dict(config or {})
        self.trained_on = 0
        self._fitted = False

    # -- interface -------------------------------------------------------------------------

    @property
    def labels(self) -> list[str]:
        return [str(label["value"]) for label in self.config.get("labels", []) if "value" in label]

    @property
    def is_trained(self) -> bool:
        """Learned from accepted labels."""
        return self._fitted

    @property
    def ready(self) -> bool:
        """`predict` will say something (trained, or a type that needs no labels)."""
        return self._fitted or self.unsupervised

    def fit(self, items: list[Item], results: list[dict]) -> BasePredictor:
        """Learn from accepted results; results that teach nothing (unknown labels, wrong shape)
        and items without their media are skipped. Too few left: `is_trained` stays False."""
        if len(items) != len(results):
            raise ValueError(f"{len(items)} items but {len(results)} results.")
        pairs = [(i, r) for i, r in zip(items, results)
                 if isinstance(r, dict) and self._usable(r) and i is not None and self._has_input(i)]
        self.trained_on = len(pairs)
        self._fitted = False
        if len(pairs) >= self.min_labels:
            with single_threaded():
                self._fitted = bool(self._fit([i for i, _ in pairs], [r for _, r in pairs]))
        return self

    def predict(self, items: list[Item]) -> list[Prediction | None]:
        if not self.ready or not items:
            return [None] * len(items)
        # An item without what this type reads (a task whose image is missing) gets None.
        present = [k for k, item in enumerate(items) if item is not None and self._has_input(item)]
        predictions: list[Prediction | None] = [None] * len(items)
        if present:
            with single_threaded():
                for k, prediction in zip(present, self._predict([items[k] for k in present])):
                    predictions[k] = prediction
        # Rule of succession: n labels, all fitted perfectly, still leave 1/(n+2) of doubt.
        ceiling = 1.0 - 1.0 / (self.trained_on + 2)
        for prediction in predictions:
            if prediction is not None:
                prediction.confidence = float(min(max(prediction.confidence, 0.0), ceiling))
        return predictions

    def evaluate(self, items: list[Item], results: list[dict]) -> dict[str, float]:
        """Metrics of this predictor on held-out accepted results, plus coverage and the
        calibration figures (`ece`: expected calibration error over 10 confidence bins)."""
        return self.evaluate_outcomes(items, results)[0]

    def evaluate_outcomes(
        self, items: list[Item], results: list[dict]
    ) -> tuple[dict[str, float], list[tuple[float, bool]]]:
        """`evaluate`'s metrics, and (confidence, right?) per held-out item the predictor said
        something about: what a threshold proposal and the reliability curve are drawn from."""
        predictions = self.predict(items)
        metrics, correct = self._score(predictions, results)
        said = [(p.confidence, bool(ok)) for p, ok in zip(predictions, correct) if p is not None]
        metrics["n"] = float(len(results))
        metrics["coverage"] = len(said) / len(results) if results else 0.0
        if said:
            import numpy as np

            confidence, ok = (np.array(column, dtype=float) for column in zip(*said))
            metrics["mean_confidence"] = float(confidence.mean())
            metrics["ece"] = expected_calibration_error(confidence, ok)
        return metrics, said

    def dumps(self) -> bytes:
        import sklearn

        payload = {"format": ARTIFACT_FORMAT, "sklearn": sklearn.__version__, "predictor": self}
        return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)

    # -- for subclasses ----------------------------------------------------------------------

    def _usable(self, result: dict) -> bool:
        return True

    def _has_input(self, item: Item) -> bool:
        return True

    def _fit(self, items: list[Item], results: list[dict]) -> bool:
        raise NotImplementedError

    def _predict(self, items: list[Item]) -> list[Prediction | None]:
        raise NotImplementedError

    def _score(self, predictions, results) -> tuple[dict[str, float], list[bool]]:
        raise NotImplementedError


def loads(blob: bytes) -> BasePredictor:
    """The predictor `dumps` wrote. Unpickling runs code: call this only on bytes whose
    signature the caller has verified."""
    payload = pickle.loads(blob)  # noqa: S301 - the caller verified the signature
    if not isinstance(payload, dict) or payload.get("format") != ARTIFACT_FORMAT:
        raise ValueError("Not a predictor artifact of a known format.")
    predictor = payload["predictor"]
    if not isinstance(predictor, BasePredictor):
        raise ValueError("The artifact does not hold a predictor.")
    return predictor


# -- helpers the estimators share ----------------------------------------------------------


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Share-weighted mean |accuracy - confidence| over equal-width confidence bins."""
    import numpy as np

    which = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in np.unique(which):
        inside = which == b
        total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(total)


def single_threaded():
    """Our problems are small: two BLAS / OpenMP threads on a busy 2-core box spin against each
    other (one L-BFGS fit ran 15x slower, a gradient-boosting fit 50x). Workers scale out by
    processes instead."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def calibrated(estimator, y) -> object:
    """`estimator` wrapped so its probabilities are temperature-scaled on out-of-fold scores,
    when there are enough examples per class for three folds; otherwise it is returned as is
    (a logistic regression's own probabilities are a fair fallback)."""
    import numpy as np
    from sklearn.calibration import CalibratedClassifierCV

    _, counts = np.unique(np.asarray(y), return_counts=True)
    if len(counts) < 2 or counts.min() < 3 or counts.sum() < 30:
        return estimator
    return CalibratedClassifierCV(estimator, method=_calibration_method(), cv=3, ensemble=False)


@cache
def _calibration_method() -> str:
    """Temperature scaling (one parameter, fits multi-class as a whole) arrived in
    scikit-learn 1.8; before that, Platt's sigmoid per class."""
    import sklearn

    major, minor = (int(part) for part in sklearn.__version__.split(".")[:2])
    return "temperature" if (major, minor) >= (1, 8) else "sigmoid"



def fitted_base(estimator):
    """The fitted classifier inside what `calibrated` returned (for its coefficients)."""
    inner = getattr(estimator, "calibrated_classifiers_", None)
    return inner[0].estimator if inner else estimator


def top_two_margin(proba: np.ndarray) -> np.ndarray:
    """1 - (p1 - p2) per row: 0 when sure, 1 when the top two are tied."""
    import numpy as np

    if proba.shape[1] < 2:
        return np.zeros(len(proba))
    ordered = np.sort(proba, axis=1)
    return 1.0 - (ordered[:, -1] - ordered[:, -2])


def item_text(data: dict, key: str = "text") -> str:
    """The task's text: `data[key]`, else its string fields joined (imports vary)."""
    value = data.get(key)
    if isinstance(value, str):
        return value
    return " ".join(v for v in data.values() if isinstance(v, str))
