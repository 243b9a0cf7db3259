// The project editor page: a new project (then on to its import page) or an existing one's
// settings. It saves through the JSON API, so the server's one validation applies; its answers
// are shown as text. The preview mounts the task type's real workspace widget on a sample item.
import { api, describeError, followJob, urlFor } from "../api.js";
import { el } from "../workspace/kit.js";
import { createLabelEditor } from "./label_editor.js";

const config = JSON.parse(document.getElementById("editor-config").textContent);
const form = document.getElementById("pe-form");
const $ = (id) => document.getElementById(id);
const isNew = config.mode === "new";
// Types whose workspace shows no labels: their results are a choice or a text.
const WITHOUT_LABELS = new Set(["preference", "sft"]);
const PREVIEW_DELAY_MS = 250;

const message = $("pe-message");
const status = $("pe-status");
const saveButton = $("pe-save");
const startFrom = $("pe-start-from");
const guidelines = $("pe-guidelines");

let taskType = isNew ? form.querySelector("input[name=task_type]:checked").value : config.taskType;

const editor = createLabelEditor({
  list: $("pe-labels"),
  conflicts: $("pe-conflicts"),
  optionsBox: $("pe-options"),
  addButton: $("pe-add-label"),
  maxLabels: config.maxLabels,
  maxLabelLength: config.maxLabelLength,
  onChange: () => {
    refreshSave();
    schedulePreview();
  },
});

function say(text, { error = false } = {}) {
  message.textContent = error ? text : "";
  message.hidden = !error || !text;
  status.textContent = error ? "" : text;
}

function refreshSave() {
  const conflicts = editor.conflicts();
  saveButton.disabled = conflicts.length > 0;
  saveButton.title = conflicts.length ? "Fix the conflicts in the labels first" : "";
}

// ── Type, templates and earlier projects ─────────────────────────────────────────────────────

function startingPoints() {
  const templates = (config.templates[taskType] || []).map((template, index) => ({
    key: `template:${index}`,
    text: `Template: ${template.name}`,
    labelConfig: template.label_config,
    guidelines: template.guidelines,
  }));
  const earlier = config.earlier
    .filter((project) => project.taskType === taskType)
    .map((project) => ({
      key: `project:${project.id}`,
      text: `Copy of “${project.name}” (${project.organization})`,
      labelConfig: project.labelConfig,
      guidelines: project.guidelines,
    }));
  return [...templates, ...earlier];
}

function fillStartFrom() {
  const points = startingPoints();
  startFrom.replaceChildren(...points.map((point) => el("option", { text: point.text, attrs: { value: point.key } })));
  startFrom.disabled = points.length === 0;
  $("pe-start-apply").disabled = points.length === 0;
}

function applyStartingPoint({ withGuidelines }) {
  const point = startingPoints().find((candidate) => candidate.key === startFrom.value);
  if (!point) return;
  if (isNew) editor.load(point.labelConfig, config.options[taskType]);
  else editor.replaceKeepingOriginals(point.labelConfig, config.options[taskType]);
  if (withGuidelines && point.guidelines) guidelines.value = point.guidelines;
  showLabelsSection();
  refreshSave();
  schedulePreview();
}

function showLabelsSection() {
  const usesLabels = !WITHOUT_LABELS.has(taskType);
  $("pe-labels").hidden = !usesLabels;
  $("pe-add-label").hidden = !usesLabels;
  $("pe-labels-heading").textContent = usesLabels ? config.labelHeadings[taskType] || "Labels" : "Options";
}

let lastTemplateGuidelines = "";
$("pe-start-apply").addEventListener("click", () => applyStartingPoint({ withGuidelines: !guidelines.value.trim() || guidelines.value === lastTemplateGuidelines }));

if (isNew) {
  form.querySelectorAll("input[name=task_type]").forEach((radio) =>
    radio.addEventListener("change", () => {
      taskType = radio.value;
      fillStartFrom();
      const untouched = !guidelines.value.trim() || guidelines.value === lastTemplateGuidelines;
      applyStartingPoint({ withGuidelines: untouched });
      lastTemplateGuidelines = guidelines.value;
    }),
  );
}

// ── Live preview: the type's widget on one sample item ───────────────────────────────────────

const preview = $("pe-preview");
let previewTimer = null;
let widget = null;
let previewRun = 0;

function schedulePreview() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(drawPreview, PREVIEW_DELAY_MS);
}

async function drawPreview() {
  const run = ++previewRun;
  let module;
  try {
    module = await import(config.widgetUrls[taskType]);
  } catch {
    preview.replaceChildren(el("p", { className: "muted", text: "The preview could not be loaded." }));
    return;
  }
  if (run !== previewRun) return; // a newer change is drawing
  if (widget) {
    try {
      widget.destroy();
    } catch {
      /* a widget torn down mid-load */
    }
  }
  const stage = el("div", { className: "pe-preview__widget" });
  preview.replaceChildren(stage);
  const sample = structuredClone(config.samples[taskType]);
  widget = module.mount(stage, { task: sample, config: editor.config(), result: null, suggestion: null, onChange() {}, notify() {} });
}

// ── Guidelines: Markdown with the server's renderer as the preview ──────────────────────────

const guidelinesPreview = $("pe-guidelines-preview");
const writeTab = $("pe-guidelines-write");
const previewTab = $("pe-guidelines-preview-tab");

function showTab(previewing) {
  writeTab.setAttribute("aria-selected", String(!previewing));
  previewTab.setAttribute("aria-selected", String(previewing));
  guidelines.hidden = previewing;
  guidelinesPreview.hidden = !previewing;
}

writeTab.addEventListener("click", () => showTab(false));
previewTab.addEventListener("click", async () => {
  showTab(true);
  guidelinesPreview.replaceChildren(el("p", { className: "muted", text: "Rendering…" }));
  const { status: code, body } = await api("POST", config.urls.preview, { text: guidelines.value });
  if (code !== 200 || !body) {
    guidelinesPreview.replaceChildren(el("p", { className: "field__error", text: describeError(body, code) }));
    return;
  }
  if (!body.html) {
    guidelinesPreview.replaceChildren(el("p", { className: "muted", text: "Nothing written yet." }));
    return;
  }
  // Markup the server rendered and sanitized (markdown-it without raw HTML, then nh3's allow-list),
  // the same the labeling page shows: parsed inert, then moved in.
  const parsed = new DOMParser().parseFromString(body.html, "text/html");
  guidelinesPreview.replaceChildren(...parsed.body.childNodes);
});

// ── Saving ───────────────────────────────────────────────────────────────────────────────────

function numberOrUndefined(id, parse = Number.parseFloat) {
  const raw = $(id).value.trim();
  if (raw === "") return undefined;
  const number = parse(raw);
  return Number.isFinite(number) ? number : raw; // the server names the field that is wrong
}

function settingsBody() {
  const body = {
    name: $("pe-name").value,
    label_config: WITHOUT_LABELS.has(taskType) ? optionsOnly(editor.config()) : editor.config(),
    guidelines: guidelines.value,
    kind: $("pe-kind").value,
    overlap: numberOrUndefined("pe-overlap", (raw) => Number(raw)),
    queue_order: $("pe-queue-order").value,
    review_sample_rate: numberOrUndefined("pe-review-sample-rate"),
    suggestion_holdout_rate: numberOrUndefined("pe-holdout"),
    target_precision: numberOrUndefined("pe-target-precision"),
    annotation_review_rate: numberOrUndefined("pe-annotation-review-rate"),
    // Empty turns routing off (null), which the API takes as it is.
    auto_accept_threshold: numberOrUndefined("pe-auto-accept") ?? null,
    hourly_rate: $("pe-hourly-rate").value.trim() || "0",
    model_server_url: $("pe-model-server").value.trim(),
  };
  for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
  return body;
}

function optionsOnly(labelConfig) {
  const { labels, ...options } = labelConfig;
  return options;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (editor.conflicts().length) return;
  saveButton.disabled = true;
  say("Saving…");
  try {
    if (isNew) await create();
    else await update({});
  } finally {
    refreshSave();
  }
});

async function create() {
  const body = { ...settingsBody(), organization: Number($("pe-organization").value), task_type: taskType };
  const { status: code, body: answer } = await api("POST", config.urls.create, body);
  if (code === 201 && answer) {
    say("Created. Opening the import page…");
    window.location.assign(urlFor(config.urls.importPage, answer.id));
    return;
  }
  say(describeError(answer, code), { error: true });
}

// What the settings page loaded: a save sends only the fields changed since, so it never writes
// back a stale value of one it did not touch (routing may have moved the threshold meanwhile).
let savedSettings = null;

function changedSettings() {
  const body = settingsBody();
  const changed = {};
  for (const [key, value] of Object.entries(body)) {
    if (JSON.stringify(value) !== JSON.stringify(savedSettings[key])) changed[key] = value;
  }
  return changed;
}

async function update(extra) {
  $("pe-in-use").hidden = true;
  const changed = changedSettings();
  if (!Object.keys(changed).length) {
    say("Nothing changed.");
    return;
  }
  const url = urlFor(config.urls.project, config.projectId);
  const { status: code, body: answer } = await api("PATCH", url, { ...changed, ...extra });
  if (code === 200 && answer) {
    editor.markSaved();
    savedSettings = { ...savedSettings, ...changed };
    say("Settings saved.");
    if (answer.label_rename_job) followRename(answer.label_rename_job);
    return;
  }
  if (code === 409 && answer && answer.affected) {
    showInUse(answer.affected);
    say("Not saved: labels in use.", { error: true });
    return;
  }
  say(describeError(answer, code), { error: true });
}

function showInUse(affected) {
  const renames = editor.renames();
  const items = Object.entries(affected).map(([label, stores]) => {
    const counts = Object.entries(stores).map(([store, n]) => `${n} ${store}`).join(", ");
    const renamedTo = renames[label];
    const text = renamedTo ? `“${label}” → “${renamedTo}”: ${counts}` : `“${label}” (removed): ${counts}`;
    return el("li", { text, dataset: { label } });
  });
  $("pe-in-use-list").replaceChildren(...items);
  // A rename is offered when every label in use was renamed, not removed.
  $("pe-rename").hidden = !Object.keys(affected).every((label) => label in renames);
  $("pe-in-use").hidden = false;
}

$("pe-rename").addEventListener("click", async () => {
  saveButton.disabled = true;
  say("Saving the rename…");
  try {
    await update({ label_renames: editor.renames() });
  } finally {
    refreshSave();
  }
});

async function followRename(job) {
  say(`Settings saved. Renaming the labels in stored results (job ${job.id})…`);
  const { job: finished, status: code, body } = await followJob(job.url, { onUpdate() {} });
  if (!finished) say(describeError(body, code), { error: true });
  else if (finished.status === "succeeded") say(`Settings saved. ${finished.rewritten} stored results renamed.`);
  else say(`The rename failed: ${finished.message}`, { error: true });
}

// ── Archive and delete (settings only) ───────────────────────────────────────────────────────

if (!isNew) {
  const archiveUrl = urlFor(config.urls.archive, config.projectId);
  const setArchived = (archived) => {
    $("pe-archive").hidden = archived;
    $("pe-unarchive").hidden = !archived;
  };
  $("pe-archive").addEventListener("click", async () => {
    const { status: code, body } = await api("POST", archiveUrl);
    if (code === 200) {
      setArchived(true);
      say("Archived: annotators and reviewers no longer see this project.");
    } else say(describeError(body, code), { error: true });
  });
  $("pe-unarchive").addEventListener("click", async () => {
    const { status: code, body } = await api("DELETE", archiveUrl);
    if (code === 200) {
      setArchived(false);
      say("Back from the archive.");
    } else say(describeError(body, code), { error: true });
  });
  $("pe-delete").addEventListener("click", async () => {
    const name = $("pe-name").defaultValue;
    const typed = window.prompt(`Delete “${name}” with all its tasks and labels? Type its name to confirm.`);
    if (typed === null) return;
    if (typed !== name) {
      say("Not deleted: the name typed did not match.", { error: true });
      return;
    }
    const { status: code, body } = await api("DELETE", urlFor(config.urls.project, config.projectId));
    if (code === 204) window.location.assign(config.urls.home);
    else say(describeError(body, code), { error: true });
  });
}

// ── Start ────────────────────────────────────────────────────────────────────────────────────

fillStartFrom();
if (isNew) {
  applyStartingPoint({ withGuidelines: !guidelines.value.trim() });
  lastTemplateGuidelines = guidelines.value;
} else {
  editor.load(config.labelConfig, config.options[taskType], { saved: true });
  showLabelsSection();
  savedSettings = settingsBody();
  refreshSave();
  schedulePreview();
}
