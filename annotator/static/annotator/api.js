// The JSON API as our pages use it: session auth with the CSRF token, errors as text, and
// background jobs (imports, training, pre-labeling) followed until they end.

export function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (input) return input.value;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export async function api(method, url, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { status: 0, body: null };
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: response.status, body: parsed };
}

export const urlFor = (template, id) => template.replace("{id}", encodeURIComponent(id));

// API errors are {"detail": …} or (nested) field errors: flatten to "field.sub: message" lines.
export function describeError(body, status) {
  const lines = [];
  const walk = (value, path) => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      value.forEach((item, index) =>
        typeof item === "object" && item !== null ? walk(item, `${path}[${index}]`) : walk(item, path),
      );
    } else if (typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) {
        const named = key === "detail" || key === "non_field_errors" ? path : path ? `${path}.${key}` : key;
        walk(inner, named);
      }
    } else {
      lines.push(path ? `${path}: ${value}` : String(value));
    }
  };
  walk(body, "");
  if (lines.length) return lines.join("\n");
  if (status === 0) return "The server did not answer. Check your connection; your work is still here.";
  if (status === 403) return "Not allowed (your session may have expired: reload the page).";
  if (status === 413) return "The request is too large for the server.";
  return `The server answered HTTP ${status}.`;
}

const FINISHED_JOB_STATES = new Set(["succeeded", "failed"]);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls a job until it succeeds or fails, calling onUpdate(job) with each answer. A few failed
// polls in a row (server restarting, network blip) are retried; then it gives up and returns
// {job: null, status, body} of the last failure, so the page can say why.
export async function followJob(url, { onUpdate, intervalMs = 1000, maxFailures = 5 }) {
  let failures = 0;
  for (;;) {
    const { status, body } = await api("GET", url);
    if (status === 200 && body) {
      failures = 0;
      onUpdate(body);
      if (FINISHED_JOB_STATES.has(body.status)) return { job: body, status, body };
    } else if (++failures >= maxFailures) {
      return { job: null, status, body };
    }
    await sleep(intervalMs);
  }
}
