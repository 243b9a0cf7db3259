// Preference (RLHF): the prompt, then responses A and B side by side; 1 / 2 / 3 choose A / B /
// tie, r writes a reason. Result: {"choice": "A"|"B"|"tie", "reason": "…"} (reason left out
// when empty). Keys 1–3 rather than a / b: `a` is the shell's accept key.
import { el, kbd } from "../workspace/kit.js";

const asText = (value) => (typeof value === "string" ? value : value === undefined || value === null ? "" : JSON.stringify(value, null, 2));

export function mount(container, { task, config, result, onChange }) {
  const data = task.data || {};
  // As on the server (platform_core/results.py), a tie is allowed unless the config says no.
  const allowTie = config.allow_tie !== false;
  const requireReason = config.require_reason === true;
  let choice = null;

  const option = (value, key, body) => {
    const button = el(
      "button",
      { className: "pref__pick", attrs: { type: "button", "aria-pressed": "false" }, dataset: { choice: value } },
      el("span", { text: value === "tie" ? "Tie" : `${value} is better` }),
      kbd(key),
    );
    button.addEventListener("mousedown", (event) => event.preventDefault());
    button.addEventListener("click", () => choose(value));
    if (body === undefined) return { value, button, card: null };
    const card = el(
      "article",
      { className: "pref__card", dataset: { choice: value } },
      el("header", { className: "pref__head" }, el("h3", { text: `Response ${value}` }), button),
      el("div", { className: "ws-text", dataset: { field: `response_${value.toLowerCase()}` }, text: asText(body) }),
    );
    return { value, button, card };
  };
  const options = [option("A", "1", data.response_a), option("B", "2", data.response_b)];
  if (allowTie) options.push(option("tie", "3"));

  const reason = el("textarea", { className: "pref__reason", attrs: { id: `reason-${task.id}`, rows: 2, maxlength: 2000, placeholder: "What makes one response better?" } });
  reason.addEventListener("input", () => onChange());
  container.append(
    el("div", { className: "ws-panel" }, el("h3", { className: "ws-panel__label", text: "Prompt" }), el("div", { className: "ws-text", dataset: { field: "prompt" }, text: asText(data.prompt) })),
    el("div", { className: "pref" }, ...options.filter((o) => o.card).map((o) => o.card)),
    el(
      "div",
      { className: "pref__footer" },
      allowTie ? options[2].button : null,
      el(
        "div",
        { className: "field pref__reason-field" },
        el("label", { attrs: { for: reason.id } }, el("span", { text: `Reason ${requireReason ? "(required)" : "(optional)"} ` }), kbd("r")),
        reason,
      ),
    ),
  );

  function draw() {
    for (const { value, button, card } of options) {
      const on = choice === value;
      button.setAttribute("aria-pressed", String(on));
      button.classList.toggle("is-on", on);
      if (card) card.classList.toggle("is-chosen", on);
      if (card) card.classList.toggle("is-tied", choice === "tie");
    }
  }

  function choose(value) {
    choice = choice === value ? null : value;
    draw();
    onChange();
  }

  function setResult(next) {
    const allowed = options.map((o) => o.value);
    choice = next && allowed.includes(next.choice) ? next.choice : null;
    reason.value = next && typeof next.reason === "string" ? next.reason : "";
    draw();
  }

  setResult(result);
  const keys = { 1: "A", 2: "B", ...(allowTie ? { 3: "tie" } : {}) };

  return {
    keys: [
      [allowTie ? "1 2 3" : "1 2", allowTie ? "A better / B better / tie" : "A better / B better"],
      ["r", "write the reason"],
    ],
    getResult() {
      const text = reason.value.trim();
      if (!choice || (requireReason && !text)) return null;
      return text ? { choice, reason: text } : { choice };
    },
    setResult,
    handleKey(event) {
      if (Object.hasOwn(keys, event.key)) {
        choose(keys[event.key]);
        return true;
      }
      if (event.key === "r" || event.key === "R") {
        reason.focus();
        return true;
      }
      return false;
    },
    destroy() {
      container.replaceChildren();
    },
  };
}
