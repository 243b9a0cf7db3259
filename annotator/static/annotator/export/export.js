// Export page: builds the streamed download's URL from the form, asks the worker for a kept
// export or a delivery and follows the job, and purges a delivered project's data once its
// name is typed out. Server text is set with textContent only.

import { api, describeError, followJob } from "../api.js";

const config = JSON.parse(document.getElementById("export-config").textContent);
const form = document.getElementById("export-form");
const download = document.getElementById("export-download");
const keep = document.getElementById("export-keep");
const message = document.getElementById("export-message");
const deliveryMessage = document.getElementById("delivery-message");

function choices() {
  const data = new FormData(form);
  const chosen = {
    format: data.get("format"),
    accepted: data.get("accepted"),
    annotations: document.getElementById("export-annotations").checked,
    suggestions: document.getElementById("export-suggestions").checked,
  };
  if (data.get("dataset")) chosen.dataset = Number(data.get("dataset"));
  return chosen;
}

function downloadUrl() {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(choices())) {
    if (value !== false) params.set(key, String(value));
  }
  return `${config.exportUrl}?${params}`;
}

function show(element, text) {
  element.textContent = text;
  element.hidden = !text;
}

const refreshDownload = () => (download.href = downloadUrl());
form.addEventListener("change", refreshDownload);
refreshDownload();

async function runJob(url, body, element, label) {
  show(element, "");
  const { status, body: answer } = await api("POST", url, body);
  if (status !== 202) {
    show(element, describeError(answer, status));
    return;
  }
  const job = answer.export || answer;
  element.classList.replace("alert--error", "alert--info");
  show(element, `${label} #${job.id} is ${job.status}…`);
  const result = await followJob(job.url, {
    onUpdate: (update) => show(element, `${label} #${update.id} is ${update.status}…`),
  });
  if (!result.job) {
    element.classList.replace("alert--info", "alert--error");
    show(element, describeError(result.body, result.status));
    return;
  }
  window.location.reload(); // the tables are rendered by the server
}

keep.addEventListener("click", () => runJob(config.exportJobsUrl, choices(), message, "Export"));

const deliver = document.getElementById("deliver");
if (deliver) {
  deliver.addEventListener("click", () =>
    runJob(config.deliverUrl, { format: choices().format }, deliveryMessage, "Delivery export"),
  );
}

for (const purge of document.querySelectorAll(".purge-form")) {
  purge.addEventListener("submit", async (event) => {
    event.preventDefault();
    const confirm = new FormData(purge).get("confirm");
    const url = config.purgeUrl.replace("{id}", purge.dataset.delivery);
    const { status, body } = await api("POST", url, { confirm });
    if (status !== 202) {
      deliveryMessage.classList.replace("alert--info", "alert--error");
      show(deliveryMessage, describeError(body, status));
      return;
    }
    // The project is gone (its purge runs on the worker): say what remains instead of reloading.
    purge.closest("td").textContent = `Purged by ${body.purged_by_username}.`;
    deliveryMessage.classList.replace("alert--error", "alert--info");
    show(deliveryMessage, `The project's data is being purged. What remains: ${body.purge.remains.join("; ")}.`);
    for (const control of document.querySelectorAll("#export-form, #deliver, .purge-form")) control.remove();
  });
}
