/*
 * The review page: claim the next item of the project's review queue, judge it, next.
 *
 * The item is shown in the task type's labeling widget (annotator/static/annotator/types/, the
 * interface at the top of ../workspace/workspace.js) started from the result under review, so a
 * correction is made in place with the editors annotators use. Beside it: who made the result
 * (an annotator, or the machine for a spot-check), the stage, earlier reviews, and two change
 * lists (compare.js, drawn by changes_view.js): the reviewer's edit against the result under
 * review, and that result against the machine's suggestion.
 *
 * Keys. The page's win over a widget's; widgets match letters case-insensitively, so a label
 * hotkey c or r, or the preference widget's r for its reason field, is Shift+C / Shift+R here:
 *   a accept as is · c / Enter save the correction (unchanged = accept) · r reject with a comment
 *   (Enter in the comment sends, Shift+Enter is a new line, Esc cancels) · Ctrl+Z undo an edit ·
 *   ? guidelines · Esc close / leave a text field · Ctrl+Enter save from a text field.
 * Every other key without Ctrl/Meta/Alt goes to widget.handleKey, never while typing.
 *
 * Modules: config.js (settings), state.js, view.js (around the widget), item.js (the mounted
 * widget and its undo stack), loop.js (claim / verdict / release), compare.js + changes_view.js
 * (the change lists), and this file (keyboard and wiring).
 */
import { isTypingTarget } from "../workspace/kit.js";
import { config } from "./config.js";
import { undo } from "./item.js";
import { closeReject, confirmReject, decide, loadNext, openReject, reclaimOnReturn, refill, releaseOnLeave, toggleGold } from "./loop.js";
import { state } from "./state.js";
import { render, root, showError, stage, toggleGuidelines, ui } from "./view.js";

function onCommentKey(event) {
  if (event.key === "Escape") closeReject();
  else if (event.key === "Enter" && !event.shiftKey) confirmReject();
  else return;
  event.preventDefault();
}

function onEscape(event, typing) {
  if (!ui.rejectForm.hidden) closeReject();
  else if (typing) event.target.blur();
  else if (!ui.guidelines.hidden) toggleGuidelines(false);
  else return;
  event.preventDefault();
}

function onKeyDown(event) {
  if (event.isComposing || event.defaultPrevented) return;
  if (event.target === ui.comment) return onCommentKey(event);
  const typing = isTypingTarget(event.target);
  const ctrl = event.ctrlKey || event.metaKey;
  if (event.key === "Escape") return onEscape(event, typing);
  if (!ui.rejectForm.hidden) return; // the comment box is open: it is the only thing to answer
  if (ctrl && event.key === "Enter") {
    event.preventDefault();
    decide("correct");
    return;
  }
  if (typing) return; // typing is typing: the field keeps its keys, Ctrl+Z included
  if (ctrl && !event.altKey && !event.shiftKey && event.key.toLowerCase() === "z") {
    event.preventDefault();
    undo();
    return;
  }
  if (ctrl || event.altKey) return;
  // A control reached with Tab keeps its native Enter.
  const onControl = event.target instanceof Element && event.target.closest("a, button") && !stage.contains(event.target);
  const keys = { a: () => decide("accept"), c: () => decide("correct"), Enter: () => decide("correct"), r: openReject, "?": () => toggleGuidelines() };
  if (config.canMarkGold) keys.g = toggleGold;
  if (Object.hasOwn(keys, event.key)) {
    if (onControl && event.key === "Enter") return;
    event.preventDefault();
    keys[event.key]();
    return;
  }
  const current = state.current;
  if (current && !state.busy && current.widget.handleKey(event)) event.preventDefault();
}

function wire() {
  document.addEventListener("keydown", onKeyDown);
  window.addEventListener("pagehide", releaseOnLeave);
  window.addEventListener("pageshow", reclaimOnReturn);
  // Buttons act on click but never take focus, so the keyboard keeps driving the page.
  for (const button of root.querySelectorAll(".ws-actions button, .ws-done button")) {
    button.addEventListener("mousedown", (event) => event.preventDefault());
  }
  ui.accept.addEventListener("click", () => decide("accept"));
  ui.correct.addEventListener("click", () => decide("correct"));
  ui.rejectOpen.addEventListener("click", () => openReject());
  ui.undo.addEventListener("click", () => undo());
  ui.guidelinesToggle.addEventListener("click", () => toggleGuidelines());
  document.getElementById("rv-reject-cancel").addEventListener("click", () => closeReject());
  document.getElementById("rv-check-again").addEventListener("click", () => refill());
  ui.rejectForm.addEventListener("submit", (event) => {
    event.preventDefault();
    confirmReject();
  });
}

async function start() {
  wire();
  render();
  try {
    state.widgetModule = await import(config.widgetUrl);
  } catch (error) {
    console.error(error);
    showError(`The widget for ${config.taskTypeLabel} could not be loaded.`);
    root.dataset.state = "error";
    return;
  }
  try {
    state.jsdiff = await import(config.diffUrl);
  } catch (error) {
    console.error(error); // changes then show as old and new text side by side
  }
  await loadNext();
}

start();
