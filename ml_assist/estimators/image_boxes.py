"""image_boxes: region proposals from scikit-image segmentation, classified by a model trained
on the boxes people drew, with overlapping boxes suppressed.

Proposals: the bounding boxes of Felzenszwalb segments (at half resolution), and of the
connected parts that stand out (Otsu) from the colour of the picture's border. Each box is described by what is inside it
against the ring around it: the shape of its foreground (extent, solidity, Hu moments, a 12 x 12
mask), contrast, colour, how tightly the box fits. Training: proposals overlapping a drawn box
(IoU >= 0.6) take its label, those with IoU < 0.3 are background, and the drawn boxes
themselves are examples too. Prediction: the classifier's object score, then non-maximum
suppression.
"""
from __future__ import annotations

import numpy as np
from sklearn.ensemble import ExtraTreesClassifier

from ml_assist.estimators.base import BasePredictor, Prediction, calibrated

BACKGROUND = "__background__"
POSITIVE_IOU, NEGATIVE_IOU, NMS_IOU = 0.6, 0.3, 0.3
MIN_SIDE = 4  # pixels: anything thinner is noise, not a box a person would draw
MASK_SIDE = 12
PROPOSAL_SIDE = 320  # pixels; a 1920 x 1080 photo is segmented at 320 x 180 (~40 ms)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in `a` with every box in `b`; boxes are rows (x0, y0, x1, y1)."""
    if not len(a) or not len(b):
        return np.zeros((len(a), len(b)))
    a, b = a[:, None, :].astype(float), b[None, :, :].astype(float)
    w = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    h = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = w * h
    area = lambda x: (x[..., 2] - x[..., 0]) * (x[..., 3] - x[..., 1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def _rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    return np.ascontiguousarray(image[:, :, :3])


def proposals(image: np.ndarray) -> np.ndarray:
    from scipy import ndimage
    from skimage.filters import threshold_otsu
    from skimage.segmentation import felzenszwalb

    image = _rgb(image)
    # Segmentation costs grow with pixels: propose on a copy at most PROPOSAL_SIDE across.
    step = max(1, int(np.ceil(max(image.shape[:2]) / PROPOSAL_SIDE)))
    if step > 1:
        return np.unique(np.minimum(proposals(image[::step, ::step]) * step,
                                    [image.shape[1], image.shape[0]] * 2), axis=0)
    h, w = image.shape[:2]
    # Felzenszwalb at half resolution (4x cheaper; its boxes are for recall, the border-colour
    # parts at full resolution give the tight ones).
    half = image[::2, ::2]
    segments = felzenszwalb(half, scale=300, sigma=0.5, min_size=max(10, half.size // 6000))
    boxes = [_box(found, 2) for found in ndimage.find_objects(segments + 1) if found]
    distance = _distance_from_border_colour(image.astype(np.float32))
    if distance.max() > distance.min():
        parts, _ = ndimage.label(distance > threshold_otsu(distance))
        sizes = np.bincount(parts.ravel())
        boxes += [_box(found) for k, found in enumerate(ndimage.find_objects(parts), start=1)
                  if found and sizes[k] >= 20]
    out = np.array(boxes, dtype=int).reshape(-1, 4)
    out = np.minimum(out, [w, h, w, h])
    out = out[((out[:, 2] - out[:, 0]) >= MIN_SIDE) & ((out[:, 3] - out[:, 1]) >= MIN_SIDE)]
    out = out[(out[:, 2] - out[:, 0]) * (out[:, 3] - out[:, 1]) < 0.9 * h * w]  # the backdrop
    return np.unique(out, axis=0)


def _box(found: tuple[slice, slice], scale: int = 1) -> tuple[int, int, int, int]:
    rows, cols = found
    return cols.start * scale, rows.start * scale, cols.stop * scale, rows.stop * scale


def _distance_from_border_colour(image: np.ndarray) -> np.ndarray:
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    return np.sqrt(((image - np.median(border, axis=0)) ** 2).sum(axis=-1))


def box_features(image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    from skimage.measure import label, moments_central, moments_hu, moments_normalized, regionprops

    image = _rgb(image).astype(np.float32)
    h, w = image.shape[:2]
    rows = []
    for x0, y0, x1, y1 in boxes:
        bw, bh = x1 - x0, y1 - y0
        pad = max(2, int(0.15 * max(bw, bh)))
        X0, Y0, X1, Y1 = max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)
        outer = image[Y0:Y1, X0:X1]
        inside = np.zeros(outer.shape[:2], dtype=bool)
        inside[y0 - Y0:y1 - Y0, x0 - X0:x1 - X0] = True
        ring = outer[~inside] if (~inside).any() else outer.reshape(-1, 3)
        background = np.median(ring, axis=0)
        crop = outer[inside].reshape(bh, bw, 3)
        distance = np.sqrt(((crop - background) ** 2).sum(axis=-1))
        ring_distance = np.sqrt(((ring - background) ** 2).sum(axis=-1))
        threshold = max(25.0, np.percentile(ring_distance, 90) * 1.5)
        mask = distance > threshold
        fill = mask.mean()
        if mask.any():
            parts = label(mask)
            biggest = max(regionprops(parts), key=lambda p: p.area)
            mask = parts == biggest.label
            solidity, eccentricity = biggest.solidity, biggest.eccentricity
            my0, mx0, my1, mx1 = biggest.bbox
            tightness = (my1 - my0) * (mx1 - mx0) / (bw * bh)
            hu = moments_hu(moments_normalized(moments_central(mask.astype(float)), 3))
            hu = np.sign(hu) * np.log1p(np.abs(hu) * 1e3)
            colour = crop[mask]
            saturation = float(np.mean(colour.max(axis=1) - colour.min(axis=1)))
        else:
            solidity = eccentricity = tightness = saturation = 0.0
            hu = np.zeros(7)
        edges = [mask[0].mean(), mask[-1].mean(), mask[:, 0].mean(), mask[:, -1].mean()]
        small = _resize_mask(mask, MASK_SIDE)
        rows.append(np.concatenate([
            [np.log(bw / bh), np.log(bw * bh / (w * h)), fill, mask.mean(), solidity, eccentricity,
             tightness, saturation / 255, float(np.median(distance)) / 255,
             float(np.mean(ring_distance)) / 255, min(edges), max(edges),
             float(x0 == 0 or y0 == 0 or x1 == w or y1 == h)],
            hu, small,
        ]))
    return np.array(rows, dtype=np.float32).reshape(len(boxes), -1)


def _resize_mask(mask: np.ndarray, side: int) -> np.ndarray:
    ys = (np.arange(side) * mask.shape[0] / side).astype(int)
    xs = (np.arange(side) * mask.shape[1] / side).astype(int)
    return mask[np.ix_(ys, xs)].astype(np.float32).ravel()


def _pixel_boxes(result: dict, w: int, h: int, known: set) -> tuple[np.ndarray, list[str]]:
    boxes, labels = [], []
    for box in result.get("boxes", []):
        if box.get("label") not in known:
            continue
        x0, y0 = int(round(box["x"] * w)), int(round(box["y"] * h))
        x1, y1 = int(round((box["x"] + box["w"]) * w)), int(round((box["y"] + box["h"]) * h))
        if x1 - x0 >= 2 and y1 - y0 >= 2:
            boxes.append((x0, y0, min(x1, w), min(y1, h)))
            labels.append(box["label"])
    return np.array(boxes, dtype=int).reshape(-1, 4), labels


class BoxDetector(BasePredictor):
    task_type = "image_boxes"
    primary_metric = "box_f1"

    def _usable(self, result):
        return isinstance(result.get("boxes"), list)

    def _has_input(self, item):
        return item.image is not None

    def _fit(self, items, results) -> bool:
        known = set(self.labels)
        X, y = [], []
        for item, result in zip(items, results):
            h, w = item.image.shape[:2]
            truth, labels = _pixel_boxes(result, w, h, known)
            boxes = proposals(item.image)
            overlap = iou_matrix(boxes, truth)
            best = overlap.max(axis=1) if truth.size else np.zeros(len(boxes))
            # Between the two thresholds a box is neither the object nor clearly not: unused.
            taught = (best >= POSITIVE_IOU) | (best < NEGATIVE_IOU)
            X.append(box_features(item.image, np.vstack([boxes[taught], truth])))
            y += [labels[int(overlap[k].argmax())] if best[k] >= POSITIVE_IOU else BACKGROUND
                  for k in np.flatnonzero(taught)]
            y += labels
        y = np.array(y)
        if len(set(y) - {BACKGROUND}) < 1 or len(set(y)) < 2:
            return False  # no drawn box yet, or nothing to tell them from
        # Trees read the interactions (a thin box is fine if it is a tight one) that a linear
        # model misses; extra trees fit in a second where boosting took twenty here.
        model = ExtraTreesClassifier(n_estimators=200, min_samples_leaf=2, n_jobs=1, random_state=0)
        self.estimator_ = calibrated(model, y).fit(np.vstack(X), y)
        self.classes_ = np.asarray(self.estimator_.classes_)
        return True

    def _predict(self, items):
        classes = list(self.classes_)
        background = classes.index(BACKGROUND) if BACKGROUND in classes else None
        found = [proposals(i.image) for i in items]
        features = [box_features(i.image, b) for i, b in zip(items, found) if len(b)]
        # One call for the whole batch: the classifier's per-call overhead beats its per-row cost.
        proba = self.estimator_.predict_proba(np.vstack(features)) if features else None
        predictions, at = [], 0
        for item, boxes in zip(items, found):
            if not len(boxes):
                predictions.append(Prediction({"boxes": []}, 0.5, 1.0))
                continue
            p, at = proba[at:at + len(boxes)], at + len(boxes)
            predictions.append(self._decide(boxes, p, background, *item.image.shape[:2]))
        return predictions

    def _decide(self, boxes, proba, background, h, w) -> Prediction:
        p_object = 1.0 - proba[:, background] if background is not None else np.ones(len(boxes))
        objects = proba.copy()
        if background is not None:
            objects[:, background] = -1.0
        label = objects.argmax(axis=1)
        kept, decided = _nms(boxes, p_object)
        result, decisions = [], []
        for k in decided:
            if k in kept:
                x0, y0, x1, y1 = (int(v) for v in boxes[k])
                result.append({"x": x0 / w, "y": y0 / h, "w": (x1 - x0) / w, "h": (y1 - y0) / h,
                               "label": str(self.classes_[label[k]])})
                decisions.append(proba[k, label[k]])
            else:
                decisions.append(1.0 - p_object[k])
        # Right as a whole only if every keep / drop decision is: the weakest one bounds it.
        return Prediction({"boxes": result}, float(np.min(decisions)),
                          float((1.0 - np.abs(2 * p_object[decided] - 1)).max()))

    def _score(self, predictions, results):
        tp = n_pred = n_true = 0
        correct = []
        for prediction, result in zip(predictions, results):
            truth = _fraction_boxes(result.get("boxes", []))
            said = _fraction_boxes(prediction.result["boxes"]) if prediction else _fraction_boxes([])
            matched = _matches(said, truth)
            tp, n_pred, n_true = tp + matched, n_pred + len(said[0]), n_true + len(truth[0])
            correct.append(prediction is not None and matched == len(said[0]) == len(truth[0]))
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_true if n_true else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"box_f1": f1, "box_precision": precision, "box_recall": recall,
                "exact_match": float(np.mean(correct)) if correct else 0.0}, correct


def _nms(boxes: np.ndarray, score: np.ndarray) -> tuple[set[int], list[int]]:
    """Greedy suppression, best first. Returns the kept boxes and the boxes whose fate was a
    decision (kept, or not overlapping anything kept); the suppressed ones are not."""
    order = np.argsort(-score)
    overlap = iou_matrix(boxes, boxes)
    kept, decided = [], []
    for k in order:
        if score[k] >= 0.5 and all(overlap[k, j] < NMS_IOU for j in kept):
            kept.append(k)
            decided.append(k)
        elif all(overlap[k, j] < NMS_IOU for j in kept):
            decided.append(k)
    return set(kept), decided


def _fraction_boxes(boxes: list[dict]) -> tuple[np.ndarray, list[str]]:
    rows = [(b["x"], b["y"], b["x"] + b["w"], b["y"] + b["h"]) for b in boxes]
    return np.array(rows, dtype=float).reshape(-1, 4), [b["label"] for b in boxes]


def _matches(said, truth) -> int:
    """One-to-one pairs of the same label with IoU >= 0.5, greedily by IoU."""
    overlap = iou_matrix(said[0], truth[0])
    same = np.array([[a == b for b in truth[1]] for a in said[1]], dtype=bool).reshape(overlap.shape)
    overlap = np.where(same, overlap, 0.0)
    count = 0
    while overlap.size and overlap.max() >= 0.5:
        i, j = np.unravel_index(overlap.argmax(), overlap.shape)
        overlap[i, :] = overlap[:, j] = 0.0
        count += 1
    return count
