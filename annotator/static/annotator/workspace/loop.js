// The loop: next task → label → submit → next, plus Back (edit an earlier submission), skip, and
// giving the held task back when the person leaves the page.
import { api, csrfToken, describeError, urlFor } from "../api.js";
import { config } from "./config.js";
import { active, canonical, clone, state } from "./state.js";
import { mountSession, unmountSession } from "./session.js";
import { refreshProgress, render, renderWidgetKeys, showError, showInfo, ui } from "./view.js";

export async function loadNext() {
  state.done = false;
  render();
  const { status, body } = await api("POST", config.urls.nextTask);
  if (status === 204) {
    state.done = true;
    if (!state.editing) renderWidgetKeys(null);
    await refreshProgress();
  } else if (status === 200 && body) {
    state.current = mountSession({ task: body, suggestion: body.suggestion || null, start: body.suggestion?.result ?? null, kind: "queue" });
    renderWidgetKeys(state.current.widget);
  } else {
    showError(`Could not get the next task. ${describeError(body, status)}`);
  }
  render();
}

// "Check again" on the empty queue.
export function refill() {
  return withBusy(loadNext);
}

async function withBusy(work) {
  if (state.busy) return;
  state.busy = true;
  render();
  try {
    await work();
  } finally {
    state.busy = false;
    render();
  }
}

export function submit({ result = null, accepted = false } = {}) {
  const session = active();
  if (!session || state.busy) return;
  const payload = result ?? session.widget.getResult();
  if (payload === null) {
    showError("Not finished yet: complete the label before submitting (guidelines: ?).", { incomplete: true });
    return;
  }
  return withBusy(async () => {
    session.timer.tick();
    if (session.kind === "edit") {
      await saveEdit(session, payload);
      return;
    }
    const leadTime = session.timer.seconds;
    const { status, body } = await api("POST", urlFor(config.urls.submit, session.task.id), {
      result: payload,
      lead_time_s: leadTime,
      prediction: session.suggestion ? session.suggestion.id : null,
    });
    if (status === 201 || status === 200) {
      showError("");
      state.history.push({
        annotationId: body.id,
        task: session.task,
        suggestion: session.suggestion,
        baseline: session.baseline,
        result: clone(payload),
        leadTimeS: leadTime,
      });
      showInfo(`${accepted ? "Accepted the suggestion for" : "Submitted"} task #${session.task.id}.`);
      unmountSession(session);
      state.current = null;
      refreshProgress();
      await loadNext();
    } else if (status === 409) {
      showError(`${describeError(body, status)}\nThis task is no longer yours; here is the next one.`);
      unmountSession(session);
      state.current = null;
      refreshProgress();
      await loadNext();
    } else {
      // 400 and the rest: the person's work stays on the page.
      showError(`Not saved. ${describeError(body, status)}`);
    }
  });
}

async function saveEdit(session, payload) {
  const record = session.record;
  // The server adds an edit's active time to the annotation's total.
  const editTime = session.timer.seconds;
  const { status, body } = await api("PATCH", urlFor(config.urls.annotation, record.annotationId), {
    result: payload,
    lead_time_s: editTime,
  });
  if (status === 200) {
    showError("");
    record.result = clone(payload);
    record.leadTimeS += editTime;
    closeEdit();
    showInfo(`Saved your changes to task #${record.task.id}.`);
    refreshProgress();
  } else {
    showError(`Changes not saved. ${describeError(body, status)}`);
  }
}

export function accept() {
  const session = active();
  if (!session || state.busy) return;
  if (!session.suggestion) {
    showInfo("This task has no machine suggestion to accept.");
    return;
  }
  // Shown as the suggestion, and sent exactly as the machine made it.
  session.widget.setResult(clone(session.suggestion.result));
  session.undo.push(canonical(session.widget.getResult()));
  render();
  return submit({ result: clone(session.suggestion.result), accepted: true });
}

export function goBack() {
  if (state.busy) return;
  const index = state.editing ? state.history.indexOf(state.editing.record) - 1 : state.history.length - 1;
  if (index < 0) {
    showInfo("No earlier submission in this visit to go back to.");
    return;
  }
  closeSkip();
  if (state.editing) closeEdit();
  const record = state.history[index];
  if (state.current) {
    state.current.timer.stop();
    state.current.widget.pause?.();
  }
  state.editing = mountSession({ task: record.task, suggestion: record.suggestion, start: record.result, kind: "edit", record });
  renderWidgetKeys(state.editing.widget);
  showInfo(`Reopened your submission of task #${record.task.id}.`);
  render();
}

export function closeEdit() {
  unmountSession(state.editing);
  state.editing = null;
  if (state.current) state.current.timer.start();
  renderWidgetKeys(state.current?.widget ?? null);
  render();
}

// ── Skip ─────────────────────────────────────────────────────────────────────────────────────

export function openSkip() {
  if (!state.current || state.editing || state.busy) return;
  ui.skipForm.hidden = false;
  ui.skipReason.value = "";
  ui.skipReason.focus();
}

export function closeSkip() {
  ui.skipForm.hidden = true;
  if (document.activeElement === ui.skipReason) ui.skipReason.blur();
}

export function confirmSkip() {
  const session = state.current;
  if (!session || state.editing) return;
  const reason = ui.skipReason.value.trim();
  if (!reason) {
    showError("Say why you skip this task (one line is enough).");
    ui.skipReason.focus();
    return;
  }
  return withBusy(async () => {
    const { status, body } = await api("POST", urlFor(config.urls.skip, session.task.id), { reason });
    if (status >= 200 && status < 300) {
      showError("");
      closeSkip();
      showInfo(`Skipped task #${session.task.id}.`);
      unmountSession(session);
      state.current = null;
      refreshProgress();
      await loadNext();
    } else {
      showError(`Not skipped. ${describeError(body, status)}`);
    }
  });
}

// ── Leaving and coming back ──────────────────────────────────────────────────────────────────

// `pagehide`: the person navigates away, reloads or closes the tab. The held task goes back to
// the queue now instead of staying locked for the rest of the lease (ANNOTATOR_LOCK_SECONDS).
// A hidden tab (visibilitychange) is not leaving: the person may come back to it.
// A keepalive fetch, not navigator.sendBeacon: a beacon cannot carry the X-CSRFToken header,
// and DRF's session authentication refuses a POST without it. keepalive lets the request outlive
// the page. While a submit or skip is in flight (busy) nothing is sent: that request settles
// the task itself, and a release racing it could make a submission fail as "not yours".
export function releaseOnLeave() {
  const session = state.current;
  if (!session || session.kind !== "queue" || session.released || state.busy) return;
  session.released = true;
  fetch(urlFor(config.urls.release, session.task.id), {
    method: "POST",
    keepalive: true,
    headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/json" },
    // The lease this page holds: a reload's new page may claim the task again before this
    // goodbye arrives, and the server then keeps the renewed lock.
    body: JSON.stringify({ lock_expires_at: session.task.lock_expires_at }),
    credentials: "same-origin",
  }).catch(() => {}); // the page is going away: nobody is left to tell, and the lease still ends
}

// `pageshow` from the back/forward cache: the page comes back as it was left, but its task was
// released on the way out. Ask the queue again: it hands the same task back unless someone else
// took it meanwhile, and then the person's work on screen stays where it is.
export function reclaimOnReturn(event) {
  const session = state.current;
  if (!event.persisted || !session?.released) return;
  return withBusy(async () => {
    const { status, body } = await api("POST", config.urls.nextTask);
    if (status === 200 && body?.id === session.task.id) {
      session.released = false;
      session.task.lock_expires_at = body.lock_expires_at;
      return;
    }
    showInfo(`Task #${session.task.id} went back to the queue while you were away.`);
    unmountSession(session);
    state.current = null;
    await loadNext();
    if (state.editing) renderWidgetKeys(state.editing.widget);
  });
}
