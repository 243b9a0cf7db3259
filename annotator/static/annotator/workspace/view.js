// The shell around the widget: task header, badges, messages, progress line, timer, buttons.
// Everything shown is set with textContent.
import { api } from "../api.js";
import { config } from "./config.js";
import { el, kbd } from "./kit.js";
import { active, canonical, state } from "./state.js";

const $ = (id) => document.getElementById(id);

export const root = $("workspace");
export const stage = $("ws-stage");
export const ui = {
  title: $("ws-task-title"),
  suggestion: $("ws-suggestion"),
  edited: $("ws-edited"),
  mode: $("ws-mode"),
  message: $("ws-message"),
  reviewNote: $("ws-review-note"),
  info: $("ws-info"),
  progress: $("ws-progress"),
  timer: $("ws-timer"),
  done: $("ws-done"),
  doneProgress: $("ws-done-progress"),
  skipForm: $("ws-skip"),
  skipReason: $("ws-skip-reason"),
  guidelines: $("ws-guidelines"),
  guidelinesToggle: $("ws-guidelines-toggle"),
  widgetKeys: $("ws-keys-widget"),
  submit: $("ws-submit"),
  accept: $("ws-accept"),
  skip: $("ws-skip-open"),
  undo: $("ws-undo"),
  back: $("ws-back"),
};
const INFO_SHOWN_MS = 4000;

// ── Messages ─────────────────────────────────────────────────────────────────────────────────

// `incomplete` errors go away by themselves once the person edits again.
export function showError(text, { incomplete = false } = {}) {
  ui.message.textContent = text;
  ui.message.hidden = !text;
  ui.message.dataset.incomplete = String(incomplete);
}

let infoTimer = null;
export function showInfo(text) {
  ui.info.textContent = text;
  clearTimeout(infoTimer);
  if (text) infoTimer = setTimeout(() => (ui.info.textContent = ""), INFO_SHOWN_MS);
}

// ── Progress ─────────────────────────────────────────────────────────────────────────────────

function progressText(p) {
  return `${p.done_today} done today · ${p.left} left of ${p.total}`;
}

export async function refreshProgress() {
  const { status, body } = await api("GET", config.urls.progress);
  if (status !== 200 || !body) {
    ui.progress.textContent = "Progress unavailable";
    return;
  }
  state.lastProgress = body;
  ui.progress.textContent = progressText(body);
  ui.progress.dataset.doneToday = body.done_today;
  ui.progress.dataset.left = body.left;
  ui.doneProgress.textContent = progressText(body);
}

// ── Rendering the shell around the widget ────────────────────────────────────────────────────

function percent(confidence) {
  return typeof confidence === "number" ? ` · ${Math.round(confidence * 100)}%` : "";
}

export function render() {
  const session = active();
  root.dataset.state = state.editing ? "editing" : session ? "task" : state.done ? "done" : "loading";
  ui.done.hidden = !(state.done && !session);
  if (state.current) state.current.container.hidden = Boolean(state.editing);

  if (session) {
    ui.title.textContent = `${config.taskTypeLabel} · task #${session.task.id}`;
    ui.suggestion.hidden = !session.suggestion;
    if (session.suggestion) {
      ui.suggestion.textContent = `Machine suggestion${percent(session.suggestion.confidence)}`;
      ui.suggestion.title = `Pre-filled by the model ${session.suggestion.model_version || ""}. Check it before you submit.`;
    }
    const edited = session.baseline !== null && canonical(session.widget.getResult()) !== session.baseline;
    ui.edited.hidden = !edited;
    root.dataset.edited = edited ? "true" : "false";
  } else {
    ui.title.textContent = state.done ? "Queue empty" : "Loading the next task…";
    ui.suggestion.hidden = true;
    ui.edited.hidden = true;
  }
  renderReviewNote(session);
  ui.mode.hidden = !state.editing;
  if (state.editing) ui.mode.textContent = "Editing your earlier submission · Enter saves · Esc returns";

  ui.submit.disabled = !session || state.busy;
  ui.submit.firstChild.textContent = state.editing ? "Save changes " : "Submit ";
  ui.accept.hidden = !session?.suggestion;
  ui.accept.disabled = !session?.suggestion || state.busy;
  ui.skip.disabled = !state.current || Boolean(state.editing) || state.busy;
  ui.undo.disabled = !session || session.undo.length < 2 || state.busy;
  const earlier = state.editing ? state.history.indexOf(state.editing.record) : state.history.length;
  ui.back.disabled = earlier <= 0 || state.busy;
}

// A reviewer rejected the last result for this task and sent it back: say why, above the task.
function renderReviewNote(session) {
  const note = session?.task.review_note ?? null;
  const key = note ? `${session.task.id}` : "";
  if (ui.reviewNote.dataset.taskId === key) return; // render() runs on every edit
  ui.reviewNote.dataset.taskId = key;
  ui.reviewNote.hidden = !note;
  ui.reviewNote.replaceChildren();
  if (!note) return;
  const when = new Date(note.created_at);
  ui.reviewNote.append(
    el("span", { className: "ws-review-note__who", text: `Returned by reviewer ${note.reviewer || "unknown"}` }),
    Number.isNaN(when.getTime()) ? null : el("time", { className: "ws-review-note__when", text: when.toLocaleString(), attrs: { datetime: note.created_at } }),
    el("span", { className: "ws-review-note__comment", text: note.comment }),
  );
}

export function renderWidgetKeys(widget) {
  ui.widgetKeys.replaceChildren();
  for (const [key, description] of widget?.keys || []) {
    ui.widgetKeys.append(el("dt", {}, kbd(key)), el("dd", { text: description }));
  }
}

export function tickTimer() {
  const session = active();
  if (!session) {
    ui.timer.textContent = "–:––";
    ui.timer.classList.add("is-paused");
    return;
  }
  session.timer.tick();
  const total = Math.floor(session.timer.elapsedMs / 1000) + (session.record ? Math.floor(session.record.leadTimeS) : 0);
  ui.timer.textContent = `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
  const paused = !session.timer.activeNow();
  ui.timer.classList.toggle("is-paused", paused);
  ui.timer.dataset.seconds = session.timer.seconds;
  ui.timer.setAttribute("aria-label", paused ? "Active time, paused" : "Active time");
}

// ── Guidelines ───────────────────────────────────────────────────────────────────────────────

export function toggleGuidelines(open = ui.guidelines.hidden) {
  ui.guidelines.hidden = !open;
  ui.guidelinesToggle.setAttribute("aria-expanded", String(open));
}
