"""Spectral features written with numpy/scipy: framing, power spectrum, a log-mel filterbank,
MFCCs (DCT of the log-mel), and a per-frame pitch estimate. Shared by the audio estimators."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.fft import dct

WINDOW_S, HOP_S = 0.025, 0.010  # the usual 25 ms frames every 10 ms
N_MELS, N_MFCC = 40, 13
EPS = 1e-10


def frame_signal(signal: np.ndarray, frame: int, hop: int) -> np.ndarray:
    """(n_frames, frame) view of `signal` (padded with zeros to hold at least one frame)."""
    signal = np.asarray(signal, dtype=np.float32)
    if len(signal) < frame:
        signal = np.pad(signal, (0, frame - len(signal)))
    n = 1 + (len(signal) - frame) // hop
    return np.lib.stride_tricks.as_strided(
        signal, shape=(n, frame), strides=(signal.strides[0] * hop, signal.strides[0]), writeable=False
    )


def frame_sizes(sample_rate: int) -> tuple[int, int, int]:
    frame = int(round(WINDOW_S * sample_rate))
    hop = int(round(HOP_S * sample_rate))
    n_fft = 1 << (frame - 1).bit_length()
    return frame, hop, n_fft


@lru_cache(maxsize=16)
def _window(frame: int) -> np.ndarray:
    return np.hanning(frame).astype(np.float32)


def power_spectrogram(signal: np.ndarray, sample_rate: int) -> np.ndarray:
    """(n_frames, n_fft // 2 + 1) power of Hann-windowed frames."""
    frame, hop, n_fft = frame_sizes(sample_rate)
    frames = frame_signal(signal, frame, hop) * _window(frame)
    spectrum = np.fft.rfft(frames, n=n_fft, axis=1)
    return (spectrum.real**2 + spectrum.imag**2).astype(np.float32)


def _hz_to_mel(hz):
    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def _mel_to_hz(mel):
    return 700.0 * (10.0 ** (np.asarray(mel) / 2595.0) - 1.0)


@lru_cache(maxsize=16)
def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int = N_MELS,
                   fmin: float = 50.0, fmax: float | None = None) -> np.ndarray:
    """(n_fft // 2 + 1, n_mels) triangular filters, equally spaced on the mel scale."""
    fmax = fmax or sample_rate / 2
    edges = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    low, centre, high = edges[:-2], edges[1:-1], edges[2:]
    rising = (freqs[:, None] - low) / (centre - low)
    falling = (high - freqs[:, None]) / (high - centre)
    bank = np.clip(np.minimum(rising, falling), 0.0, None)
    return (bank / (bank.sum(axis=0, keepdims=True) + EPS)).astype(np.float32)


def log_mel(power: np.ndarray, sample_rate: int, n_mels: int = N_MELS) -> np.ndarray:
    n_fft = (power.shape[1] - 1) * 2
    return np.log(power @ mel_filterbank(sample_rate, n_fft, n_mels) + EPS)


def mfcc(log_mel_frames: np.ndarray, n: int = N_MFCC) -> np.ndarray:
    return dct(log_mel_frames, type=2, axis=1, norm="ortho")[:, :n]


def frame_energy_db(signal: np.ndarray, sample_rate: int) -> np.ndarray:
    """Short-time energy per 25 ms frame every 10 ms, in dB (cheap: no FFT)."""
    frame, hop, _ = frame_sizes(sample_rate)
    frames = frame_signal(signal, frame, hop)
    return 10.0 * np.log10(np.einsum("ij,ij->i", frames, frames) / frame + EPS)


def pitch(signal: np.ndarray, sample_rate: int, fmin: float = 60.0, fmax: float = 500.0) -> np.ndarray:
    """Per-frame f0 in Hz: the strongest autocorrelation lag in the f0 range (frames are
    zero-padded to twice their length, so the FFT's autocorrelation does not wrap around)."""
    frame, hop, _ = frame_sizes(sample_rate)
    frames = frame_signal(signal, frame, hop) * _window(frame)
    n_fft = 1 << (2 * frame - 1).bit_length()
    spectrum = np.fft.rfft(frames, n=n_fft, axis=1)
    ac = np.fft.irfft(spectrum.real**2 + spectrum.imag**2, n=n_fft, axis=1)
    lo, hi = int(sample_rate / fmax), min(int(sample_rate / fmin), frame - 1)
    if hi <= lo:
        return np.zeros(len(frames))
    lag = lo + ac[:, lo:hi].argmax(axis=1)
    return (sample_rate / lag).astype(np.float32)
