// Import page: uploads a file to the JSON API, then polls the import job until it ends.
// Everything shown comes from the server or the user's file, so it is set with textContent.

import { csrfToken, describeError, followJob } from "./api.js";

const config = JSON.parse(document.getElementById("import-config").textContent);

const form = document.getElementById("import-form");
const fileInput = document.getElementById("import-file");
const datasetInput = document.getElementById("import-dataset-name");
const submitButton = document.getElementById("import-submit");
const message = document.getElementById("import-message");

const panel = document.getElementById("import-progress");
const jobLabel = document.getElementById("import-job-label");
const statusBadge = document.getElementById("import-status");
const bar = document.getElementById("import-bar");
const phase = document.getElementById("import-phase");
const counts = {
  total: document.getElementById("count-total"),
  imported: document.getElementById("count-imported"),
  duplicates: document.getElementById("count-duplicates"),
  error_count: document.getElementById("count-errors"),
};
const failure = document.getElementById("import-failure");
const rowErrors = document.getElementById("import-row-errors");
const rowErrorsNote = document.getElementById("import-row-errors-note");
const rowErrorsBody = document.getElementById("import-row-errors-body");
const doneLinks = document.getElementById("import-done-links");
const jobsTable = document.getElementById("earlier-imports");

const STATUS_TEXT = {
  queued: "Queued",
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
};
const FINISHED = new Set(["succeeded", "failed"]);

function showMessage(text) {
  message.textContent = text;
  message.hidden = !text;
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function setStatus(status) {
  panel.dataset.status = status;
  statusBadge.className = `badge status-${status}`;
  statusBadge.textContent = STATUS_TEXT[status] || status;
}

function resetPanel() {
  panel.hidden = false;
  jobLabel.textContent = "";
  setStatus("uploading");
  statusBadge.textContent = "Uploading";
  bar.value = 0;
  phase.textContent = "";
  for (const el of Object.values(counts)) el.textContent = "0";
  failure.hidden = true;
  failure.textContent = "";
  rowErrors.hidden = true;
  rowErrorsBody.replaceChildren();
  doneLinks.hidden = true;
}

function upload(file, datasetName) {
  // XMLHttpRequest because fetch cannot report upload progress.
  return new Promise((resolve) => {
    const body = new FormData();
    body.append("file", file);
    if (datasetName) body.append("dataset_name", datasetName);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", config.uploadUrl);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (event) => {
      if (!event.lengthComputable) return;
      bar.value = event.loaded / event.total;
      phase.textContent = `Uploading ${Math.round((100 * event.loaded) / event.total)}% of ${formatBytes(event.total)}`;
    };
    xhr.onload = () => resolve({ status: xhr.status, body: parseJson(xhr.responseText) });
    xhr.onerror = () => resolve({ status: 0, body: null });
    xhr.send(body);
  });
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

function jobUrl(job) {
  return job.url || config.jobUrl.replace("{id}", encodeURIComponent(job.id));
}

function render(job) {
  setStatus(job.status);
  bar.value = FINISHED.has(job.status) ? 1 : Number(job.progress) || 0;
  phase.textContent = FINISHED.has(job.status)
    ? "Done."
    : job.status === "queued"
      ? "Waiting for a worker…"
      : `Reading the file: ${Math.round(100 * (Number(job.progress) || 0))}%`;
  for (const [field, el] of Object.entries(counts)) {
    el.textContent = String(job[field] ?? 0);
  }
  updateJobRow(job);
  if (job.status === "failed") {
    failure.textContent = job.message || "The import failed.";
    failure.hidden = false;
  }
  if (FINISHED.has(job.status)) renderRowErrors(job);
}

function renderRowErrors(job) {
  const errors = Array.isArray(job.errors) ? job.errors : [];
  rowErrorsBody.replaceChildren(
    ...errors.map((item) => {
      const tr = document.createElement("tr");
      const row = document.createElement("td");
      row.className = "num";
      row.textContent = item.row == null ? "—" : String(item.row);
      const reason = document.createElement("td");
      reason.className = "wrap";
      reason.textContent = String(item.error ?? "");
      tr.append(row, reason);
      return tr;
    }),
  );
  const total = Number(job.error_count) || errors.length;
  rowErrorsNote.textContent =
    total > errors.length ? `Showing the first ${errors.length} of ${total} errors.` : "";
  rowErrors.hidden = errors.length === 0;
}

// The new job goes on top of "Earlier imports" and follows the live status.
function addJobRow(job, file, datasetName) {
  if (!jobsTable) return;
  const tbody = jobsTable.tBodies[0];
  tbody.querySelector("tr.empty")?.remove();
  const tr = document.createElement("tr");
  tr.dataset.jobId = String(job.id);
  const cell = (text, className, field) => {
    const td = document.createElement("td");
    if (className) td.className = className;
    if (field) td.dataset.field = field;
    td.textContent = text;
    return td;
  };
  const statusCell = document.createElement("td");
  const badge = document.createElement("span");
  badge.dataset.field = "status";
  statusCell.append(badge);
  tr.append(
    cell(String(job.id)),
    cell(file.name, "wrap"),
    cell(datasetName || file.name, "wrap"),
    statusCell,
    cell("0", "num", "imported"),
    cell("0", "num", "duplicates"),
    cell("0", "num", "error_count"),
    cell("you"),
    cell("just now"),
  );
  tbody.prepend(tr);
}

function updateJobRow(job) {
  const tr = jobsTable?.querySelector(`tr[data-job-id="${CSS.escape(String(job.id))}"]`);
  if (!tr) return;
  for (const el of tr.querySelectorAll("[data-field]")) {
    const field = el.dataset.field;
    if (field === "status") {
      el.className = `badge status-${job.status}`;
      el.textContent = STATUS_TEXT[job.status] || job.status;
    } else if (field in job) {
      el.textContent = String(job[field]);
    }
  }
}

async function poll(url) {
  const { job, status, body } = await followJob(url, { onUpdate: render, intervalMs: config.pollIntervalMs });
  if (!job) {
    showMessage(
      `Lost track of the import: ${describeError(body, status)} It may still be running; reload the page to see its status.`,
    );
  }
  return job;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  showMessage("");
  const file = fileInput.files[0];
  if (!file) {
    showMessage("Choose a file to import.");
    return;
  }
  const datasetName = datasetInput.value.trim();
  submitButton.disabled = true;
  fileInput.disabled = true;
  resetPanel();
  try {
    const { status, body } = await upload(file, datasetName);
    if (status !== 202 && status !== 201) {
      panel.hidden = true;
      showMessage(describeError(body, status));
      return;
    }
    jobLabel.textContent = `#${body.id}`;
    addJobRow(body, file, datasetName);
    render(body);
    // Poll even when the 202 already says finished: its body may not carry the row errors.
    await poll(jobUrl(body));
    doneLinks.hidden = false;
    form.reset();
  } finally {
    submitButton.disabled = false;
    fileInput.disabled = false;
  }
});
