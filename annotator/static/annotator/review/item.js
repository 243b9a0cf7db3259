// One claimed item on screen: the task type's widget (annotator/static/annotator/types/, the
// same editors as labeling) started from the result under review, so the reviewer corrects in
// place, with an undo stack of their edits.
import { el, isTypingTarget } from "../workspace/kit.js";
import { canonical, clone } from "../workspace/state.js";
import { config } from "./config.js";
import { state } from "./state.js";
import { render, renderEditDiff, showInfo, stage } from "./view.js";

// Typing bursts within this window make one undo step, not one per character.
const UNDO_COALESCE_MS = 1000;
const UNDO_LIMIT = 200;

export function mountItem(item) {
  const container = el("div", { className: "ws-widget", dataset: { taskId: item.task.id, itemId: item.id } });
  stage.append(container);
  const current = { item, container, widget: null, undo: [], lastPushAt: 0, released: false, acceptArmed: false };
  try {
    current.widget = state.widgetModule.mount(container, {
      task: item.task,
      config: clone(config.labelConfig || {}),
      result: clone(item.result),
      suggestion: clone(item.suggestion),
      onChange: () => onWidgetChange(current),
      notify: (text) => showInfo(String(text)),
    });
  } catch (error) {
    // The item stays on screen as an error the reviewer can still judge.
    console.error(error);
    const text = `This task cannot be shown: ${error?.message || error}. Reject it with a comment (r).`;
    container.replaceChildren(el("p", { className: "ws-message", text }));
    current.widget = { getResult: () => null, setResult() {}, handleKey: () => false, destroy() {} };
  }
  // The result under review as the widget normalised it (label order, rounding): an edit is a
  // difference from this, so merely showing a result never counts as a correction.
  current.baseline = canonical(current.widget.getResult());
  current.original = JSON.parse(current.baseline) ?? clone(item.result);
  current.undo.push(current.baseline);
  current.isEdited = () => canonical(current.widget.getResult()) !== current.baseline;
  return current;
}

export function unmountItem(current) {
  if (!current) return;
  try {
    current.widget.destroy();
  } finally {
    current.container.remove();
  }
}

function onWidgetChange(current) {
  if (current !== state.current) return;
  current.acceptArmed = false;
  const now = performance.now();
  const snapshot = canonical(current.widget.getResult());
  if (snapshot === current.undo[current.undo.length - 1]) return;
  const typing = isTypingTarget(document.activeElement);
  if (typing && current.undo.length > 1 && now - current.lastPushAt < UNDO_COALESCE_MS) {
    current.undo[current.undo.length - 1] = snapshot;
  } else {
    current.undo.push(snapshot);
    if (current.undo.length > UNDO_LIMIT) current.undo.splice(1, 1);
  }
  current.lastPushAt = now;
  renderEditDiff(current);
  render();
}

export function undo() {
  const current = state.current;
  if (!current || state.busy) return;
  if (current.undo.length < 2) {
    showInfo("Nothing to undo on this item.");
    return;
  }
  current.undo.pop();
  current.widget.setResult(JSON.parse(current.undo[current.undo.length - 1]));
  showInfo("Undone.");
  renderEditDiff(current);
  render();
}
