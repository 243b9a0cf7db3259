// Sessions: one mounted widget each, with its own undo stack and active-time clock.
import { config } from "./config.js";
import { el, isTypingTarget } from "./kit.js";
import { active, canonical, clone, state } from "./state.js";
import { ActiveTimer, markActivity } from "./timer.js";
import { render, showError, showInfo, stage, ui } from "./view.js";

// Typing bursts within this window make one undo step, not one per character.
const UNDO_COALESCE_MS = 1000;
const UNDO_LIMIT = 200;

export function mountSession({ task, suggestion, start, kind, record = null }) {
  const container = el("div", { className: "ws-widget", dataset: { taskId: task.id } });
  stage.append(container);
  const session = { task, suggestion, kind, record, container, undo: [], lastPushAt: 0, widget: null };
  session.timer = new ActiveTimer(() => Boolean(session.widget?.isBusy?.()));
  try {
    session.widget = state.widgetModule.mount(container, {
      task,
      config: clone(config.labelConfig || {}),
      result: clone(start),
      suggestion: clone(suggestion),
      onChange: () => onWidgetChange(session),
      notify: (text) => showInfo(String(text)),
    });
  } catch (error) {
    // The task stays on screen as an error the person can skip, instead of a dead page.
    console.error(error);
    container.replaceChildren(el("p", { className: "ws-message", text: `This task cannot be shown: ${error?.message || error}. Skip it (s) with a reason.` }));
    session.widget = { getResult: () => null, setResult() {}, handleKey: () => false, destroy() {} };
  }
  session.undo.push(canonical(session.widget.getResult()));
  // What "edited" compares against: the suggestion as the widget normalised it.
  session.baseline = record ? record.baseline : suggestion ? session.undo[0] : null;
  session.timer.start();
  return session;
}

export function unmountSession(session) {
  if (!session) return;
  session.timer.stop();
  try {
    session.widget.destroy();
  } finally {
    session.container.remove();
  }
}

function onWidgetChange(session) {
  if (session !== active()) return;
  markActivity();
  const now = performance.now();
  const snapshot = canonical(session.widget.getResult());
  if (snapshot === session.undo[session.undo.length - 1]) return;
  const typing = isTypingTarget(document.activeElement);
  if (typing && session.undo.length > 1 && now - session.lastPushAt < UNDO_COALESCE_MS) {
    session.undo[session.undo.length - 1] = snapshot;
  } else {
    session.undo.push(snapshot);
    if (session.undo.length > UNDO_LIMIT) session.undo.splice(1, 1);
  }
  session.lastPushAt = now;
  if (ui.message.dataset.incomplete === "true") showError("");
  render();
}

export function undo() {
  const session = active();
  if (!session || state.busy) return;
  if (session.undo.length < 2) {
    showInfo("Nothing to undo on this task.");
    return;
  }
  session.undo.pop();
  session.widget.setResult(JSON.parse(session.undo[session.undo.length - 1]));
  showInfo("Undone.");
  render();
}
