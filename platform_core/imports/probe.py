"""Checks that a media file is what its extension says, and reads what we store about it."""
import warnings
from dataclasses import dataclass

from PIL import Image

IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
AUDIO_FORMATS = {".wav": "WAV", ".flac": "FLAC", ".mp3": "MP3"}
MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".mp3": "audio/mpeg",
    ".txt": "text/plain",
}


class MediaMismatch(ValueError):
    pass


@dataclass(slots=True)
class MediaFacts:
    media_type: str
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    sample_rate: int | None = None


def probe_image(path: str, suffix: str) -> MediaFacts:
    expected = IMAGE_FORMATS[suffix]
    try:
        with warnings.catch_warnings():
            # A decompression bomb is refused, not merely warned about.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                found, size = image.format, image.size
                image.verify()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        # Raised by Image.open from the header alone: not a pixel has been decoded.
        raise MediaMismatch(
            f"its header claims more than {Image.MAX_IMAGE_PIXELS:,} pixels, the most we take "
            "(it could be a decompression bomb); refused without decoding it"
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise MediaMismatch(f"not a readable {expected} image ({exc.__class__.__name__})") from None
    if found != expected:
        raise MediaMismatch(f"the file is {found or 'unknown'}, not {expected} as its name says")
    return MediaFacts(media_type=MEDIA_TYPES[suffix], width=size[0], height=size[1])


def probe_audio(path: str, suffix: str) -> MediaFacts:
    # Imported here: soundfile imports numpy, which the web process (importing the import
    # services to accept an upload) must not carry.
    import soundfile

    expected = AUDIO_FORMATS[suffix]
    try:
        info = soundfile.info(path)
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise MediaMismatch(f"not a readable {expected} audio file ({exc})") from None
    if info.format != expected:
        raise MediaMismatch(f"the file is {info.format}, not {expected} as its name says")
    if info.samplerate <= 0 or info.frames <= 0:
        raise MediaMismatch("the audio file holds no samples")
    return MediaFacts(
        media_type=MEDIA_TYPES[suffix],
        duration_s=info.frames / info.samplerate,
        sample_rate=info.samplerate,
    )
