// The window and bucket selectors both dashboards share: the choice lives in the address
// (?window=30d&bucket=hour, so a reload or a shared link keeps it) and every change asks the
// metrics API again. Answers to a superseded question are dropped.

import { api, describeError } from "../api.js";

export function readPeriod(config) {
  const params = new URLSearchParams(window.location.search);
  const window_ = params.get("window");
  const bucket = params.get("bucket");
  return {
    window: config.windows.includes(window_) ? window_ : config.defaultWindow,
    bucket: config.buckets.includes(bucket) ? bucket : config.defaultBucket,
  };
}

function writePeriod(period) {
  const params = new URLSearchParams(window.location.search);
  params.set("window", period.window);
  params.set("bucket", period.bucket);
  window.history.replaceState(null, "", `${window.location.pathname}?${params}`);
}

// "2026-12-01 14:03 to 2026-12-08 14:03 UTC, by day"
export function describePeriod(period) {
  const when = (iso) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  return `${when(period.since)} to ${when(period.until)} UTC, by ${period.bucket}`;
}

// Wires the selectors to `show(metrics)`; `root.dataset.state` says loading / ready / error
// (tests and styles read it), `message` shows what went wrong.
export function followPeriod({ config, root, message, periodText, show }) {
  const form = document.getElementById("db-period");
  const windowSelect = document.getElementById("db-window");
  const bucketSelect = document.getElementById("db-bucket");
  let asked = 0;

  const showMessage = (text) => {
    message.textContent = text;
    message.hidden = !text;
  };

  async function load() {
    const period = { window: windowSelect.value, bucket: bucketSelect.value };
    const mine = ++asked;
    root.dataset.state = "loading";
    periodText.textContent = "Loading figures…";
    const query = new URLSearchParams(period);
    const { status, body } = await api("GET", `${config.metricsUrl}?${query}`);
    if (mine !== asked) return;
    if (status !== 200 || !body) {
      showMessage(describeError(body, status));
      periodText.textContent = "";
      root.dataset.state = "error";
      return;
    }
    showMessage("");
    periodText.textContent = describePeriod(body.period);
    try {
      await show(body);
    } catch (error) {
      showMessage(`The figures arrived but could not all be shown: ${error.message}`);
      root.dataset.state = "error";
      return;
    }
    if (mine === asked) root.dataset.state = "ready";
  }

  const start = readPeriod(config);
  windowSelect.value = start.window;
  bucketSelect.value = start.bucket;
  const changed = () => {
    writePeriod({ window: windowSelect.value, bucket: bucketSelect.value });
    load();
  };
  windowSelect.addEventListener("change", changed);
  bucketSelect.addEventListener("change", changed);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    changed();
  });
  load();
}
