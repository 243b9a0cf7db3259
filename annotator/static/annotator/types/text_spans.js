// Text spans (NER): select text with the mouse, press a label's key (or click its chip).
// Result: {"spans": [{"start": 0, "end": 5, "label": "PER"}]}, offsets in characters (code
// points, as Python counts them) into data.text, end exclusive, sorted.
//
// The text is drawn as a row of <span data-start> pieces, each holding exactly one text node,
// cut at every span boundary; the DOM offset of a selection is then the piece's start plus the
// offset inside its text node. Label tags are CSS generated content (::after), so they are
// neither selectable nor part of the text. Nothing is built with innerHTML.
import { el, keyMatches, keySummary, labelButton, labelHotkeys, safeColor } from "../workspace/kit.js";

// Clicking a highlighted span removes it, unless the click turns out to start a double click
// (selecting a word inside the span).
const DOUBLE_CLICK_MS = 300;

// Python indexes code points, the DOM UTF-16 units: astral characters (emoji, rare CJK) are
// one of the first and two of the second.
function offsetMaps(text) {
  const toUnit = [];
  const toPoint = new Array(text.length + 1);
  let point = 0;
  for (let unit = 0; unit < text.length; point += 1) {
    toUnit[point] = unit;
    toPoint[unit] = point;
    const width = text.codePointAt(unit) > 0xffff ? 2 : 1;
    if (width === 2) toPoint[unit + 1] = point; // inside a pair: snapped by the callers
    unit += width;
  }
  toUnit[point] = text.length;
  toPoint[text.length] = point;
  return { toUnit, toPoint, points: point };
}

const isLowSurrogate = (code) => code >= 0xdc00 && code <= 0xdfff;

export function mount(container, { task, config, result, onChange, notify = () => {} }) {
  const text = task.data && typeof task.data.text === "string" ? task.data.text : "";
  const labels = Array.isArray(config.labels) ? config.labels : [];
  const allowOverlap = config.allow_overlap === true;
  const keyed = labelHotkeys(labels);
  const colors = new Map(labels.map((label, index) => [label.value, safeColor(label.color, index)]));
  const maps = offsetMaps(text);
  // Spans in UTF-16 units while on screen; converted to code points in getResult.
  let spans = [];
  let clickTimer = null;

  const textBox = el("div", { className: "ws-text ws-text--spans", dataset: { field: "text" }, attrs: { "aria-label": "Text to label" } });
  const buttons = keyed.map(({ label, key }, index) => {
    const button = labelButton({ label, key, index });
    button.addEventListener("click", () => addFromSelection(label.value));
    return button;
  });
  const list = el("ul", { className: "span-list", attrs: { "aria-label": "Spans" } });
  const count = el("span", { className: "muted small" });
  container.append(
    el("div", { className: "ws-labels" }, el("p", { className: "ws-hint", text: "Select text, then press a label's key" }), el("div", { className: "choices", attrs: { role: "group", "aria-label": "Labels" } }, ...buttons)),
    el("div", { className: "ws-panel" }, textBox),
    el("div", { className: "ws-spans" }, el("h3", { text: "Spans " }, count), list),
  );

  function draw() {
    const cuts = new Set([0, text.length]);
    for (const span of spans) cuts.add(span.start).add(span.end);
    const points = [...cuts].sort((a, b) => a - b);
    const pieces = [];
    for (let i = 0; i + 1 < points.length; i += 1) {
      const [from, to] = [points[i], points[i + 1]];
      const piece = el("span", { className: "seg", dataset: { start: from } });
      piece.append(document.createTextNode(text.slice(from, to)));
      const covering = spans.filter((span) => span.start <= from && span.end >= to);
      if (covering.length) {
        // The shortest span is drawn on top: it is the one a click removes.
        covering.sort((a, b) => a.end - a.start - (b.end - b.start));
        const color = colors.get(covering[0].label) || safeColor(null, 0);
        piece.classList.add("seg--on");
        if (covering.length > 1) piece.classList.add("seg--overlap");
        piece.style.setProperty("--label-color", color);
        piece.title = covering.map((span) => span.label).join(" + ");
        const ending = covering.filter((span) => span.end === to).map((span) => span.label);
        if (ending.length) piece.dataset.tag = ending.join(" + ");
      }
      pieces.push(piece);
    }
    textBox.replaceChildren(...pieces);

    list.replaceChildren(
      ...spans.map((span) => {
        const remove = el("button", { className: "span-list__remove", text: "×", attrs: { type: "button", "aria-label": `Remove ${span.label} span` } });
        remove.addEventListener("mousedown", (event) => event.preventDefault());
        remove.addEventListener("click", () => removeSpans([span]));
        const chip = el("span", { className: "span-list__label", text: span.label });
        chip.style.setProperty("--label-color", colors.get(span.label) || safeColor(null, 0));
        return el("li", { dataset: { start: maps.toPoint[span.start], end: maps.toPoint[span.end], label: span.label } }, chip, el("span", { className: "span-list__text", text: text.slice(span.start, span.end) }), remove);
      }),
    );
    count.textContent = `(${spans.length})`;
    if (!spans.length) list.append(el("li", { className: "muted small", text: "None yet." }));
  }

  // A DOM boundary point (node, offset) inside textBox → UTF-16 offset into the text.
  function toOffset(node, offset) {
    if (node.nodeType === Node.TEXT_NODE) {
      return Number(node.parentElement.closest("[data-start]").dataset.start) + offset;
    }
    if (node === textBox) {
      const child = textBox.childNodes[offset];
      return child ? Number(child.dataset.start) : text.length;
    }
    const piece = node.closest("[data-start]");
    return Number(piece.dataset.start) + (offset === 0 ? 0 : piece.textContent.length);
  }

  // The selection clipped to the text, trimmed of surrounding white space; null if none.
  function selectedRange() {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    if (!range.intersectsNode(textBox)) return null;
    const whole = document.createRange();
    whole.selectNodeContents(textBox);
    let start = range.compareBoundaryPoints(Range.START_TO_START, whole) <= 0 ? 0 : toOffset(range.startContainer, range.startOffset);
    let end = range.compareBoundaryPoints(Range.END_TO_END, whole) >= 0 ? text.length : toOffset(range.endContainer, range.endOffset);
    if (isLowSurrogate(text.charCodeAt(start))) start -= 1;
    if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end += 1;
    while (start < end && /\s/.test(text[start])) start += 1;
    while (end > start && /\s/.test(text[end - 1])) end -= 1;
    return end > start ? { start, end } : null;
  }

  function addFromSelection(label) {
    const range = selectedRange();
    if (!range) {
      notify("Select some text first, then press the label's key.");
      return;
    }
    const clash = spans.find((span) => span.start < range.end && range.start < span.end);
    if (spans.some((span) => span.start === range.start && span.end === range.end && span.label === label)) {
      notify("That span is already labeled.");
      return;
    }
    if (clash && !allowOverlap) {
      notify(`Spans may not overlap in this project: "${text.slice(clash.start, clash.end)}" is already ${clash.label}.`);
      return;
    }
    spans = sortSpans([...spans, { start: range.start, end: range.end, label }]);
    window.getSelection().removeAllRanges();
    draw();
    onChange();
  }

  function removeSpans(doomed) {
    if (!doomed.length) return;
    spans = spans.filter((span) => !doomed.includes(span));
    draw();
    onChange();
  }

  function removeSelected() {
    const range = selectedRange();
    if (!range) {
      notify("Select a span's text (or click the span) to remove it.");
      return;
    }
    const hit = spans.filter((span) => span.start < range.end && range.start < span.end);
    if (!hit.length) notify("No span in the selection.");
    window.getSelection().removeAllRanges();
    removeSpans(hit);
  }

  textBox.addEventListener("click", (event) => {
    clearTimeout(clickTimer);
    if (event.detail !== 1 || !window.getSelection().isCollapsed) return;
    const piece = event.target instanceof Element ? event.target.closest(".seg--on") : null;
    if (!piece) return;
    const at = Number(piece.dataset.start);
    clickTimer = setTimeout(() => {
      const covering = spans.filter((span) => span.start <= at && span.end > at);
      covering.sort((a, b) => a.end - a.start - (b.end - b.start));
      if (covering.length && window.getSelection().isCollapsed) removeSpans([covering[0]]);
    }, DOUBLE_CLICK_MS);
  });
  textBox.addEventListener("dblclick", () => clearTimeout(clickTimer));

  function setResult(next) {
    const known = new Set(labels.map((label) => label.value));
    const incoming = next && Array.isArray(next.spans) ? next.spans : [];
    spans = sortSpans(
      incoming
        .filter((span) => span && Number.isInteger(span.start) && Number.isInteger(span.end) && known.has(span.label))
        .filter((span) => span.start >= 0 && span.end <= maps.points && span.start < span.end)
        .map((span) => ({ start: maps.toUnit[span.start], end: maps.toUnit[span.end], label: span.label })),
    );
    draw();
  }

  setResult(result);

  return {
    keys: [
      [keySummary(keyed.map((item) => item.key)), "label the selected text"],
      ["Del x", "remove the span in the selection"],
      ["click", "remove a span"],
    ],
    getResult() {
      return { spans: spans.map((span) => ({ start: maps.toPoint[span.start], end: maps.toPoint[span.end], label: span.label })) };
    },
    setResult,
    handleKey(event) {
      const hit = keyed.find(({ key }) => keyMatches(event, key));
      if (hit) {
        addFromSelection(hit.label.value);
        return true;
      }
      if (event.key === "Delete" || event.key === "x" || event.key === "X") {
        removeSelected();
        return true;
      }
      return false;
    },
    destroy() {
      clearTimeout(clickTimer);
      container.replaceChildren();
    },
  };
}

function sortSpans(spans) {
  return spans.sort((a, b) => a.start - b.start || a.end - b.end || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}
