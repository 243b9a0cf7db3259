"""What the three classification types share: {"labels": [...]} results, single or multi-label,
calibrated probabilities, and accuracy / macro-F1. Subclasses only say how an item becomes a
feature row and which linear model reads it."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score

from ml_assist.estimators.base import BasePredictor, Item, Prediction, calibrated, top_two_margin


class LabelPredictor(BasePredictor):
    primary_metric = "macro_f1"

    @property
    def multi_label(self) -> bool:
        return bool(self.config.get("multi_label", False))

    # -- to implement --------------------------------------------------------------------------

    def _fit_features(self, items: list[Item]):
        """Fit whatever the features need (a vocabulary, a scaler) and return the matrix."""
        raise NotImplementedError

    def _features(self, items: list[Item]):
        raise NotImplementedError

    def _make_estimator(self):
        """A fresh classifier with predict_proba."""
        raise NotImplementedError

    # -- shared --------------------------------------------------------------------------------

    def _known(self, result: dict) -> list[str]:
        known = set(self.labels)
        labels = result.get("labels")
        if not isinstance(labels, list):
            return []
        return [label for label in labels if label in known]

    def _usable(self, result: dict) -> bool:
        return bool(self._known(result))

    def _fit(self, items, results) -> bool:
        targets = [self._known(r) for r in results]
        if self.multi_label:
            return self._fit_multi(items, targets)
        y = np.array([t[0] for t in targets])
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            return False  # one label seen: every answer would be that label, which is a guess
        X = self._fit_features(items)
        self.estimator_ = calibrated(self._make_estimator(), y).fit(X, y)
        self.classes_ = np.asarray(self.estimator_.classes_)
        return True

    def _fit_multi(self, items, targets) -> bool:
        order = [label for label in self.labels if any(label in t for t in targets)]
        Y = np.array([[label in t for label in order] for t in targets], dtype=int)
        varied = (Y.min(axis=0) == 0) & (Y.max(axis=0) == 1)
        if not varied.any():
            return False
        X = self._fit_features(items)
        self.classes_ = np.array(order)
        # A label present on every item is kept at its Laplace-smoothed rate; one present on
        # none never reaches `order`.
        self.constant_ = {i: (Y[:, i].sum() + 1) / (len(Y) + 2) for i in np.flatnonzero(~varied)}
        self.estimators_ = {
            i: calibrated(self._make_estimator(), Y[:, i]).fit(X, Y[:, i])
            for i in np.flatnonzero(varied)
        }
        return True

    def predict_proba(self, items: list[Item]) -> np.ndarray:
        X = self._features(items)
        if not self.multi_label:
            return self.estimator_.predict_proba(X)
        proba = np.empty((len(items), len(self.classes_)))
        for i, rate in self.constant_.items():
            proba[:, i] = rate
        for i, estimator in self.estimators_.items():
            proba[:, i] = estimator.predict_proba(X)[:, 1]
        return proba

    def _predict(self, items):
        proba = np.clip(self.predict_proba(items), 0.0, 1.0)
        if not self.multi_label:
            best = proba.argmax(axis=1)
            confidence = proba[np.arange(len(items)), best]
            uncertainty = top_two_margin(proba)
            return [
                Prediction({"labels": [str(self.classes_[b])]}, float(c), float(u))
                for b, c, u in zip(best, confidence, uncertainty)
            ]
        chosen = proba >= 0.5
        empty = ~chosen.any(axis=1)
        chosen[empty, proba[empty].argmax(axis=1)] = True  # a result needs at least one label
        # The whole set is right when every per-label decision is (treated as independent).
        decision = np.where(chosen, proba, 1.0 - proba)
        confidence = decision.prod(axis=1)
        uncertainty = (1.0 - np.abs(2.0 * proba - 1.0)).max(axis=1)
        return [
            Prediction({"labels": [str(c) for c in self.classes_[row]]}, float(p), float(u))
            for row, p, u in zip(chosen, confidence, uncertainty)
        ]

    def _score(self, predictions, results):
        truth = [set(r.get("labels") or []) for r in results]
        said = [set(p.result["labels"]) if p else set() for p in predictions]
        correct = [s == t for s, t in zip(said, truth)]
        metrics = {"accuracy": float(np.mean(correct)) if correct else 0.0}
        vocabulary = sorted(set().union(*truth, *said)) if truth else []
        if vocabulary:
            index = {label: i for i, label in enumerate(vocabulary)}
            T, S = (np.zeros((len(truth), len(vocabulary)), dtype=int) for _ in range(2))
            for row, (t, s) in enumerate(zip(truth, said)):
                T[row, [index[x] for x in t]] = 1
                S[row, [index[x] for x in s]] = 1
            present = T.any(axis=0)  # macro over the labels people actually used
            metrics["macro_f1"] = float(
                f1_score(T[:, present], S[:, present], average="macro", zero_division=0)
            )
            if self.multi_label:
                metrics["micro_f1"] = float(f1_score(T, S, average="micro", zero_division=0))
        else:
            metrics["macro_f1"] = 0.0
        return metrics, correct
