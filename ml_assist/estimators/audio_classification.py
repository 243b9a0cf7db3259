"""audio_classification: clip statistics of log-mel and MFCC frames + logistic regression.

A clip becomes one row: MFCC means and spreads of its log-mel frames (level removed, so a quiet
and a loud recording of the same sound agree) and delta spreads (how fast the timbre changes), spectral flatness (noise against pitch), how many strong peaks the average
spectrum has (one tone against a chord) and how the dominant frequency moves (a sweep).
"""
from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ml_assist.estimators.audio_features import (
    EPS,
    N_MFCC,
    frame_signal,
    log_mel,
    mfcc,
    power_spectrogram,
)
from ml_assist.estimators.labels import LabelPredictor

# Per-band log-mel statistics were tried too: 80 more columns that a few hundred clips
# cannot pin down, and the MFCCs already summarise the same envelope (accuracy 0.95 -> 0.98).
N_FEATURES = 3 * N_MFCC + 9


def clip_features(signal: np.ndarray | None, sample_rate: int) -> np.ndarray:
    if signal is None or not sample_rate or len(signal) == 0:
        return np.zeros(N_FEATURES, dtype=np.float32)
    power = power_spectrogram(signal, sample_rate)
    energy = power.sum(axis=1)
    # Frames within 30 dB of the loudest carry the sound; the rest is silence around it.
    loud = energy >= energy.max() * 1e-3
    power = power[loud] if loud.sum() >= 3 else power
    mel = log_mel(power, sample_rate)
    mel = mel - mel.mean()
    cepstra = mfcc(mel)
    delta = np.diff(cepstra, axis=0) if len(cepstra) > 1 else np.zeros_like(cepstra)
    flatness = np.exp(np.log(power + EPS).mean(axis=1)) / (power.mean(axis=1) + EPS)
    fine = _fine_spectrum(signal, sample_rate)
    peaks = [np.log1p(_peak_count(fine, drop)) for drop in (6.0, 12.0, 20.0)]
    dominant = np.log(power[:, 1:].argmax(axis=1) + 1.0)
    slope = np.polyfit(np.arange(len(dominant)), dominant, 1)[0] * len(dominant) if len(dominant) > 1 else 0.0
    return np.concatenate([
        cepstra.mean(axis=0), cepstra.std(axis=0), delta.std(axis=0),
        [np.log(flatness.mean() + EPS), flatness.std(), *peaks,
         dominant.std(), abs(slope), np.abs(np.diff(dominant)).mean() if len(dominant) > 1 else 0.0,
         np.log(len(signal) / sample_rate)],
    ]).astype(np.float32)


def _fine_spectrum(signal: np.ndarray, sample_rate: int) -> np.ndarray:
    """Log power averaged over 0.25 s frames (4 Hz bins at 16 kHz): fine enough to tell apart
    the notes of a low chord, which 25 ms frames (31 Hz bins) blur into one peak."""
    frame = 1 << (int(0.25 * sample_rate) - 1).bit_length()
    frames = frame_signal(signal, min(frame, len(signal)), max(1, frame // 2))
    window = np.hanning(frames.shape[1]).astype(np.float32)
    spectrum = np.fft.rfft(frames * window, n=frame, axis=1)
    return np.log((spectrum.real**2 + spectrum.imag**2).mean(axis=0) + EPS)


def _peak_count(log_spectrum: np.ndarray, drop_db: float = 20.0) -> float:
    """Local maxima within `drop_db` of the strongest: 1 for a tone, 3-4 for a chord."""
    db = 10.0 / np.log(10.0) * log_spectrum
    inner = db[1:-1]
    is_peak = (inner > db[:-2]) & (inner >= db[2:]) & (inner > db.max() - drop_db)
    return float(is_peak.sum())


class AudioClassifier(LabelPredictor):
    task_type = "audio_classification"

    def _has_input(self, item):
        return item.audio is not None and bool(item.sample_rate)

    def _fit_features(self, items):
        return self._features(items)

    def _features(self, items):
        return np.vstack([clip_features(i.audio, i.sample_rate) for i in items])

    def _make_estimator(self):
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=3000))
