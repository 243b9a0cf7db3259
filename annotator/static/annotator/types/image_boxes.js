/*
 * Image boxes, drawn with Annotorious (npm @annotorious/annotorious, its browser build loaded
 * from static files; see media_common.js). Drag on the image to draw a box in the current label.
 * Click a box to select it: drag it to move it, its handles to resize it, press a label key to
 * relabel it, Delete (or the button) to remove it. A new box stays selected, so "draw, then press
 * its label's key" works too; the key also becomes the label of the boxes drawn next. Boxes are
 * drawn in their label's colour, with the label's name on their corner.
 *
 * Result: {"boxes": [{x, y, w, h, label}]} as fractions of the natural image size, clamped into
 * 0..1. Annotorious works in natural-image pixels whatever the image's displayed size.
 * Widget interface: see the top of annotator/static/annotator/workspace/workspace.js.
 */
import {
  clamp, el, fitImage, hotkeySummary, imageLoaded, labelBar, labelForKey, labelsOf, loadScript,
  loadStyle, notice,
} from "./media_common.js";

// Annotorious merges edits less than 250 ms apart into one undo step; the shell's undo stack
// gets one entry per gesture the same way.
const CHANGE_SETTLE_MS = 250;
// Six decimals of a fraction are well under a pixel even on a 100-megapixel image.
const PRECISION = 1e6;
let nextId = 1;

export function mount(container, { task, config, result, onChange }) {
  const labels = labelsOf(config);
  const colorOf = new Map(labels.map((label) => [label.value, label.color]));
  let current = labels.length ? labels[0].value : "";
  let pending = boxesOf(result); // shown once the library and the image are ready
  let anno = null;
  let destroyed = false;
  let changeTimer = null;
  const cleanups = [];

  const image = el("img", { className: "media-image", attrs: { alt: `Image of task ${task.id}`, draggable: "false" } });
  const stage = el("div", { className: "media-stage media-stage--boxes" }, image);
  const bar = labelBar(labels, { onPick: (value) => choose(value), title: "Label for new and selected boxes" });
  const deleteButton = el("button", {
    className: "button button--quiet media-delete",
    text: "Delete box",
    attrs: { type: "button", disabled: true },
  });
  const count = el("span", { className: "media-count", attrs: { "aria-live": "polite" } });
  const spacer = el("span", { className: "media-toolbar__spacer" });
  const toolbar = el("div", { className: "media-toolbar" }, bar.element, spacer, count, deleteButton);
  const hint = el("p", {
    className: "media-hint",
    text:
      "Drag on the image to draw a box in the chosen label. Click a box to select it: drag it to move it, " +
      "pull a corner to resize it, a label key relabels it (a new box stays selected), Delete removes it.",
  });
  const root = el("div", { className: "media-task media-task--image-boxes" }, toolbar, stage, hint);
  container.append(root);
  image.src = task.media_url || "";
  cleanups.push(fitImage(image, stage));
  // The button never takes focus, so Enter keeps meaning submit.
  deleteButton.addEventListener("mousedown", (event) => event.preventDefault());
  deleteButton.addEventListener("click", () => {
    deleteSelected();
    flushChange();
  });
  bar.setActive([current]);
  showCount(pending.length);

  Promise.all([loadScript("annotorious", "Annotorious"), loadStyle("annotoriousCss"), loadStyle("mediaCss"), imageLoaded(image)])
    .then(([library]) => {
      if (!destroyed) start(library);
    })
    .catch((error) => {
      console.error("image_boxes:", error);
      if (!destroyed) stage.replaceChildren(notice("The image or the box-drawing library could not be loaded."));
    });

  function start({ createImageAnnotator }) {
    anno = withoutDocumentKeydown(() =>
      createImageAnnotator(image, {
        drawingEnabled: true,
        drawingMode: "drag",
        userSelectAction: "EDIT",
        style: (annotation, state) => {
          const color = colorOf.get(labelOf(annotation)) || "#2556c4";
          const selected = Boolean(state && state.selected);
          return { fill: color, fillOpacity: selected ? 0.28 : 0.14, stroke: color, strokeOpacity: 1, strokeWidth: selected ? 3 : 2 };
        },
      }),
    );
    anno.element.classList.add("media-boxes");
    const tags = el("div", { className: "media-box-tags", attrs: { "aria-hidden": "true" } });
    anno.element.append(tags);

    const store = anno.state.store;
    store.observe(({ changes }) => {
      // A box just drawn has no label yet: it gets the current one.
      const unlabeled = (changes.created || []).filter((annotation) => !labelOf(annotation));
      if (unlabeled.length && current) queueMicrotask(() => unlabeled.forEach((a) => relabel(a.id, current)));
      scheduleChange();
    }, { origin: "LOCAL" });
    store.observe(() => drawTags(tags));
    anno.on("selectionChanged", (selected) => {
      deleteButton.disabled = selected.length === 0;
    });
    // A gesture ends on pointer-up: report it then rather than after the settle time.
    const flushSoon = () => setTimeout(flushChange, 0);
    root.addEventListener("pointerup", flushSoon);
    cleanups.push(() => root.removeEventListener("pointerup", flushSoon));

    show(pending);
    pending = null;
  }

  function choose(value) {
    current = value;
    bar.setActive([current]);
    if (!anno) return;
    const selected = anno.getSelected();
    selected.forEach((annotation) => relabel(annotation.id, value));
  }

  function relabel(id, value) {
    const annotation = anno && anno.state.store.getAnnotation(id);
    if (!annotation || labelOf(annotation) === value) return;
    const bodies = annotation.bodies.filter((body) => body.purpose !== "tagging");
    bodies.push({ id: `${id}-label`, annotation: id, purpose: "tagging", value });
    anno.state.store.updateAnnotation({ ...annotation, bodies });
  }

  function deleteSelected() {
    if (!anno) return false;
    const selected = anno.getSelected();
    if (!selected.length) return false;
    anno.cancelSelected();
    selected.forEach((annotation) => anno.removeAnnotation(annotation.id));
    return true;
  }

  function scheduleChange() {
    clearTimeout(changeTimer);
    changeTimer = setTimeout(flushChange, CHANGE_SETTLE_MS);
  }

  function flushChange() {
    if (changeTimer === null) return;
    clearTimeout(changeTimer);
    changeTimer = null;
    if (!destroyed) onChange();
  }

  function naturalSize() {
    return {
      width: image.naturalWidth || task.width || 1,
      height: image.naturalHeight || task.height || 1,
    };
  }

  /** Replaces every box without telling the shell (setResult and the first load). */
  function show(boxes) {
    const { width, height } = naturalSize();
    anno.cancelSelected();
    // REMOTE: not a user edit, so neither Annotorious's undo nor our observer records it.
    anno.state.store.syncAnnotations(boxes.map((box) => toAnnotation(box, width, height)), "REMOTE");
    showCount(boxes.length);
  }

  function currentBoxes() {
    if (!anno) return (pending || []).map((box) => ({ ...box }));
    const { width, height } = naturalSize();
    return anno.state.store
      .all()
      .map((annotation) => toBox(annotation, width, height))
      .filter((box) => box.w > 0 && box.h > 0);
  }

  function drawTags(layer) {
    const { width, height } = naturalSize();
    const nodes = anno.state.store.all().map((annotation) => {
      const box = toBox(annotation, width, height);
      const tag = el("span", { className: "media-box-tag", text: box.label || "no label" });
      tag.style.left = `${box.x * 100}%`;
      tag.style.top = `${box.y * 100}%`;
      tag.style.background = colorOf.get(box.label) || "#5d6878";
      return tag;
    });
    layer.replaceChildren(...nodes);
    showCount(nodes.length);
  }

  function showCount(n) {
    count.textContent = n === 1 ? "1 box" : `${n} boxes`;
  }

  return {
    keys: [
      [hotkeySummary(labels), "label for new / selected box"],
      ["Delete", "delete selected box"],
    ],
    getResult() {
      return { boxes: currentBoxes() };
    },
    setResult(next) {
      const boxes = boxesOf(next);
      if (anno) show(boxes);
      else {
        pending = boxes;
        showCount(boxes.length);
      }
      // Not an edit: whatever was about to be reported is superseded.
      clearTimeout(changeTimer);
      changeTimer = null;
    },
    handleKey(event) {
      // A key's edit is reported at once: the next key may be the workspace's undo.
      if (event.key === "Delete") {
        const deleted = deleteSelected();
        flushChange();
        return deleted;
      }
      const label = labelForKey(labels, event);
      if (!label) return false;
      choose(label.value);
      flushChange();
      return true;
    },
    destroy() {
      destroyed = true;
      clearTimeout(changeTimer);
      cleanups.forEach((stop) => stop());
      if (anno) anno.destroy();
      root.remove();
    },
  };
}

function labelOf(annotation) {
  const body = (annotation.bodies || []).find((b) => b.purpose === "tagging");
  return body ? body.value : "";
}

/** A result's boxes as getResult() gives them back once drawn: clamped, rounded, non-empty. */
function boxesOf(result) {
  const boxes = result && Array.isArray(result.boxes) ? result.boxes : [];
  return boxes
    .filter((box) => box && [box.x, box.y, box.w, box.h].every(Number.isFinite))
    .map((box) => {
      const x0 = round(box.x);
      const y0 = round(box.y);
      const x1 = round(box.x + box.w);
      const y1 = round(box.y + box.h);
      return { x: x0, y: y0, w: round(x1 - x0), h: round(y1 - y0), label: typeof box.label === "string" ? box.label : "" };
    })
    .filter((box) => box.w > 0 && box.h > 0);
}

function round(fraction) {
  return Math.round(clamp(fraction, 0, 1) * PRECISION) / PRECISION;
}

function toBox(annotation, width, height) {
  // Bounds, not x/y/w/h: they stay axis-aligned even if a box was rotated.
  const { minX, minY, maxX, maxY } = annotation.target.selector.geometry.bounds;
  const x0 = round(minX / width);
  const y0 = round(minY / height);
  const x1 = round(maxX / width);
  const y1 = round(maxY / height);
  return { x: x0, y: y0, w: round(x1 - x0), h: round(y1 - y0), label: labelOf(annotation) };
}

function toAnnotation(box, width, height) {
  const id = `box-${Date.now().toString(36)}-${nextId++}`;
  const x = clamp(box.x, 0, 1) * width;
  const y = clamp(box.y, 0, 1) * height;
  const w = clamp(box.w, 0, 1 - clamp(box.x, 0, 1)) * width;
  const h = clamp(box.h, 0, 1 - clamp(box.y, 0, 1)) * height;
  const bodies = box.label ? [{ id: `${id}-label`, annotation: id, purpose: "tagging", value: String(box.label) }] : [];
  return {
    id,
    bodies,
    target: {
      annotation: id,
      selector: { type: "RECTANGLE", geometry: { x, y, w, h, bounds: { minX: x, minY: y, maxX: x + w, maxY: y + h } } },
    },
  };
}

/**
 * Annotorious binds Ctrl+Z / Ctrl+Y on the document to its own undo stack. The shell owns undo
 * (it calls setResult), and two undo stacks answering one key would fight; the keydown listener
 * Annotorious adds while it is created is that binding, so it is caught here and removed.
 */
function withoutDocumentKeydown(create) {
  const added = [];
  const original = document.addEventListener;
  document.addEventListener = function (type, listener, options) {
    if (type === "keydown") added.push([listener, options]);
    return original.call(this, type, listener, options);
  };
  try {
    return create();
  } finally {
    document.addEventListener = original;
    added.forEach(([listener, options]) => document.removeEventListener("keydown", listener, options));
  }
}
