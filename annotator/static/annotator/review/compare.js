// What changed between two results of one task type, as a list a person reads. Pure: no DOM.
//
// compare(taskType, before, after, task) → [{op, what, text?, detail?, before?, after?}]
//   op      "added" | "removed" | "changed"
//   what    the kind of thing: "label", "span", "box", "segment 2", "response", ...
//   text    what was added or removed (a label, the text a span covers, a transcript)
//   detail  a short note: "PER → ORG", "IoU 0.71", "0.40–1.40 s"
//   before / after   two texts to show as a word diff (transcripts, responses, reasons)
// Results are in DESIGN.md's shapes; null (nothing chosen) compares as empty.

// Below this IoU two boxes (or two segments' time spans) are not "the same one, moved".
const SAME_THING_IOU = 0.1;
// Equal to a thousandth of the image or of a second: what rounding leaves behind.
const EPSILON = 1e-3;

export function compare(taskType, before, after, task) {
  const compareType = COMPARERS[taskType];
  return compareType ? compareType(before || {}, after || {}, task) : [];
}

const list = (value) => (Array.isArray(value) ? value : []);
const str = (value) => (typeof value === "string" ? value : "");

function labels(before, after) {
  const old = new Set(list(before.labels));
  const now = new Set(list(after.labels));
  return [
    ...[...old].filter((value) => !now.has(value)).map((value) => ({ op: "removed", what: "label", text: value })),
    ...[...now].filter((value) => !old.has(value)).map((value) => ({ op: "added", what: "label", text: value })),
  ];
}

// Span offsets count code points (as Python does); Array.from splits a string into them.
function spans(before, after, task) {
  const points = Array.from(str(task?.data?.text));
  const covered = (span) => points.slice(span.start, span.end).join("");
  const byRange = (result) => {
    const ranges = new Map();
    for (const span of list(result.spans)) {
      const key = `${span.start}:${span.end}`;
      if (!ranges.has(key)) ranges.set(key, { span, labels: new Set() });
      ranges.get(key).labels.add(span.label);
    }
    return ranges;
  };
  const old = byRange(before);
  const now = byRange(after);
  const changes = [];
  for (const [key, { span, labels: was }] of old) {
    const is = now.get(key)?.labels ?? new Set();
    const gone = [...was].filter((label) => !is.has(label));
    const came = [...is].filter((label) => !was.has(label));
    if (gone.length === 1 && came.length === 1) {
      changes.push({ op: "changed", what: "span relabelled", text: covered(span), detail: `${gone[0]} → ${came[0]}` });
      continue;
    }
    gone.forEach((label) => changes.push({ op: "removed", what: "span", text: covered(span), detail: label }));
    came.forEach((label) => changes.push({ op: "added", what: "span", text: covered(span), detail: label }));
  }
  for (const [key, { span, labels: is }] of now) {
    if (!old.has(key)) is.forEach((label) => changes.push({ op: "added", what: "span", text: covered(span), detail: label }));
  }
  return changes;
}

export function boxIou(a, b) {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.w * a.h + b.w * b.h - inter);
}

// One-to-one pairs, most overlapping first (the way the server pairs them for IoU figures).
export function pairUp(old, now, iou) {
  const candidates = [];
  old.forEach((a, i) => now.forEach((b, j) => candidates.push([iou(a, b), i, j])));
  candidates.sort((x, y) => y[0] - x[0]);
  const pairs = [];
  const usedOld = new Set();
  const usedNow = new Set();
  for (const [value, i, j] of candidates) {
    if (value < SAME_THING_IOU || usedOld.has(i) || usedNow.has(j)) continue;
    usedOld.add(i);
    usedNow.add(j);
    pairs.push({ before: old[i], after: now[j], iou: value, index: j });
  }
  const left = (items, used) => items.filter((_, index) => !used.has(index));
  return { pairs, removed: left(old, usedOld), added: left(now, usedNow) };
}

const pct = (fraction) => `${Math.round(fraction * 100)}%`;
const where = (box) => `at ${pct(box.x)}, ${pct(box.y)} · ${pct(box.w)} × ${pct(box.h)}`;

function boxes(before, after) {
  const { pairs, removed, added } = pairUp(list(before.boxes), list(after.boxes), boxIou);
  const changes = [];
  for (const { before: a, after: b, iou } of pairs) {
    const relabelled = a.label !== b.label;
    const moved = ["x", "y", "w", "h"].some((key) => Math.abs(a[key] - b[key]) > EPSILON);
    if (relabelled) changes.push({ op: "changed", what: "box relabelled", text: b.label, detail: `${a.label} → ${b.label} · IoU ${iou.toFixed(2)}` });
    else if (moved) changes.push({ op: "changed", what: "box moved / resized", text: b.label, detail: `IoU ${iou.toFixed(2)} · now ${where(b)}` });
  }
  removed.forEach((box) => changes.push({ op: "removed", what: "box", text: box.label, detail: where(box) }));
  added.forEach((box) => changes.push({ op: "added", what: "box", text: box.label, detail: where(box) }));
  return changes;
}

function segmentIou(a, b) {
  const inter = Math.min(a.end, b.end) - Math.max(a.start, b.start);
  if (inter <= 0) return 0;
  return inter / (Math.max(a.end, b.end) - Math.min(a.start, b.start));
}

const span = (segment) => `${segment.start.toFixed(2)}–${segment.end.toFixed(2)} s`;

function segments(before, after) {
  const now = list(after.segments);
  const { pairs, removed, added } = pairUp(list(before.segments), now, segmentIou);
  const changes = [];
  for (const { before: a, after: b, index } of pairs.sort((x, y) => x.index - y.index)) {
    const what = `segment ${index + 1}`;
    if (Math.abs(a.start - b.start) > EPSILON || Math.abs(a.end - b.end) > EPSILON) {
      changes.push({ op: "changed", what: `${what} times`, detail: `${span(a)} → ${span(b)}` });
    }
    if (str(a.label) !== str(b.label)) {
      changes.push({ op: "changed", what: `${what} speaker`, detail: `${a.label || "none"} → ${b.label || "none"}` });
    }
    if (str(a.text) !== str(b.text)) changes.push({ op: "changed", what: `${what} text`, before: str(a.text), after: str(b.text) });
  }
  removed.forEach((s) => changes.push({ op: "removed", what: "segment", text: str(s.text), detail: span(s) }));
  added.forEach((s) => changes.push({ op: "added", what: `segment ${now.indexOf(s) + 1}`, text: str(s.text), detail: span(s) }));
  return changes;
}

function preference(before, after) {
  const changes = [];
  if (before.choice !== after.choice) {
    changes.push({ op: "changed", what: "choice flipped", detail: `${before.choice || "none"} → ${after.choice || "none"}` });
  }
  if (str(before.reason) !== str(after.reason)) changes.push({ op: "changed", what: "reason", before: str(before.reason), after: str(after.reason) });
  return changes;
}

function response(before, after) {
  const [a, b] = [str(before.response), str(after.response)];
  return a === b ? [] : [{ op: "changed", what: "response", before: a, after: b }];
}

const COMPARERS = {
  text_classification: labels,
  image_classification: labels,
  audio_classification: labels,
  text_spans: spans,
  image_boxes: boxes,
  audio_transcription: segments,
  preference,
  sft: response,
};
