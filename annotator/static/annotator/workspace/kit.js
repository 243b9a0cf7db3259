// Small helpers shared by the workspace shell and the per-type widgets (see workspace.js).
// Nothing here touches innerHTML: text goes in as text nodes.

// Keys the shell handles itself; a label hotkey among them would never reach a widget.
export const RESERVED_KEYS = new Set(["a", "s", "u", "?", "Enter", "Escape", "Backspace"]);

// Colours for labels that have none configured; distinct enough side by side.
const PALETTE = ["#2556c4", "#c2410c", "#15803d", "#9333ea", "#b91c1c", "#0e7490", "#a16207", "#be185d", "#4d7c0f"];
const COLOR_RE = /^#[0-9a-fA-F]{6}$/;

export function safeColor(color, index = 0) {
  return typeof color === "string" && COLOR_RE.test(color) ? color : PALETTE[index % PALETTE.length];
}

/**
 * One key per label: its configured hotkey unless the shell owns that key or another label took
 * it, else the next free digit 1–9 (labels past that get no key and are clicked).
 */
export function labelHotkeys(labels) {
  const taken = new Set();
  const wanted = labels.map((label) => {
    const key = typeof label.hotkey === "string" ? label.hotkey : "";
    if (key.length === 1 && !RESERVED_KEYS.has(key) && !taken.has(key.toLowerCase())) {
      taken.add(key.toLowerCase());
      return key;
    }
    return null;
  });
  const digits = ["1", "2", "3", "4", "5", "6", "7", "8", "9"].filter((d) => !taken.has(d));
  return labels.map((label, index) => ({ label, key: wanted[index] ?? digits.shift() ?? null }));
}

// Matches a keydown to a hotkey: letters case-insensitively, anything else exactly.
export function keyMatches(event, key) {
  return key !== null && event.key.length === 1 && event.key.toLowerCase() === key.toLowerCase();
}

/** el("button", {className: "x", text: "Go", attrs: {type: "button"}, dataset: {...}}, ...children) */
export function el(tag, options = {}, ...children) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
  for (const [name, value] of Object.entries(options.attrs || {})) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : String(value));
  }
  Object.assign(node.dataset, options.dataset || {});
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

export function isTypingTarget(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["button", "checkbox", "radio", "submit", "reset", "range", "color", "file"].includes(target.type);
  }
  return false;
}

// A label's hotkey, shown as <kbd>.
export function kbd(key) {
  return el("kbd", { text: key === " " ? "Space" : key });
}

// A label chip: swatch + value (+ key); the description becomes the tooltip.
export function labelButton({ label, key, index }) {
  const button = el(
    "button",
    { className: "choice", attrs: { type: "button", title: label.description || null, "aria-pressed": "false" }, dataset: { value: label.value } },
    el("span", { className: "swatch", attrs: { "aria-hidden": "true" } }),
    el("span", { className: "choice__value", text: label.value }),
    key ? kbd(key) : null,
  );
  button.style.setProperty("--label-color", safeColor(label.color, index));
  // Clicking a chip must not steal focus from the text or clear a text selection.
  button.addEventListener("mousedown", (event) => event.preventDefault());
  return button;
}

// "1 2 3" for a few keys, "1…9" for many: the legend line for a set of label keys.
export function keySummary(keys) {
  const present = keys.filter(Boolean);
  if (present.length <= 4) return present.join(" ");
  return `${present[0]}…${present[present.length - 1]}`;
}
