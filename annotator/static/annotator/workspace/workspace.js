/*
 * The labeling workspace shell: next task → label → submit → next.
 *
 * ───────────────────────── Widget interface (one module per task type) ─────────────────────────
 *
 * Each task type is an ES module at annotator/static/annotator/types/<task_type>.js exporting:
 *
 *   export function mount(container, {task, config, result, suggestion, onChange, notify}) → widget
 *
 *   container  HTMLElement, empty, owned by the widget until destroy(). The shell renders the
 *              progress line, suggestion badge, buttons and key legend OUTSIDE it.
 *   task       the next-task JSON as the API returned it: {id, data, media_url, duration_s,
 *              width, height, ...}. `data` is the imported item (text, prompt, responses, ...).
 *   config     the project's label_config: {labels: [{value, color, hotkey, description}],
 *              multi_label, allow_overlap, require_reason, allow_tie, min_response_length}.
 *              Options absent from the config are absent here; their defaults are the
 *              server's (platform_core/results.py): allow_tie true, every other one false / 0.
 *              Hotkeys: use kit.labelHotkeys(labels), which skips the shell's keys and gives
 *              labels without one the next free digit 1–9.
 *   result     the starting result in the type's shape (DESIGN.md "Results"): the suggestion's
 *              result when there is one, else null (start empty, or from the item itself: SFT
 *              starts from data.draft). A deep copy: mutate freely.
 *   onChange   call with no arguments after EVERY user edit (not after setResult, not on mount).
 *              The shell then calls getResult() and pushes it onto the task's undo stack and
 *              marks the result "edited" when it differs from the suggestion.
 *   notify     notify(text): show a short message in the shell's message line (e.g. "Spans may
 *              not overlap in this project"). Optional to use; plain text.
 *   suggestion the suggestion object {id, result, confidence, model_version} or null; for
 *              display only (the shell already marks it); the starting `result` is what counts.
 *
 *   widget.getResult()        → the current result as a fresh plain object in the type's shape
 *                               (e.g. {labels: ["cat"]}), or null when it is incomplete and
 *                               cannot be submitted yet (nothing chosen, empty response, ...).
 *   widget.setResult(result)  replace the widget's state with `result` (null = empty) and
 *                               redraw; used by undo and by "Back". Must NOT call onChange.
 *   widget.handleKey(event)   a keydown the shell did not consume. Return true if the widget
 *                               used it (the shell then calls preventDefault). Only keys without
 *                               Ctrl/Meta/Alt (Shift is allowed), and never while focus is in a
 *                               text field: the field gets its keys natively (see below).
 *   widget.destroy()          remove listeners, timers, media players; the shell then removes
 *                               the container.
 *   widget.keys (optional)    [[key, description], ...] shown in the key legend, e.g.
 *                               [["1–9", "choose label"], ["Space", "play / pause"]].
 *   widget.pause (optional)   pause() — the shell set this widget aside (hidden) because the
 *                               person went Back to an earlier submission: stop playback. The
 *                               widget is shown again later, unchanged, without a call.
 *   widget.isBusy (optional)  isBusy() → true while the person is working without touching
 *                               keys or mouse (audio playing): the shell then does not count
 *                               them idle. The tab being hidden still pauses the timer.
 *
 * Shared helpers for widgets live in annotator/static/annotator/workspace/kit.js (import it
 * relatively: `import {...} from "../workspace/kit.js"`): RESERVED_KEYS (the shell's keys below),
 * labelHotkeys(labels) → [{label, key}] (config hotkey unless reserved, else the next free digit
 * 1–9), keyMatches(event, key), keySummary(keys), safeColor(color, index) (a #rrggbb or a
 * palette colour), el(tag, {className, text, attrs, dataset}, ...children), kbd(key),
 * labelButton({label, key, index}) (a label chip that never takes focus), isTypingTarget(target).
 *
 * Keys the shell owns (a widget never sees them): Enter = submit, a = accept the suggestion as
 * is and submit, s = skip (with reason), ? = guidelines, Ctrl+Z = undo the last edit,
 * Backspace / u = back to the previous submission, Escape = close a panel / leave a text field,
 * Ctrl+Enter = submit even from inside a text field. Every other key without Ctrl/Meta/Alt
 * (digits, letters, Space, Delete, arrows) goes to widget.handleKey.
 * While focus is in an <input>, <textarea>, <select> or contenteditable, the shell handles only
 * Ctrl+Enter and Escape and never calls handleKey: typing is typing. A widget's own fields
 * handle their own keys (stop propagation if needed).
 *
 * Two widgets of the same type may be mounted at once (the held task, hidden, and the earlier
 * submission reopened with Back): no fixed element ids, no document-level listeners that assume
 * one instance; only the visible one receives handleKey.
 * mount() may throw on data it cannot show: the shell then shows the error and offers skip.
 *
 * Text from data or labels is set with textContent / createTextNode, never innerHTML. Media URLs
 * come from task.media_url only. The widget never talks to the API; the shell submits
 * getResult() with lead_time_s (active time) and the suggestion id.
 * ────────────────────────────────────────────────────────────────────────────────────────────────
 *
 * The shell's modules: config.js (the page's settings), ../api.js (fetch with CSRF, error text; shared with the import and model pages),
 * state.js, timer.js (active time), view.js (everything around the widget), session.js (one
 * mounted widget with its undo stack and clock), loop.js (next / submit / Back / skip, and the
 * held task released when the page is left), and this file (keyboard and wiring).
 */

import { config } from "./config.js";
import { isTypingTarget } from "./kit.js";
import {
  accept,
  closeEdit,
  closeSkip,
  confirmSkip,
  goBack,
  loadNext,
  openSkip,
  reclaimOnReturn,
  refill,
  releaseOnLeave,
  submit,
} from "./loop.js";
import { undo } from "./session.js";
import { active, state } from "./state.js";
import { markActivity } from "./timer.js";
import { refreshProgress, root, showError, stage, tickTimer, toggleGuidelines, ui } from "./view.js";

// The timer display refreshes four times a second; the clock itself counts continuously.
const TICK_MS = 250;

// ── Keyboard ─────────────────────────────────────────────────────────────────────────────────

function onEscape(event, typing) {
  if (!ui.skipForm.hidden) closeSkip();
  else if (typing) event.target.blur();
  else if (!ui.guidelines.hidden) toggleGuidelines(false);
  else if (state.editing && !state.busy) closeEdit();
  else return;
  event.preventDefault();
}

function onKeyDown(event) {
  markActivity();
  if (event.isComposing || event.defaultPrevented) return;
  const typing = isTypingTarget(event.target);
  const ctrl = event.ctrlKey || event.metaKey;
  if (event.key === "Escape") return onEscape(event, typing);
  if (ctrl && event.key === "Enter") {
    event.preventDefault();
    if (ui.skipForm.hidden) submit();
    return;
  }
  if (typing) return; // typing is typing: the field keeps its keys, Ctrl+Z included
  if (ctrl && !event.altKey && !event.shiftKey && event.key.toLowerCase() === "z") {
    event.preventDefault();
    undo();
    return;
  }
  if (ctrl || event.altKey) return;
  // A control reached with Tab keeps its native Enter / Space.
  const onControl = event.target instanceof Element && event.target.closest("a, button") && !stage.contains(event.target);
  const shellKeys = { Enter: submit, a: accept, s: openSkip, "?": () => toggleGuidelines(), u: goBack, Backspace: goBack };
  const action = Object.hasOwn(shellKeys, event.key) ? shellKeys[event.key] : null;
  if (action) {
    if (onControl && event.key === "Enter") return;
    event.preventDefault();
    action();
    return;
  }
  const session = active();
  if (session && !state.busy && session.widget.handleKey(event)) event.preventDefault();
}

// ── Wiring ───────────────────────────────────────────────────────────────────────────────────

function wire() {
  document.addEventListener("keydown", onKeyDown);
  for (const type of ["pointerdown", "pointermove", "wheel", "input", "scroll"]) {
    document.addEventListener(type, markActivity, { passive: true, capture: true });
  }
  document.addEventListener("visibilitychange", () => {
    const session = active();
    if (!session) return;
    if (document.hidden) session.timer.tick();
    else {
      markActivity();
      session.timer.resync();
    }
  });
  // Leaving the page frees the held task (a hidden tab keeps it: see releaseOnLeave).
  window.addEventListener("pagehide", releaseOnLeave);
  window.addEventListener("pageshow", reclaimOnReturn);
  // Buttons act on click but never take focus, so the keyboard keeps driving the page.
  for (const button of root.querySelectorAll(".ws-actions button, .ws-done button")) {
    button.addEventListener("mousedown", (event) => event.preventDefault());
  }
  ui.submit.addEventListener("click", () => submit());
  ui.accept.addEventListener("click", () => accept());
  ui.skip.addEventListener("click", () => openSkip());
  ui.undo.addEventListener("click", () => undo());
  ui.back.addEventListener("click", () => goBack());
  ui.guidelinesToggle.addEventListener("click", () => toggleGuidelines());
  document.getElementById("ws-skip-cancel").addEventListener("click", () => closeSkip());
  document.getElementById("ws-check-again").addEventListener("click", () => refill());
  ui.skipForm.addEventListener("submit", (event) => {
    event.preventDefault();
    confirmSkip();
  });
  setInterval(tickTimer, TICK_MS);
}

async function start() {
  wire();
  refreshProgress();
  try {
    state.widgetModule = await import(config.widgetUrl);
  } catch (error) {
    showError(`The labeling widget for ${config.taskTypeLabel} could not be loaded.`);
    console.error(error);
    root.dataset.state = "error";
    return;
  }
  await loadNext();
}

start();