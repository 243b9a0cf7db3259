// Model page: the Pre-label and Train buttons queue a job through the JSON API, then the job is
// polled until it ends; the proposal button and the routing form change confidence routing.
// Everything shown comes from the server, so it is set with textContent.

import { api, describeError, followJob } from "../annotator/api.js";
import { drawReliability, drawTimeline } from "./routing_charts.js";

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

function showMessage(text) {
  message.textContent = text;
  message.hidden = !text;
}

function setBusy(busy) {
  for (const button of buttons) button.disabled = busy;
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

async function poll(jobId) {
  setBusy(true);
  const url = config.jobUrl.replace("{id}", String(jobId));
  const { job } = await followJob(url, { onUpdate: showJob, intervalMs: config.pollIntervalMs });
  setBusy(false);
  if (!job) {
    showMessage("Lost track of the job; reload the page to see where it is.");
    return;
  }
  // New versions and suggestions change the tables: show them.
  setTimeout(() => window.location.reload(), 1500);
}

async function start(url) {
  showMessage("");
  setBusy(true);
  const { status, body } = await api("POST", url, {});
  if (status !== 202 || !body) {
    showMessage(describeError(body, status));
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

// -- confidence routing --------------------------------------------------------------------------

const applyButton = document.getElementById("apply-proposal-button");
if (applyButton) {
  applyButton.addEventListener("click", async () => {
    showMessage("");
    applyButton.disabled = true;
    const { status, body } = await api("POST", config.applyProposalUrl, { proposal: config.proposalId });
    if (status !== 200) {
      showMessage(describeError(body, status));
      applyButton.disabled = false;
      return;
    }
    window.location.reload();
  });
}

const policyForm = document.getElementById("policy-form");
if (policyForm) {
  policyForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    showMessage("");
    const fields = policyForm.elements;
    const body = {
      apply_proposals: fields.apply_proposals.checked,
      exploration_width: Number(fields.exploration_width.value),
      exploration_rate: Number(fields.exploration_rate.value),
    };
    const answer = await api("PATCH", config.routingUrl, body);
    if (answer.status !== 200) {
      showMessage(describeError(answer.body, answer.status));
      return;
    }
    window.location.reload();
  });
}

drawTimeline();
drawReliability();
