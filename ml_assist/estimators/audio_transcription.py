"""audio_transcription: voice-activity segments from short-time energy, speakers from a model of
the segments people labelled. Text stays "" (an external speech model, or a person, fills it).

Segmentation needs no labels: frames louder than the noise floor by a share of the floor-to-peak
range are voiced; gaps shorter than `min_gap_s` are bridged (hangover) and segments shorter than
`min_duration_s` dropped. Accepted segments tune those three numbers (grid search on boundary
F1). Speakers: each segment's MFCC means and pitch feed a logistic regression trained on the
accepted segments' labels; within one recording, segments are then clustered (k-means on the
same features) and each cluster takes the label its members' probabilities favour together.
Without labelled segments the segments carry no speaker label: we do not invent names.
"""
from __future__ import annotations

import itertools

import numpy as np
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ml_assist.estimators.audio_features import (
    HOP_S,
    WINDOW_S,
    frame_energy_db,
    log_mel,
    mfcc,
    pitch,
    power_spectrogram,
)
from ml_assist.estimators.base import BasePredictor, Prediction

TOLERANCE_S = 0.2  # a segment matches when both its ends are this close
DEFAULTS = {"share": 0.3, "min_gap_s": 0.15, "min_duration_s": 0.2}
GRID = {"share": (0.15, 0.25, 0.35, 0.5), "min_gap_s": (0.1, 0.2, 0.3), "min_duration_s": (0.1, 0.2, 0.3)}
TUNE_ITEMS = 100  # recordings used for the grid search: enough to pin three numbers
MIN_RANGE_DB = 6.0  # a recording whose loud frames are not this far above its floor is silence


def segment_frames(energy_db: np.ndarray, share: float, min_gap_s: float, min_duration_s: float):
    """[(first_frame, last_frame_exclusive, margin_db)] of voiced stretches."""
    if not len(energy_db):
        return []
    floor, peak = np.percentile(energy_db, [10, 99])
    if peak - floor < MIN_RANGE_DB:
        return []
    threshold = floor + share * (peak - floor)
    voiced = np.concatenate([[False], energy_db > threshold, [False]])
    edges = np.flatnonzero(np.diff(voiced.astype(np.int8)))
    runs = edges.reshape(-1, 2)  # [start, end) frame indices
    if not len(runs):
        return []
    gap = int(round(min_gap_s / HOP_S))
    merged = [list(runs[0])]
    for start, end in runs[1:]:
        if start - merged[-1][1] <= gap:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    shortest = int(round(min_duration_s / HOP_S))
    return [(s, e, float(np.median(energy_db[s:e]) - threshold)) for s, e in merged if e - s >= shortest]


def frames_to_seconds(start: int, end: int, duration: float) -> tuple[float, float]:
    # Frame k covers [k * hop, k * hop + window); its centre marks where the energy is.
    offset = (WINDOW_S - HOP_S) / 2
    return (round(float(max(0.0, start * HOP_S + offset)), 3),
            round(float(min(duration, end * HOP_S + offset)), 3))


def segment_matches(said: list[dict], truth: list[dict], tolerance: float = TOLERANCE_S):
    """One-to-one pairs (i, j) whose starts and ends are both within `tolerance` seconds."""
    pairs, used = [], set()
    for i, s in enumerate(said):
        best = None
        for j, t in enumerate(truth):
            if j in used:
                continue
            error = max(abs(s["start"] - t["start"]), abs(s["end"] - t["end"]))
            if error <= tolerance and (best is None or error < best[0]):
                best = (error, j)
        if best:
            used.add(best[1])
            pairs.append((i, best[1]))
    return pairs


def _f1(matched: int, n_said: int, n_true: int) -> float:
    return 2 * matched / (n_said + n_true) if n_said + n_true else 1.0


class VoiceSegmenter(BasePredictor):
    task_type = "audio_transcription"
    primary_metric = "segment_f1"
    unsupervised = True
    min_labels = 3

    def __init__(self, config=None):
        super().__init__(config)
        self.params_ = dict(DEFAULTS)
        self.speakers_ = None

    def _usable(self, result):
        return isinstance(result.get("segments"), list)

    def _has_input(self, item):
        return item.audio is not None and bool(item.sample_rate)

    def _fit(self, items, results) -> bool:
        usable = list(zip(items, results))
        energies = [frame_energy_db(i.audio, i.sample_rate) for i, _ in usable[:TUNE_ITEMS]]
        best, best_f1 = dict(DEFAULTS), -1.0
        for values in itertools.product(*GRID.values()):
            params = dict(zip(GRID, values))
            matched = n_said = n_true = 0
            for energy, (item, result) in zip(energies, usable):
                said = self._segments(energy, item.duration_s, params)
                matched += len(segment_matches(said, result["segments"]))
                n_said, n_true = n_said + len(said), n_true + len(result["segments"])
            f1 = _f1(matched, n_said, n_true)
            if f1 > best_f1 + 1e-9:
                best, best_f1 = params, f1
        self.params_ = best
        self._fit_speakers(usable)
        return True

    def _fit_speakers(self, usable) -> None:
        known = set(self.labels)
        X, y = [], []
        for item, result in usable:
            labelled = [s for s in result["segments"] if s.get("label") in known]
            if labelled:
                X.append(self._segment_features(item, labelled))
                y += [s["label"] for s in labelled]
        self.speakers_ = None
        if len(set(y)) >= 2:
            model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
            self.speakers_ = model.fit(np.vstack(X), np.array(y))

    def _segments(self, energy, duration, params) -> list[dict]:
        return [
            {"start": a, "end": b, "text": "", "margin_db": margin}
            for a, b, margin in (
                (*frames_to_seconds(s, e, duration), m)
                for s, e, m in segment_frames(energy, **params)
            ) if b > a
        ]

    def _segment_features(self, item, segments) -> np.ndarray:
        """Per segment: MFCC means (level removed) and log-pitch median and spread."""
        power = power_spectrogram(item.audio, item.sample_rate)
        cepstra = mfcc(log_mel(power, item.sample_rate))[:, 1:]
        f0 = np.log(pitch(item.audio, item.sample_rate))
        rows = []
        for segment in segments:
            a = int(segment["start"] / HOP_S)
            b = max(a + 1, min(len(cepstra), int(segment["end"] / HOP_S)))
            lo, hi = np.percentile(f0[a:b], [25, 75]) if b <= len(f0) else (0.0, 0.0)
            rows.append(np.concatenate([cepstra[a:b].mean(axis=0), [(lo + hi) / 2, hi - lo]]))
        return np.array(rows, dtype=np.float32).reshape(len(segments), -1)

    def _predict(self, items):
        predictions = []
        for item in items:
            energy = frame_energy_db(item.audio, item.sample_rate)
            segments = self._segments(energy, item.duration_s, self.params_)
            margins = np.array([s.pop("margin_db") for s in segments])
            # Voiced well above the threshold: boundaries are clear. 6 dB ~ a coin flip.
            vad_confidence = float(1 / (1 + np.exp(-(margins.min() - 6.0) / 3.0))) if len(margins) else 0.5
            speaker_confidence, uncertainty = 1.0, 1.0 - abs(2 * vad_confidence - 1)
            if self.speakers_ is not None and segments:
                proba = self._speaker_proba(item, segments)
                names = self.speakers_.classes_
                for segment, p in zip(segments, proba):
                    segment["label"] = str(names[p.argmax()])
                speaker_confidence = float(proba.max(axis=1).min())
                ordered = np.sort(proba, axis=1)
                uncertainty = max(uncertainty, float((1 - (ordered[:, -1] - ordered[:, -2])).max()))
            predictions.append(Prediction(
                {"segments": segments}, vad_confidence * speaker_confidence, uncertainty
            ))
        return predictions

    def _speaker_proba(self, item, segments) -> np.ndarray:
        features = self._segment_features(item, segments)
        proba = self.speakers_.predict_proba(features)
        k = len(self.speakers_.classes_)
        if len(segments) <= k:
            return proba
        # Segments of one voice sound alike: let each cluster vote with its members' evidence.
        clusters = KMeans(n_clusters=k, n_init=3, random_state=0).fit_predict(
            self.speakers_[:-1].transform(features)
        )
        log_p = np.log(np.clip(proba, 1e-9, 1.0))
        smoothed = proba.copy()
        for c in np.unique(clusters):
            members = clusters == c
            vote = np.exp(log_p[members].mean(axis=0))
            smoothed[members] = 0.5 * proba[members] + 0.5 * vote / vote.sum()
        return smoothed

    def _score(self, predictions, results):
        matched = n_said = n_true = right = compared = 0
        correct = []
        for prediction, result in zip(predictions, results):
            truth = result.get("segments", [])
            said = prediction.result["segments"] if prediction else []
            pairs = segment_matches(said, truth)
            matched, n_said, n_true = matched + len(pairs), n_said + len(said), n_true + len(truth)
            speakers_ok = True
            for i, j in pairs:
                if "label" in truth[j] and "label" in said[i]:
                    compared += 1
                    same = said[i]["label"] == truth[j]["label"]
                    right += same
                    speakers_ok &= same
            correct.append(prediction is not None and len(pairs) == len(said) == len(truth) and speakers_ok)
        metrics = {"segment_f1": _f1(matched, n_said, n_true),
                   "segment_precision": matched / n_said if n_said else 0.0,
                   "segment_recall": matched / n_true if n_true else 0.0,
                   "exact_match": float(np.mean(correct)) if correct else 0.0}
        if compared:
            metrics["speaker_accuracy"] = right / compared
        return metrics, correct
