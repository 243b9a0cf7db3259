"""Image demo data: handwritten digits (image_classification) and shape scenes (image_boxes).

The digits are scikit-learn's bundled copy of the UCI handwritten digits (real handwriting,
shipped inside the package, so nothing is downloaded); each is rescaled, rotated and shifted a
little and printed as dark ink on noisy paper. The scenes are drawn here, and each box is the
exact bounding box of its shape's pixels.
"""
import io
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from platform_core.demo.common import DemoItem, Seed, as_rng, pick

DIGIT_LABELS = tuple(str(d) for d in range(10))
SHAPE_LABELS = ("circle", "square", "triangle")
# Saturated colours (max - min channel >= 160) stand out from the grey background; a scene
# never uses one twice, so touching-free shapes stay distinguishable by colour too.
SHAPE_COLORS = (
    (220, 40, 40), (20, 180, 40), (40, 80, 220), (230, 200, 30),
    (200, 40, 200), (30, 190, 200), (240, 130, 20), (120, 40, 210),
)


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images / 16.0, bunch.target


def render_digit(rng: np.random.Generator, pixels: np.ndarray, size: int) -> Image.Image:
    """An 8x8 ink map (0..1) as a size x size greyscale picture with random jitter."""
    ink = Image.fromarray((pixels * 255).astype(np.uint8), mode="L")
    glyph = int(size * rng.uniform(0.7, 0.9))
    ink = ink.resize((glyph, glyph), Image.Resampling.BICUBIC)
    ink = ink.rotate(float(rng.uniform(-10, 10)), resample=Image.Resampling.BILINEAR)
    canvas = Image.new("L", (size, size), 0)
    # Roughly centred like scanned forms, give or take a few pixels.
    centre, jitter = (size - glyph) // 2, max(1, size // 16)
    offset = tuple(
        int(np.clip(centre + rng.integers(-jitter, jitter + 1), 0, size - glyph)) for _ in "xy"
    )
    canvas.paste(ink, offset)
    paper = rng.uniform(190, 250)
    strength = rng.uniform(0.65, 1.0) * paper
    array = paper - strength * (np.asarray(canvas, dtype=np.float64) / 255.0)
    array += rng.normal(0, rng.uniform(3, 12), array.shape)
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8), mode="L")


def make_image_classification(n: int, seed: Seed, size: int = 64) -> list[DemoItem]:
    """PNG digits, result {"labels": ["0".."9"]}; sources are drawn without repeats until
    the 1,797 bundled digits run out, and the jitter keeps repeats distinct after that."""
    rng = as_rng(seed)
    images, targets = _digits()
    order = np.concatenate(
        [rng.permutation(len(images)) for _ in range(n // len(images) + 1)]
    )[:n]
    items = []
    for number, index in enumerate(order, start=1):
        picture = render_digit(rng, images[index], size)
        items.append(
            DemoItem(
                result={"labels": [str(int(targets[index]))]},
                file_name=f"img_{number:04d}.png",
                content=png_bytes(picture),
                meta={"source": "demo digits"},
            )
        )
    return items


def _background(rng, width: int, height: int) -> np.ndarray:
    """Grey with a gentle gradient and per-channel noise: low colour saturation."""
    base = rng.uniform(80, 170)
    ramp = np.linspace(-1, 1, width)[None, :] * rng.uniform(-25, 25)
    ramp = ramp + np.linspace(-1, 1, height)[:, None] * rng.uniform(-25, 25)
    grey = np.repeat((base + ramp)[:, :, None], 3, axis=2)
    return grey + rng.normal(0, 6, (height, width, 3))


def _draw_shape(draw: ImageDraw.ImageDraw, label: str, x: int, y: int, s: int, rng, fill):
    if label == "circle":
        draw.ellipse((x, y, x + s - 1, y + s - 1), fill=fill)
    elif label == "square":
        draw.rectangle((x, y, x + s - 1, y + s - 1), fill=fill)
    else:
        angle = rng.uniform(0, 2 * np.pi)
        cx, cy, r = x + (s - 1) / 2, y + (s - 1) / 2, (s - 1) / 2
        corners = [
            (cx + r * np.cos(angle + k * 2 * np.pi / 3), cy + r * np.sin(angle + k * 2 * np.pi / 3))
            for k in range(3)
        ]
        draw.polygon(corners, fill=fill)


def render_scene(
    rng: np.random.Generator, width: int = 160, height: int = 120, max_shapes: int = 4
) -> tuple[Image.Image, list[dict]]:
    """1..max_shapes non-touching shapes on a noisy background and their exact boxes."""
    pixels = _background(rng, width, height)
    placed: list[tuple[int, int, int, int]] = []
    boxes = []
    colors = rng.permutation(len(SHAPE_COLORS))
    for k in range(int(rng.integers(1, max_shapes + 1))):
        label = pick(rng, SHAPE_LABELS)
        for _attempt in range(30):
            s = int(rng.integers(16, 42))
            x, y = int(rng.integers(0, width - s + 1)), int(rng.integers(0, height - s + 1))
            # A 3-pixel margin keeps shapes apart, so every box holds one shape's pixels.
            if all(x + s + 3 <= a or a + c + 3 <= x or y + s + 3 <= b or b + c + 3 <= y
                   for a, b, c, _ in placed):
                break
        else:
            continue
        placed.append((x, y, s, k))
        mask = Image.new("L", (width, height), 0)
        _draw_shape(ImageDraw.Draw(mask), label, x, y, s, rng, fill=255)
        inside = np.asarray(mask) > 0
        color = np.array(SHAPE_COLORS[colors[k]], dtype=np.float64)
        shade = rng.uniform(0.9, 1.0)
        pixels[inside] = color * shade + rng.normal(0, 5, (int(inside.sum()), 3))
        left, top, right, bottom = mask.getbbox()
        boxes.append(
            {
                "x": round(left / width, 6),
                "y": round(top / height, 6),
                "w": round((right - left) / width, 6),
                "h": round((bottom - top) / height, 6),
                "label": label,
            }
        )
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="RGB")
    return image, boxes


def make_image_boxes(n: int, seed: Seed, width: int = 160, height: int = 120) -> list[DemoItem]:
    """PNG scenes of circles, squares and triangles; result {"boxes": [...]} in fractions."""
    rng = as_rng(seed)
    items = []
    for number in range(1, n + 1):
        image, boxes = render_scene(rng, width, height)
        items.append(
            DemoItem(
                result={"boxes": boxes},
                file_name=f"scene_{number:04d}.png",
                content=png_bytes(image),
                meta={"source": "demo shapes"},
            )
        )
    return items
