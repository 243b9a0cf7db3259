// The label editor of the project pages: add, rename, reorder and remove labels, a colour and a
// hotkey each, conflicts shown as you type, and the task type's options. Everything typed is
// set with .value / textContent, never as markup.
import { RESERVED_KEYS, el, safeColor } from "../workspace/kit.js";

// What the server allows (platform_core/label_config.py), repeated so conflicts show at once.
const COLOR_RE = /^#[0-9a-fA-F]{6}$/;

export function createLabelEditor({ list, conflicts, optionsBox, addButton, maxLabels, maxLabelLength, onChange }) {
  let labels = []; // {value, color, hotkey, description, original}
  let options = {}; // the type's options, e.g. {multi_label: true}
  let optionSpecs = [];

  addButton.addEventListener("click", () => {
    if (labels.length >= maxLabels) return;
    labels.push({ value: "", color: safeColor(null, labels.length), hotkey: "", description: "", original: null });
    draw();
    changed();
    list.querySelector("li:last-child .pe-label__value")?.focus();
  });

  function changed() {
    showConflicts();
    onChange();
  }

  function move(index, by) {
    const target = index + by;
    if (target < 0 || target >= labels.length) return;
    [labels[index], labels[target]] = [labels[target], labels[index]];
    draw();
    changed();
    list.querySelectorAll(".pe-label")[target]?.querySelector(by < 0 ? ".pe-up" : ".pe-down")?.focus();
  }

  function row(label, index) {
    const n = index + 1;
    const value = el("input", {
      className: "pe-label__value",
      attrs: { type: "text", maxlength: String(maxLabelLength), "aria-label": `Label ${n} value`, autocomplete: "off" },
    });
    value.value = label.value;
    value.addEventListener("input", () => {
      label.value = value.value;
      changed();
    });
    const color = el("input", { className: "pe-label__color", attrs: { type: "color", "aria-label": `Label ${n} colour` } });
    color.value = COLOR_RE.test(label.color) ? label.color : safeColor(null, index);
    label.color = color.value;
    color.addEventListener("input", () => {
      label.color = color.value;
      changed();
    });
    const hotkey = el("input", {
      className: "pe-label__hotkey",
      attrs: { type: "text", maxlength: "1", "aria-label": `Label ${n} hotkey`, autocomplete: "off" },
    });
    hotkey.value = label.hotkey || "";
    hotkey.addEventListener("input", () => {
      label.hotkey = hotkey.value;
      changed();
    });
    const description = el("input", {
      className: "pe-label__description",
      attrs: { type: "text", maxlength: "500", "aria-label": `Label ${n} description`, placeholder: "Description (optional)" },
    });
    description.value = label.description || "";
    description.addEventListener("input", () => {
      label.description = description.value;
      changed();
    });
    const up = el("button", { className: "button button--quiet pe-up", text: "↑", attrs: { type: "button", "aria-label": `Move label ${n} up` } });
    const down = el("button", { className: "button button--quiet pe-down", text: "↓", attrs: { type: "button", "aria-label": `Move label ${n} down` } });
    const remove = el("button", { className: "button button--quiet pe-remove", text: "Remove", attrs: { type: "button", "aria-label": `Remove label ${n}` } });
    up.addEventListener("click", () => move(index, -1));
    down.addEventListener("click", () => move(index, 1));
    remove.addEventListener("click", () => {
      labels.splice(index, 1);
      draw();
      changed();
    });
    up.disabled = index === 0;
    down.disabled = index === labels.length - 1;
    const renamed = label.original !== null && label.original !== label.value;
    const note = el("span", { className: "pe-label__was muted small", text: renamed ? `was “${label.original}”` : "" });
    value.addEventListener("input", () => {
      note.textContent = label.original !== null && label.original !== label.value ? `was “${label.original}”` : "";
    });
    return el("li", { className: "pe-label", dataset: { index: String(index) } }, up, down, color, value, hotkey, description, note, remove);
  }

  function draw() {
    list.replaceChildren(...labels.map(row));
    addButton.disabled = labels.length >= maxLabels;
  }

  /** Duplicate values or hotkeys, empty values, keys the workspace keeps for itself. */
  function findConflicts() {
    const found = [];
    const bad = new Set(); // "value:i" / "hotkey:i"
    const seen = { value: new Map(), hotkey: new Map() };
    labels.forEach((label, index) => {
      const value = label.value;
      if (!value.trim()) {
        found.push(`Label ${index + 1} has no value.`);
        bad.add(`value:${index}`);
      } else if (seen.value.has(value)) {
        found.push(`“${value}” is the value of labels ${seen.value.get(value) + 1} and ${index + 1}.`);
        bad.add(`value:${index}`).add(`value:${seen.value.get(value)}`);
      } else {
        seen.value.set(value, index);
      }
      const key = label.hotkey || "";
      if (!key) return;
      if (RESERVED_KEYS.has(key)) {
        found.push(`Hotkey “${key}” of label ${index + 1} is a workspace key (a, s, u, ?).`);
        bad.add(`hotkey:${index}`);
      } else if (seen.hotkey.has(key)) {
        found.push(`Hotkey “${key}” is taken by labels ${seen.hotkey.get(key) + 1} and ${index + 1}.`);
        bad.add(`hotkey:${index}`).add(`hotkey:${seen.hotkey.get(key)}`);
      } else {
        seen.hotkey.set(key, index);
      }
    });
    return { found, bad };
  }

  function showConflicts() {
    const { found, bad } = findConflicts();
    conflicts.replaceChildren(...found.map((text) => el("li", { text })));
    conflicts.hidden = found.length === 0;
    list.querySelectorAll(".pe-label").forEach((item, index) => {
      for (const field of ["value", "hotkey"]) {
        const input = item.querySelector(`.pe-label__${field}`);
        const wrong = bad.has(`${field}:${index}`);
        input.classList.toggle("pe-invalid", wrong);
        input.setAttribute("aria-invalid", String(wrong));
      }
    });
    return found;
  }

  function drawOptions() {
    const rows = optionSpecs.map((spec) => {
      const id = `pe-option-${spec.key}`;
      let input;
      if (spec.kind === "bool") {
        input = el("input", { attrs: { type: "checkbox", id, name: spec.key } });
        input.checked = options[spec.key] === true || (spec.key === "allow_tie" && options[spec.key] !== false);
        input.addEventListener("change", () => {
          options[spec.key] = input.checked;
          onChange();
        });
        return el("label", { className: "pe-option" }, input, el("span", { text: spec.text }));
      }
      input = el("input", { attrs: { type: "number", id, name: spec.key, min: "0", step: "1" } });
      input.value = String(options[spec.key] ?? 0);
      input.addEventListener("input", () => {
        const number = Number.parseInt(input.value, 10);
        options[spec.key] = Number.isFinite(number) && number >= 0 ? number : 0;
        onChange();
      });
      return el("label", { className: "field pe-option" }, el("span", { text: spec.text }), input);
    });
    optionsBox.replaceChildren(...rows);
    optionsBox.hidden = rows.length === 0;
  }

  return {
    /** Show `config` ({labels, ...options}); `saved` marks its values as the stored ones. */
    load(config, specs, { saved = false } = {}) {
      optionSpecs = specs;
      const source = config && typeof config === "object" ? config : {};
      labels = (Array.isArray(source.labels) ? source.labels : []).map((label, index) => ({
        value: String(label.value ?? ""),
        color: COLOR_RE.test(label.color || "") ? label.color : safeColor(null, index),
        hotkey: typeof label.hotkey === "string" ? label.hotkey : "",
        description: typeof label.description === "string" ? label.description : "",
        original: saved ? String(label.value ?? "") : null,
      }));
      options = {};
      for (const spec of specs) if (spec.key in source) options[spec.key] = source[spec.key];
      draw();
      drawOptions();
      showConflicts();
    },
    /** Keep the stored-values marks of the labels, but for a template that replaces them. */
    replaceKeepingOriginals(config, specs) {
      const originals = labels.map((label) => label.original);
      this.load(config, specs);
      labels.forEach((label, index) => (label.original = originals[index] ?? null));
    },
    markSaved() {
      labels.forEach((label) => (label.original = label.value));
      draw();
      showConflicts();
    },
    conflicts: () => findConflicts().found,
    /** The config as the API takes it. */
    config() {
      const config = {
        labels: labels.map((label) => {
          const out = { value: label.value, color: label.color };
          if (label.hotkey) out.hotkey = label.hotkey;
          if (label.description.trim()) out.description = label.description;
          return out;
        }),
      };
      for (const spec of optionSpecs) if (spec.key in options) config[spec.key] = options[spec.key];
      return config;
    },
    /** {stored value: new value} for labels renamed since they were saved. */
    renames() {
      const renames = {};
      for (const label of labels) {
        if (label.original !== null && label.original !== label.value && label.value.trim()) renames[label.original] = label.value;
      }
      return renames;
    },
  };
}
