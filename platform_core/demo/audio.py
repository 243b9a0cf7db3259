"""Audio demo data: sound classes (audio_classification) and two-voice dialogues
(audio_transcription), synthesised here as 16 kHz mono 16-bit WAV.

Classes differ in spectrum and its change over time (a pure tone, a three-note chord, shaped
noise, a pitch sweep); random level, pitch, length and background noise keep them from being
identical. A dialogue alternates silences with "voiced" segments (harmonic tones whose pitch
wanders around a speaker's range: speaker A low, speaker B high), boundaries known exactly.
"""
import io

import numpy as np
import soundfile as sf

from platform_core.demo.common import DemoItem, Seed, as_rng, pick

SAMPLE_RATE = 16_000
SOUND_LABELS = ("tone", "chord", "noise", "chirp")
SPEAKERS = {"speaker A": (95.0, 140.0), "speaker B": (190.0, 250.0)}  # f0 range in Hz
WORDS = (
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
)
# Between segments the "room" is quiet but never digitally silent.
ROOM_NOISE = 0.002


def wav_bytes(signal: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(signal, -1.0, 1.0), sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _fade(signal: np.ndarray, seconds: float = 0.01) -> np.ndarray:
    ramp = min(int(seconds * SAMPLE_RATE), len(signal) // 2)
    if ramp:
        window = np.linspace(0.0, 1.0, ramp)
        signal[:ramp] *= window
        signal[-ramp:] *= window[::-1]
    return signal


def _normalise(signal: np.ndarray) -> np.ndarray:
    return signal / (np.sqrt(np.mean(signal**2)) + 1e-12)


def _sound(rng: np.random.Generator, label: str, t: np.ndarray) -> np.ndarray:
    """Unit-RMS signal of a class; everything not defining the class is randomised."""
    if label == "tone":
        f = np.exp(rng.uniform(np.log(200), np.log(1200)))
        vibrato = 1 + 0.004 * np.sin(2 * np.pi * rng.uniform(3, 6) * t)
        phase = 2 * np.pi * f * np.cumsum(vibrato) / SAMPLE_RATE
        return _normalise(np.sin(phase) + rng.uniform(0, 0.3) * np.sin(2 * phase))
    if label == "chord":
        root = np.exp(rng.uniform(np.log(150), np.log(500)))
        ratios = pick(rng, ((1, 5 / 4, 3 / 2), (1, 6 / 5, 3 / 2), (1, 5 / 4, 3 / 2, 2)))
        return _normalise(
            sum(rng.uniform(0.6, 1) * np.sin(2 * np.pi * root * r * t + rng.uniform(0, 6.3))
                for r in ratios)
        )
    if label == "noise":
        spectrum = np.fft.rfft(rng.normal(0, 1, len(t)))
        freqs = np.fft.rfftfreq(len(t), 1 / SAMPLE_RATE)
        centre, width = rng.uniform(300, 4000), rng.uniform(200, 3000)
        spectrum *= np.exp(-0.5 * ((freqs - centre) / width) ** 2)
        return _normalise(np.fft.irfft(spectrum, n=len(t)))
    # chirp: an exponential sweep over at least an octave, up or down
    f0 = np.exp(rng.uniform(np.log(150), np.log(600)))
    f1 = f0 * rng.uniform(2, 6)
    if rng.random() < 0.5:
        f0, f1 = f1, f0
    duration = t[-1] if len(t) > 1 else 1.0
    k = np.log(f1 / f0) / duration
    return _normalise(np.sin(2 * np.pi * f0 * (np.exp(k * t) - 1) / k))


def make_audio_classification(n: int, seed: Seed) -> list[DemoItem]:
    """1-3 s clips of tone / chord / noise / chirp; result {"labels": [class]}."""
    rng = as_rng(seed)
    items = []
    for number in range(1, n + 1):
        label = pick(rng, SOUND_LABELS)
        samples = int(round(rng.uniform(1.0, 3.0), 2) * SAMPLE_RATE)
        t = np.arange(samples) / SAMPLE_RATE
        level = rng.uniform(0.05, 0.3)  # RMS; peaks stay below full scale
        snr_db = rng.uniform(6, 30)
        clean = _fade(_sound(rng, label, t)) * level
        noisy = clean + rng.normal(0, level * 10 ** (-snr_db / 20), samples)
        items.append(
            DemoItem(
                result={"labels": [label]},
                file_name=f"clip_{number:04d}.wav",
                content=wav_bytes(noisy),
                meta={"source": "demo sounds"},
            )
        )
    return items


def _voice(rng: np.random.Generator, speaker: str, samples: int) -> np.ndarray:
    """A harmonic 'voice': pitch wandering in the speaker's range, syllable-rate loudness."""
    t = np.arange(samples) / SAMPLE_RATE
    low, high = SPEAKERS[speaker]
    f0 = rng.uniform(low, high) * (
        1 + 0.06 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * t + rng.uniform(0, 6.3))
    )
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    harmonics = sum(np.sin(k * phase) / k for k in range(1, 9))
    syllables = 0.6 + 0.4 * np.abs(np.sin(np.pi * rng.uniform(3, 5) * t + rng.uniform(0, 3)))
    return _fade(_normalise(harmonics) * syllables, seconds=0.02)


def render_dialogue(rng: np.random.Generator) -> tuple[np.ndarray, list[dict]]:
    """4-8 s of speech-like segments between silences, and the segments in seconds."""
    total = int(round(rng.uniform(4.0, 8.0), 2) * SAMPLE_RATE)
    signal = rng.normal(0, ROOM_NOISE, total)
    segments = []
    at = int(round(rng.uniform(0.2, 0.7), 2) * SAMPLE_RATE)
    speaker = pick(rng, tuple(SPEAKERS))
    tail = int(0.3 * SAMPLE_RATE)
    while True:
        room = total - tail - at
        if room < int(0.5 * SAMPLE_RATE):
            break
        length = min(int(round(rng.uniform(0.6, 1.8), 2) * SAMPLE_RATE), room)
        signal[at : at + length] += _voice(rng, speaker, length) * rng.uniform(0.08, 0.25)
        words = int(np.clip(round(length / SAMPLE_RATE * rng.uniform(1.8, 3.0)), 1, 6))
        segments.append(
            {
                "start": at / SAMPLE_RATE,
                "end": (at + length) / SAMPLE_RATE,
                "text": " ".join(pick(rng, WORDS) for _ in range(words)),
                "label": speaker,
            }
        )
        if rng.random() < 0.8:
            speaker = "speaker B" if speaker == "speaker A" else "speaker A"
        at += length + int(round(rng.uniform(0.25, 0.8), 2) * SAMPLE_RATE)
    return signal, segments


def make_audio_transcription(n: int, seed: Seed) -> list[DemoItem]:
    """Dialogue clips; result {"segments": [{"start", "end", "text", "label"}]} in seconds."""
    rng = as_rng(seed)
    items = []
    for number in range(1, n + 1):
        signal, segments = render_dialogue(rng)
        items.append(
            DemoItem(
                result={"segments": segments},
                file_name=f"talk_{number:04d}.wav",
                content=wav_bytes(signal),
                meta={"source": "demo dialogue", "speakers": 2},
            )
        )
    return items
