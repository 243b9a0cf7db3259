"""The arithmetic of confidence thresholds: which threshold a set of judged predictions
certifies, and the reliability curve. Pure Python, no Django, no database: arrays or lists of
(confidence, correct) in, numbers out.

A threshold is *certified* at a target precision when the 95% Wilson lower bound of the
precision of the judged predictions at or above it meets the target. Of all certified
thresholds the proposal is the lowest: it lets the machine carry the largest share.
"""
from collections.abc import Iterable
from typing import NamedTuple

from annotator.quality import wilson_interval

RELIABILITY_BINS = 10


class Certified(NamedTuple):
    """The lowest certified threshold (None: none is) and the evidence at it: `correct` of the
    `n` judged predictions at or above it, with their interval. Without a threshold, the
    evidence is that of every prediction judged."""

    threshold: float | None
    n: int
    correct: int
    low: float
    high: float


def lowest_certified_threshold(
    outcomes: Iterable[tuple[float, bool]], *, target: float, min_n: int = 1
) -> Certified:
    """Walk the outcomes from the most confident down, counting what a threshold at each
    distinct confidence keeps; return the lowest one whose lower bound meets `target` with at
    least `min_n` predictions kept."""
    rows = sorted(((float(c), bool(ok)) for c, ok in outcomes), reverse=True)
    n = correct = 0
    best = None
    for index, (confidence, ok) in enumerate(rows):
        n += 1
        correct += ok
        if index + 1 < len(rows) and rows[index + 1][0] == confidence:
            continue  # a threshold keeps all equal confidences or none
        low, high = wilson_interval(correct, n)
        if n >= min_n and low >= target:
            best = Certified(confidence, n, correct, low, high)
    if best is not None:
        return best
    low, high = wilson_interval(correct, n)
    return Certified(None, n, correct, low, high)


def reliability_bins(
    confidences: Iterable[float], correct: Iterable[bool], bins: int = RELIABILITY_BINS
) -> list[dict]:
    """Equal-width confidence bins that hold predictions: their range, count, mean confidence
    and accuracy (a calibrated model's points lie on the diagonal). The same bins as the
    expected calibration error (estimators.base.expected_calibration_error)."""
    grouped: dict[int, list[tuple[float, bool]]] = {}
    for confidence, ok in zip(confidences, correct, strict=True):
        index = min(int(float(confidence) * bins), bins - 1)
        grouped.setdefault(index, []).append((float(confidence), bool(ok)))
    return [
        {
            "low": round(index / bins, 6),
            "high": round((index + 1) / bins, 6),
            "n": len(rows),
            "confidence": sum(c for c, _ in rows) / len(rows),
            "accuracy": sum(ok for _, ok in rows) / len(rows),
        }
        for index, rows in sorted(grouped.items())
    ]
