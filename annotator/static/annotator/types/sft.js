// SFT: the prompt, and a response editor prefilled with the suggestion's response or the
// item's own draft. Result: {"response": "…"}; incomplete while shorter than
// min_response_length (at least one non-space character).
// Keys typed in the editor stay in the editor; `e` enters it, Esc leaves, Ctrl+Enter submits.
import { el, kbd } from "../workspace/kit.js";

const asText = (value) => (typeof value === "string" ? value : value === undefined || value === null ? "" : JSON.stringify(value, null, 2));

export function mount(container, { task, config, result, onChange }) {
  const data = task.data || {};
  const minLength = Number.isInteger(config.min_response_length) ? Math.max(1, config.min_response_length) : 1;
  const draft = typeof data.draft === "string" ? data.draft : "";

  const editor = el("textarea", { className: "sft__editor", attrs: { id: `response-${task.id}`, rows: 10, spellcheck: "true", placeholder: "Write the response the assistant should give." } });
  const counter = el("span", { className: "sft__count small muted", attrs: { "aria-live": "polite" } });
  editor.addEventListener("input", () => {
    drawCount();
    onChange();
  });
  container.append(
    el("div", { className: "ws-panel" }, el("h3", { className: "ws-panel__label", text: "Prompt" }), el("div", { className: "ws-text", dataset: { field: "prompt" }, text: asText(data.prompt) })),
    el(
      "div",
      { className: "field sft" },
      el("label", { attrs: { for: editor.id } }, el("span", { text: "Response " }), kbd("e"), el("span", { className: "muted small", text: " to edit · Esc to leave · Ctrl+Enter to submit" })),
      editor,
      counter,
    ),
  );

  function drawCount() {
    const length = editor.value.trim().length;
    counter.textContent = minLength > 1 ? `${length} characters · at least ${minLength}` : `${length} characters`;
    counter.classList.toggle("is-short", length < minLength);
  }

  function setResult(next) {
    editor.value = next && typeof next.response === "string" ? next.response : "";
    drawCount();
  }

  // The starting result is the suggestion's response; without one, the item's draft.
  setResult(result ?? { response: draft });

  return {
    keys: [["e", "edit the response"]],
    getResult() {
      return editor.value.trim().length >= minLength ? { response: editor.value } : null;
    },
    setResult(next) {
      // Undo replaces the whole text: keep the caret where it was, as far as the text allows.
      const caret = editor.selectionStart;
      setResult(next);
      if (document.activeElement === editor) editor.setSelectionRange(caret, caret);
    },
    handleKey(event) {
      if (event.key === "e" || event.key === "E") {
        editor.focus();
        editor.setSelectionRange(editor.value.length, editor.value.length);
        return true;
      }
      return false;
    },
    destroy() {
      container.replaceChildren();
    },
  };
}
