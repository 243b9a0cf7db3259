"""Quality figures of labeling: agreement between annotators, how much a review changed a result,
error rates of transcripts, the review acceptance rate. Pure functions, no Django, no database.

Error rates come from jiwer and box matching from scipy's assignment solver, imported inside
the functions that need them: they cost the importing process ~1 s and ~100 MB, which the web
process (it serves the metrics) should only pay when it computes such a figure. Cohen's kappa
and Krippendorff's nominal alpha, which every classification project's metrics show, are a
few sums: written here, and checked against scikit-learn and the `krippendorff` package.

Every figure is a finite float or None, never NaN: the dicts returned go straight into JSON.
"""
import math
from collections import Counter
from itertools import combinations

CLASSIFICATION_TYPES = ("text_classification", "image_classification", "audio_classification")
WILSON_Z_95 = 1.959963984540054
BOX_MIN_IOU = 0.5


def wilson_interval(successes: int, n: int, *, z: float = WILSON_Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion; (0, 1) when there is no observation."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


# -- boxes and spans --------------------------------------------------------------------------


def box_iou(a: dict, b: dict) -> float:
    """Intersection over union of two boxes {"x", "y", "w", "h"}; labels are not compared."""
    ax, ay, aw, ah = (float(a.get(k, 0.0)) for k in ("x", "y", "w", "h"))
    bx, by, bw, bh = (float(b.get(k, 0.0)) for k in ("x", "y", "w", "h"))
    w = min(ax + aw, bx + bw) - max(ax, bx)
    h = min(ay + ah, by + bh) - max(ay, by)
    inter = max(w, 0.0) * max(h, 0.0)
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def match_boxes(
    boxes_a: list[dict], boxes_b: list[dict], *, min_iou: float = BOX_MIN_IOU
) -> list[tuple[int, int, float]]:
    """One-to-one pairs (i, j, iou) of same-label boxes with iou >= min_iou, sorted by i.

    The pairing maximises the summed IoU (scipy's linear_sum_assignment), so one box does not
    steal a partner that another box overlaps better. Boxes that do not overlap are never a
    pair, even with min_iou=0.
    """
    if not boxes_a or not boxes_b:
        return []
    from scipy.optimize import linear_sum_assignment

    weights = [[_pair_weight(a, b, min_iou) for b in boxes_b] for a in boxes_a]
    rows, cols = linear_sum_assignment(weights, maximize=True)
    return [(int(i), int(j), weights[i][j]) for i, j in zip(rows, cols) if weights[i][j] > 0]


def _pair_weight(a: dict, b: dict, min_iou: float) -> float:
    """The IoU of two boxes that may pair, 0.0 for two that may not."""
    if a.get("label") != b.get("label"):
        return 0.0
    iou = box_iou(a, b)
    return iou if iou >= min_iou else 0.0


def box_f1(boxes_a: list[dict], boxes_b: list[dict], *, min_iou: float = BOX_MIN_IOU) -> float:
    """F1 of two box lists, a pair counting at IoU >= min_iou; 1.0 when both are empty."""
    if not boxes_a and not boxes_b:
        return 1.0
    matched = len(match_boxes(boxes_a, boxes_b, min_iou=min_iou))
    return 2 * matched / (len(boxes_a) + len(boxes_b))


def span_f1(spans_a: list[dict], spans_b: list[dict]) -> float:
    """F1 of exact (start, end, label) matches; 1.0 when both are empty."""
    a = {(s.get("start"), s.get("end"), s.get("label")) for s in spans_a}
    b = {(s.get("start"), s.get("end"), s.get("label")) for s in spans_b}
    if not a and not b:
        return 1.0
    return 2 * len(a & b) / (len(a) + len(b))


# -- text -------------------------------------------------------------------------------------


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / words of the reference.

    An empty (or blank) reference has no words to divide by: 0.0 if the hypothesis is empty
    too, else 1.0. Decided here because jiwer 3 raises on it and jiwer 4 does not.
    """
    return _error_rate("wer", reference, hypothesis)


def character_error_rate(reference: str, hypothesis: str) -> float:
    """The same over characters (spaces included); empty references as in word_error_rate."""
    return _error_rate("cer", reference, hypothesis)


def _error_rate(kind: str, reference: str, hypothesis: str) -> float:
    reference, hypothesis = (reference or "").strip(), (hypothesis or "").strip()
    if not reference:
        return 0.0 if not hypothesis else 1.0
    if not hypothesis:
        return 1.0  # every word (character) of the reference deleted
    import jiwer

    return float(getattr(jiwer, kind)(reference, hypothesis))


def transcript_text(result: dict | None) -> str:
    """The texts of a transcription's segments, in start order, joined by single spaces."""
    segments = sorted(
        (result or {}).get("segments") or [],
        key=lambda s: (s.get("start") or 0.0, s.get("end") or 0.0),
    )
    return " ".join(text for s in segments if (text := (s.get("text") or "").strip()))


# -- how much an edit changed a result --------------------------------------------------------


def edit_figure(task_type: str, before: dict | None, after: dict | None) -> dict:
    """{"metric", "value"}: how far `after` (a review, a correction) moved from `before`.

    Classification: labels added plus removed (0 = unchanged). Spans: span F1 (1 = unchanged).
    Boxes: summed IoU of matched same-label boxes over the larger box count (1 = unchanged,
    a deleted or added box counts 0). Transcription and SFT: character error rate of the new
    text against the old (0 = unchanged). Preference: 1.0 if the choice flipped. Missing keys
    count as empty.
    """
    before, after = before or {}, after or {}
    if task_type in CLASSIFICATION_TYPES:
        changed = set(before.get("labels") or []) ^ set(after.get("labels") or [])
        return {"metric": "labels_changed", "value": float(len(changed))}
    if task_type == "text_spans":
        value = span_f1(before.get("spans") or [], after.get("spans") or [])
        return {"metric": "span_f1", "value": value}
    if task_type == "image_boxes":
        old, new = before.get("boxes") or [], after.get("boxes") or []
        if not old and not new:
            return {"metric": "box_iou", "value": 1.0}
        matched = sum(iou for _, _, iou in match_boxes(old, new, min_iou=0.0))
        return {"metric": "box_iou", "value": matched / max(len(old), len(new))}
    if task_type == "audio_transcription":
        value = character_error_rate(transcript_text(before), transcript_text(after))
        return {"metric": "cer", "value": value}
    if task_type == "sft":
        value = character_error_rate(before.get("response") or "", after.get("response") or "")
        return {"metric": "cer", "value": value}
    if task_type == "preference":
        flipped = before.get("choice") != after.get("choice")
        return {"metric": "choice_flipped", "value": 1.0 if flipped else 0.0}
    raise ValueError(f"Unknown task type {task_type!r}.")


# -- agreement between annotators -------------------------------------------------------------


def label_agreement(rows: list[list[str]]) -> dict:
    """Chance-corrected agreement of categorical ratings; one row per task, one value per rating.

    Tasks with fewer than two ratings are left out (nothing to compare); "tasks" counts the rest.
    Exactly two ratings on every task: Cohen's kappa, the first rating of each row as one rater
    and the second as the other. Otherwise Krippendorff's alpha (nominal), which allows any
    number of ratings per task. "observed_agreement" is the share of agreeing rating pairs,
    averaged over tasks.

    "value" is None with fewer than two tasks, and when every rating is the same category: the
    statistic is then 0/0, since perfect agreement cannot be told apart from chance when there
    is no variation (Krippendorff's own reading). observed_agreement (1.0) still says all agreed.
    """
    rows = [list(row) for row in rows if len(row) >= 2]
    two_raters = all(len(row) == 2 for row in rows)
    figure = {
        "metric": "cohen_kappa" if two_raters else "krippendorff_alpha",
        "value": None,
        "tasks": len(rows),
        "observed_agreement": _mean(_pair_share(row, _same) for row in rows),
    }
    categories = sorted({value for row in rows for value in row})
    if len(rows) < 2 or len(categories) < 2:
        return figure
    figure["value"] = cohen_kappa(rows) if two_raters else krippendorff_alpha_nominal(rows)
    return figure


def cohen_kappa(rows: list[list[str]]) -> float | None:
    """Cohen's kappa of two raters, one row (first rater's value, second's) per task:
    (p_o - p_e) / (1 - p_e), p_e from each rater's own category shares. None when p_e is 1.
    Equal to scikit-learn's cohen_kappa_score (tests check it), computed here so that the
    web process, which serves the metrics, does not load scikit-learn and NumPy (~100 MB)."""
    n = len(rows)
    first, second = Counter(row[0] for row in rows), Counter(row[1] for row in rows)
    observed = sum(a == b for a, b in rows) / n
    expected = sum(first[c] * second[c] for c in first) / (n * n)
    return None if expected == 1 else (observed - expected) / (1 - expected)


def krippendorff_alpha_nominal(rows: list[list[str]]) -> float | None:
    """Krippendorff's alpha for nominal data, any number of values per task (tasks with fewer
    than two are not pairable and left out): 1 - (n - 1) * sum of off-diagonal coincidences /
    sum over category pairs c != k of n_c * n_k (Krippendorff 2011, "Computing Krippendorff's
    Alpha-Reliability"). Each ordered pair of values within a task adds 1 / (m - 1) to the
    coincidences, so the off-diagonal sum is each task's disagreeing ordered pairs over m - 1.
    Equal to the `krippendorff` package's alpha (tests check it), without NumPy in the web
    process. None when every value is one category."""
    totals: Counter = Counter()
    disagreement = 0.0
    for row in rows:
        if len(row) < 2:
            continue
        counts = Counter(row)
        m = len(row)
        totals.update(counts)
        disagreement += (m * m - sum(c * c for c in counts.values())) / (m - 1)
    n = sum(totals.values())
    expected = n * n - sum(c * c for c in totals.values())
    return None if expected == 0 else 1 - (n - 1) * disagreement / expected


def pairwise_agreement(task_type: str, rows: list[list[dict]]) -> dict:
    """Mean over tasks of the mean over pairs of annotators' results of a similarity figure.

    text_spans: span F1. image_boxes: box F1 at IoU 0.5. audio_transcription and sft: word error
    rate, averaged over both directions since neither text is the reference (0 = same words;
    lower is better). preference: share of pairs with the same choice. Tasks with fewer than two
    results are left out; "value" is None when no task is left.
    """
    if task_type not in _PAIR_FIGURES:
        raise ValueError(f"No pairwise agreement for task type {task_type!r}.")
    metric, score = _PAIR_FIGURES[task_type]
    rows = [[result or {} for result in row] for row in rows if len(row) >= 2]
    value = _mean(_pair_share(row, score) for row in rows)
    return {"metric": metric, "value": value, "tasks": len(rows)}


def agreement(task_type: str, rows: list[list[dict]]) -> dict:
    """Agreement of several annotators' results per task (one row of results per task).

    Classification types: label_agreement of each result's labels, a multi-label answer being
    one category ("a|b", sorted). Other types: pairwise_agreement.
    """
    if task_type in CLASSIFICATION_TYPES:
        return label_agreement(
            [["|".join(sorted((r or {}).get("labels") or [])) for r in row] for row in rows]
        )
    return pairwise_agreement(task_type, rows)


def _same(a, b) -> float:
    return 1.0 if a == b else 0.0


def _spans_f1(a: dict, b: dict) -> float:
    return span_f1(a.get("spans") or [], b.get("spans") or [])


def _boxes_f1(a: dict, b: dict) -> float:
    return box_f1(a.get("boxes") or [], b.get("boxes") or [])


def _transcripts_wer(a: dict, b: dict) -> float:
    return _symmetric_wer(transcript_text(a), transcript_text(b))


def _responses_wer(a: dict, b: dict) -> float:
    return _symmetric_wer(a.get("response") or "", b.get("response") or "")


def _same_choice(a: dict, b: dict) -> float:
    return _same(a.get("choice"), b.get("choice"))


def _symmetric_wer(a: str, b: str) -> float:
    return (word_error_rate(a, b) + word_error_rate(b, a)) / 2


_PAIR_FIGURES = {
    "text_spans": ("span_f1", _spans_f1),
    "image_boxes": ("box_f1", _boxes_f1),
    "audio_transcription": ("wer", _transcripts_wer),
    "sft": ("wer", _responses_wer),
    "preference": ("preference_agreement", _same_choice),
}


def _pair_share(row: list, score) -> float:
    """The mean of score(a, b) over every pair within one task."""
    return sum(score(a, b) for a, b in combinations(row, 2)) / math.comb(len(row), 2)


def _mean(values) -> float | None:
    values = list(values)
    return _finite(sum(values) / len(values)) if values else None


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


# -- review -----------------------------------------------------------------------------------


def review_acceptance(accepted: int, corrected: int, rejected: int) -> dict:
    """Review verdict counts with the rates: accepted as submitted, and kept (accepted or
    accepted after correction), each over everything reviewed; None when nothing was."""
    reviewed = accepted + corrected + rejected
    return {
        "accepted": accepted,
        "corrected": corrected,
        "rejected": rejected,
        "reviewed": reviewed,
        "acceptance_rate": accepted / reviewed if reviewed else None,
        "kept_rate": (accepted + corrected) / reviewed if reviewed else None,
    }
