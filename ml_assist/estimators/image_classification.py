"""image_classification: HOG + small grey thumbnail + colour histogram, and a logistic regression.

Every picture is brought to 32 x 32 grey (area averaging) and standardised, so paper colour,
ink strength and picture size stop mattering; HOG (histograms of gradient orientation, per
8 x 8 cell) describes the strokes and survives small shifts; a 16 x 16 thumbnail keeps the
layout; a per-channel histogram keeps colour, which grey features lose.
"""
from __future__ import annotations

import numpy as np
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ml_assist.estimators.labels import LabelPredictor

SIDE = 32
THUMB = 16
HIST_BINS = 8


def _grey(image: np.ndarray, side: int) -> np.ndarray:
    picture = Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8)).convert("L")
    return np.asarray(picture.resize((side, side), Image.Resampling.BOX), dtype=np.float32)


def _standardise(grey: np.ndarray) -> np.ndarray:
    return (grey - grey.mean()) / (grey.std() + 1e-6)


def image_features(image: np.ndarray) -> np.ndarray:
    from skimage.feature import hog

    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    image = image[:, :, :3]
    grey = _standardise(_grey(image, SIDE))
    gradients = hog(grey, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2),
                    feature_vector=True)
    thumb = _standardise(_grey(image, THUMB)).ravel()
    pixels = image.reshape(-1, 3)
    hist = np.concatenate([
        np.bincount(pixels[:, c] // (256 // HIST_BINS), minlength=HIST_BINS) for c in range(3)
    ]) / len(pixels)
    return np.concatenate([gradients, thumb, hist]).astype(np.float32)


class ImageClassifier(LabelPredictor):
    task_type = "image_classification"

    def _has_input(self, item):
        return item.image is not None

    def _fit_features(self, items):
        return self._features(items)

    def _features(self, items):
        return np.vstack([image_features(i.image) for i in items])

    def _make_estimator(self):
        return make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=2000))
