"""Predict throughput of each built-in estimator, on demo data, without Django or a worker.

    .venv/bin/python bench/estimators_bench.py [--train 300] [--types text_classification sft]

Per type: fit time on `--train` demo labels, then items predicted per second over a batch
(media already decoded: this measures the estimator, not storage or PNG/WAV decoding), and
for audio how many times faster than real time. Last line:
`estimators: text_classification R/s, ..., audio_transcription Xx real time`.
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ml_assist.estimators import TASK_TYPES, Item, make_predictor  # noqa: E402
from platform_core.demo import GENERATORS  # noqa: E402
from platform_core.demo.projects import DEMO_PROJECTS  # noqa: E402

CONFIGS = {p.task_type: p.label_config for p in DEMO_PROJECTS}
# Items predicted per type: a few seconds each on two cores.
BATCH = {
    "text_classification": 20_000, "text_spans": 3_000, "preference": 3_000, "sft": 10_000,
    "image_classification": 1_000, "image_boxes": 200,
    "audio_classification": 500, "audio_transcription": 200,
}
UNIQUE = 1_000  # distinct generated items, repeated up to the batch size


def as_item(task_type, demo):
    if task_type.startswith("image"):
        return Item.from_image_bytes(demo.content)
    if task_type.startswith("audio"):
        return Item.from_audio_bytes(demo.content)
    return Item(data=demo.data)


def bench(task_type: str, n_train: int, scale: float) -> tuple[float, float, float | None]:
    make = GENERATORS[task_type]
    train = make(n_train, 1)
    predictor = make_predictor(task_type, CONFIGS[task_type])
    items = [as_item(task_type, d) for d in train]
    started = time.perf_counter()
    predictor.fit(items, [d.result for d in train])
    fit_s = time.perf_counter() - started
    size = max(1, int(BATCH[task_type] * scale))
    unique = [as_item(task_type, d) for d in make(min(size, UNIQUE), 2)]
    batch = (unique * (size // len(unique) + 1))[:size]
    started = time.perf_counter()
    predictor.predict(batch)
    seconds = time.perf_counter() - started
    realtime = None
    if task_type.startswith("audio"):
        realtime = sum(i.duration_s for i in batch) / seconds
    return fit_s, size / seconds, realtime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=300, help="demo labels to fit on")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the predict batches")
    parser.add_argument("--types", nargs="*", default=list(TASK_TYPES), choices=TASK_TYPES)
    args = parser.parse_args()
    summary = []
    for task_type in args.types:
        fit_s, rate, realtime = bench(task_type, args.train, args.scale)
        extra = f", {realtime:.0f}x real time" if realtime else ""
        print(f"{task_type:22s} fit {fit_s:6.2f} s on {args.train}   predict {rate:9.0f} items/s{extra}",
              flush=True)
        summary.append(f"{task_type} {rate:.0f}/s" + (f" ({realtime:.0f}x real time)" if realtime else ""))
    print("estimators: " + ", ".join(summary))


if __name__ == "__main__":
    main()
