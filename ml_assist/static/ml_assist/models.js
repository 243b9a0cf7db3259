// Model page: the Pre-label and Train buttons queue a job through the JSON API, then the job is
// polled until it ends. Everything shown comes from the server, so it is set with textContent.

const config = JSON.parse(document.getElementById("models-config").textContent);

const actions = document.getElementById("models-actions");
const buttons = actions ? [...actions.querySelectorAll("button")] : [];
const message = document.getElementById("models-message");
const panel = document.getElementById("job-panel");
const title = document.getElementById("job-title");
const statusBadge = document.getElementById("job-status");
const bar = document.getElementById("job-bar");
const counts = document.getElementById("job-counts");
const jobMessage = document.getElementById("job-message");

const KIND_TEXT = { prelabel: "Pre-labeling", train: "Training" };
const STATUS_TEXT = { queued: "Queued", running: "Running", succeeded: "Succeeded", failed: "Failed" };
const FINISHED = new Set(["succeeded", "failed"]);
// A few failed polls in a row (server restarting, network blip) are retried before giving up.
const MAX_POLL_FAILURES = 5;

function csrfToken() {
  const input = actions && actions.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

function showMessage(text) {
  message.textContent = text;
  message.hidden = !text;
}

function setBusy(busy) {
  for (const button of buttons) button.disabled = busy;
}

// API errors are {"detail": "..."} or field errors {"task_ids": ["..."]}.
function describeError(body, status) {
  if (body && typeof body === "object") {
    if (body.detail) return String(body.detail);
    const parts = Object.entries(body).map(
      ([field, errors]) => `${field}: ${Array.isArray(errors) ? errors.join(" ") : String(errors)}`,
    );
    if (parts.length) return parts.join("\n");
  }
  if (status === 403) return "You are not allowed to do this here (or your session expired; reload the page).";
  return `The request failed (HTTP ${status || "network error"}).`;
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

function showJob(job) {
  panel.hidden = false;
  title.textContent = `${KIND_TEXT[job.kind] || job.kind} job #${job.id}`;
  statusBadge.className = `badge status-${job.status}`;
  statusBadge.textContent = STATUS_TEXT[job.status] || job.status;
  bar.value = Number(job.progress) || 0;
  counts.textContent = job.total ? `${job.done} of ${job.total} done` : "";
  const version = job.model_version ? ` (${job.model_version})` : "";
  jobMessage.textContent = job.message ? `${job.message}${version}` : version.trim();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function poll(jobId) {
  setBusy(true);
  const url = config.jobUrl.replace("{id}", String(jobId));
  let failures = 0;
  for (;;) {
    let response = null;
    try {
      response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    } catch {
      response = null;
    }
    if (response && response.ok) {
      failures = 0;
      const job = await readJson(response);
      if (job) {
        showJob(job);
        if (FINISHED.has(job.status)) break;
      }
    } else if (++failures >= MAX_POLL_FAILURES) {
      showMessage("Lost track of the job; reload the page to see where it is.");
      setBusy(false);
      return;
    }
    await sleep(config.pollIntervalMs);
  }
  setBusy(false);
  // New versions and suggestions change the tables: show them.
  await sleep(1500);
  window.location.reload();
}

async function start(url) {
  showMessage("");
  setBusy(true);
  let response = null;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
      body: "{}",
    });
  } catch {
    response = null;
  }
  const body = response ? await readJson(response) : null;
  if (!response || response.status !== 202 || !body) {
    showMessage(describeError(body, response && response.status));
    setBusy(false);
    return;
  }
  showJob(body);
  await poll(body.id);
}

const prelabelButton = document.getElementById("prelabel-button");
const trainButton = document.getElementById("train-button");
if (prelabelButton) prelabelButton.addEventListener("click", () => start(config.prelabelUrl));
if (trainButton) trainButton.addEventListener("click", () => start(config.trainUrl));

// A job queued before the page loaded (by anyone, or by retraining itself) is followed too.
if (config.runningJobId) poll(config.runningJobId);
