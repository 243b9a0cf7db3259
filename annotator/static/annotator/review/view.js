// Everything around the widget: title, who made the result, stage, messages, progress, the two
// change lists, earlier reviews, buttons. Text from data is set with textContent only.
import { api, urlFor } from "../api.js";
import { el, kbd } from "../workspace/kit.js";
import { renderChanges } from "./changes_view.js";
import { compare } from "./compare.js";
import { config } from "./config.js";
import { state } from "./state.js";

const $ = (id) => document.getElementById(id);

export const root = $("review");
export const stage = $("rv-stage-area");
export const ui = {
  title: $("rv-title"),
  taskLink: $("rv-task-link"),
  author: $("rv-author"),
  stageBadge: $("rv-stage"),
  edited: $("rv-edited"),
  message: $("rv-message"),
  info: $("rv-info"),
  progress: $("rv-progress"),
  empty: $("rv-empty"),
  emptyProgress: $("rv-empty-progress"),
  rejectForm: $("rv-reject"),
  comment: $("rv-comment"),
  accept: $("rv-accept"),
  correct: $("rv-correct"),
  rejectOpen: $("rv-reject-open"),
  undo: $("rv-undo"),
  guidelines: $("rv-guidelines"),
  guidelinesToggle: $("rv-guidelines-toggle"),
  widgetKeys: $("rv-keys-widget"),
  diffEdit: $("rv-diff-edit"),
  diffMachine: $("rv-diff-machine"),
  diffMachineTitle: $("rv-diff-machine-title"),
  reviews: $("rv-reviews"),
  goldOption: $("rv-gold-option"),
  gold: $("rv-gold"),
};
const INFO_SHOWN_MS = 5000;

export function showError(text) {
  ui.message.textContent = text;
  ui.message.hidden = !text;
}

let infoTimer = null;
export function showInfo(text) {
  ui.info.textContent = text;
  clearTimeout(infoTimer);
  if (text) infoTimer = setTimeout(() => (ui.info.textContent = ""), INFO_SHOWN_MS);
}

export async function refreshProgress() {
  const { status, body } = await api("GET", config.urls.progress);
  if (status !== 200 || !body) {
    ui.progress.textContent = "Progress unavailable";
    return;
  }
  const text = `${body.done_today} reviewed today · ${body.left} left`;
  ui.progress.textContent = text;
  ui.progress.dataset.doneToday = body.done_today;
  ui.progress.dataset.left = body.left;
  ui.emptyProgress.textContent = text;
}

const percent = (confidence) => (typeof confidence === "number" ? ` · ${Math.round(confidence * 100)}%` : "");

/** The parts that stay while one item is on screen: who, which stage, the history. */
export function renderItem(item) {
  ui.title.textContent = `${config.taskTypeLabel} · task #${item.task.id}`;
  ui.taskLink.href = urlFor(config.urls.taskPage, item.task.id);
  ui.taskLink.hidden = false;
  ui.author.hidden = false;
  ui.author.classList.toggle("badge--machine", item.kind === "spot_check");
  ui.author.textContent = item.machine
    ? `machine ${item.machine.model_version}${percent(item.machine.confidence)}`
    : `by ${item.annotation?.annotator_username ?? "unknown"}`;
  ui.stageBadge.hidden = false;
  ui.stageBadge.textContent = item.kind === "spot_check" ? "spot-check" : item.stage === 2 ? "second review" : "first review";
  ui.stageBadge.classList.toggle("rv-stage--second", item.stage === 2);
  renderReviews(item.earlier_reviews || []);
  renderMachineDiff(item);
}

function renderReviews(reviews) {
  ui.reviews.replaceChildren(
    ...reviews.map((review) => {
      const when = new Date(review.created_at);
      return el(
        "li",
        { className: `rv-review rv-review--${review.verdict}` },
        el("span", { className: "rv-review__head", text: `${review.verdict} · stage ${review.stage} · ${review.reviewer_username}` }),
        Number.isNaN(when.getTime()) ? null : el("time", { className: "rv-review__when", text: when.toLocaleString(), attrs: { datetime: review.created_at } }),
        review.comment ? el("p", { className: "rv-review__comment", text: review.comment }) : null,
      );
    }),
  );
  if (!reviews.length) ui.reviews.append(el("li", { className: "muted small", text: "None: this is the first." }));
}

function renderMachineDiff(item) {
  if (item.kind === "spot_check") {
    ui.diffMachineTitle.textContent = "The machine's label";
    renderChanges(ui.diffMachine, [], { none: "Under review is the machine's own label, auto-accepted above the threshold." });
  } else if (!item.suggestion) {
    ui.diffMachineTitle.textContent = "Against the machine's suggestion";
    renderChanges(ui.diffMachine, [], { none: "No machine suggestion for this task." });
  } else {
    ui.diffMachineTitle.textContent = `Against the machine's suggestion (${item.suggestion.model_version}${percent(item.suggestion.confidence)})`;
    const changes = compare(config.taskType, item.suggestion.result, item.result, item.task);
    renderChanges(ui.diffMachine, changes, { jsdiff: state.jsdiff, none: "Same as the machine's suggestion." });
  }
}

/** The reviewer's edit against the result under review, after every change. */
export function renderEditDiff(current) {
  const changes = current ? compare(config.taskType, current.original, current.widget.getResult(), current.item.task) : [];
  renderChanges(ui.diffEdit, changes, { jsdiff: state.jsdiff, none: current ? "Unchanged: saving it accepts the result." : "Nothing on screen." });
}

export function render() {
  const current = state.current;
  root.dataset.state = current ? "item" : state.empty ? "empty" : "loading";
  ui.empty.hidden = !(state.empty && !current);
  const edited = Boolean(current) && current.isEdited();
  ui.edited.hidden = !edited;
  root.dataset.edited = String(edited);
  if (!current) {
    ui.title.textContent = state.empty ? "Queue empty" : "Loading the next item…";
    ui.author.hidden = true;
    ui.taskLink.hidden = true;
    ui.stageBadge.hidden = true;
  }
  for (const button of [ui.accept, ui.correct, ui.rejectOpen]) button.disabled = !current || state.busy;
  ui.goldOption.hidden = !config.canMarkGold || !current;
  ui.gold.disabled = !current || state.busy;
  ui.undo.disabled = !current || current.undo.length < 2 || state.busy;
}

// The page's letters win over a widget's; widgets match letters case-insensitively, so with
// Shift the letter reaches the widget (the preference widget's r for its reason: Shift+R).
const PAGE_LETTERS = new Set(["a", "c", "r"]);
const shifted = (keys) => keys.split(" ").map((key) => (PAGE_LETTERS.has(key.toLowerCase()) ? `Shift+${key.toUpperCase()}` : key)).join(" ");

export function renderWidgetKeys(widget) {
  ui.widgetKeys.replaceChildren();
  for (const [key, description] of widget?.keys || []) {
    ui.widgetKeys.append(el("dt", {}, kbd(shifted(key))), el("dd", { text: description }));
  }
}

export function toggleGuidelines(open = ui.guidelines.hidden) {
  ui.guidelines.hidden = !open;
  ui.guidelinesToggle.setAttribute("aria-expanded", String(open));
}
