// Text classification: the text, and one chip per label with its hotkey.
// Result: {"labels": ["positive"]} (config order); multi_label lets several be on at once.
import { el, keyMatches, keySummary, labelButton, labelHotkeys } from "../workspace/kit.js";

export function textOf(data) {
  if (data && typeof data.text === "string") return data.text;
  return JSON.stringify(data ?? null, null, 2);
}

export function mount(container, { task, config, result, onChange }) {
  const labels = Array.isArray(config.labels) ? config.labels : [];
  const multi = config.multi_label === true;
  const keyed = labelHotkeys(labels);
  let chosen = new Set();

  const buttons = keyed.map(({ label, key }, index) => {
    const button = labelButton({ label, key, index });
    button.addEventListener("click", () => toggle(label.value));
    return button;
  });
  container.append(
    el("div", { className: "ws-panel" }, el("div", { className: "ws-text", dataset: { field: "text" }, text: textOf(task.data) })),
    el(
      "div",
      { className: "ws-labels" },
      el("p", { className: "ws-hint", text: multi ? "Every label that applies" : "One label" }),
      el("div", { className: "choices", attrs: { role: "group", "aria-label": "Labels" } }, ...buttons),
    ),
  );

  function draw() {
    for (const button of buttons) {
      const on = chosen.has(button.dataset.value);
      button.classList.toggle("is-on", on);
      button.setAttribute("aria-pressed", String(on));
    }
  }

  function toggle(value) {
    if (multi) {
      if (chosen.has(value)) chosen.delete(value);
      else chosen.add(value);
    } else {
      chosen = chosen.has(value) ? new Set() : new Set([value]);
    }
    draw();
    onChange();
  }

  function setResult(next) {
    const known = new Set(labels.map((label) => label.value));
    const values = next && Array.isArray(next.labels) ? next.labels.filter((value) => known.has(value)) : [];
    chosen = new Set(multi ? values : values.slice(0, 1));
    draw();
  }

  setResult(result);
  const keyList = keySummary(keyed.map((item) => item.key));

  return {
    keys: keyList ? [[keyList, multi ? "toggle a label" : "choose the label"]] : [],
    getResult() {
      const values = labels.map((label) => label.value).filter((value) => chosen.has(value));
      return values.length ? { labels: values } : null;
    },
    setResult,
    handleKey(event) {
      const hit = keyed.find(({ key }) => keyMatches(event, key));
      if (!hit) return false;
      toggle(hit.label.value);
      return true;
    },
    destroy() {
      container.replaceChildren();
    },
  };
}
