// The review loop: claim the next item → accept, correct or reject it → next; and the held
// item given back when the reviewer leaves the page.
import { api, csrfToken, describeError, urlFor } from "../api.js";
import { clone } from "../workspace/state.js";
import { config } from "./config.js";
import { mountItem, unmountItem } from "./item.js";
import { state } from "./state.js";
import { refreshProgress, render, renderEditDiff, renderItem, renderWidgetKeys, showError, showInfo, ui } from "./view.js";

const DONE = { accept: "Accepted", correct: "Corrected", reject: "Rejected" };

export async function loadNext() {
  state.empty = false;
  render();
  const { status, body } = await api("POST", config.urls.nextReview, {});
  if (status === 200 && body) {
    state.current = mountItem(body);
    renderItem(body);
    renderEditDiff(state.current);
    renderWidgetKeys(state.current.widget);
  } else if (status === 204) {
    state.empty = true;
    renderEditDiff(null);
    renderWidgetKeys(null);
  } else {
    showError(`Could not get the next item to review. ${describeError(body, status)}`);
  }
  refreshProgress();
  render();
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

// "Check again" on the empty queue.
export const refill = () => withBusy(loadNext);

function drop(current) {
  unmountItem(current);
  state.current = null;
  ui.gold.checked = false; // each item is made gold on purpose, never by a leftover tick
}

/** accept: the result under review as it is. correct: the widget's result (unchanged = accept). */
export function decide(verdict, comment = "") {
  const current = state.current;
  if (!current || state.busy) return;
  let payload = { verdict };
  if (verdict === "accept" && current.isEdited() && !current.acceptArmed) {
    current.acceptArmed = true;
    showInfo("You edited this result: press a again to accept the original, or c to save your correction.");
    return;
  }
  if (verdict === "correct") {
    const result = current.widget.getResult();
    if (result === null) {
      showError("Not finished: the corrected result is incomplete (guidelines: ?).");
      return;
    }
    payload = current.isEdited() ? { verdict, result: clone(result) } : { verdict: "accept" };
  }
  if (verdict === "reject") payload = { verdict, comment };
  return withBusy(async () => {
    const { status, body } = await api("POST", current.item.verdict_url, payload);
    if (status === 201 && body) {
      showError("");
      closeReject();
      const second = body.second_stage ? "; a second reviewer will check it too" : "";
      const back = body.verdict === "reject" ? ": it goes back to labeling with your comment" : "";
      const gold = ui.gold.checked && body.verdict !== "reject" ? await markGold(current, body) : "";
      showInfo(`${DONE[body.verdict] || "Reviewed"} task #${current.item.task.id}${back}${second}${gold}.`);
      drop(current);
      await loadNext();
    } else if (status === 409) {
      // The item is gone (another reviewer holds it, or it was settled): move on, and say so.
      closeReject();
      drop(current);
      await loadNext();
      showError(`${describeError(body, status)}\nThat item is no longer yours to review; here is the next one.`);
    } else {
      // 400 and the rest: the reviewer's edit (and comment) stay on the page.
      showError(`Not saved. ${describeError(body, status)}`);
    }
  });
}

// A manager's "make it a gold task": the accepted result becomes the task's known answer. Only
// once the task is accepted (a second stage may still be pending). Returns the note to show.
async function markGold(current, verdict) {
  if (verdict.task_status !== "accepted") return "; not made gold: it is not accepted yet";
  const { status, body } = await api("POST", urlFor(config.urls.gold, current.item.task.id), {});
  return status === 200 ? "; it is now a gold task" : `; not made gold: ${describeError(body, status)}`;
}

export function toggleGold() {
  if (!config.canMarkGold || !state.current || state.busy) return;
  ui.gold.checked = !ui.gold.checked;
}

// ── Reject with a comment ────────────────────────────────────────────────────────────────────

export function openReject() {
  if (!state.current || state.busy) return;
  ui.rejectForm.hidden = false;
  ui.comment.focus();
}

export function closeReject() {
  ui.rejectForm.hidden = true;
  if (document.activeElement === ui.comment) ui.comment.blur();
  ui.comment.value = "";
}

export function confirmReject() {
  const comment = ui.comment.value.trim();
  if (!comment) {
    showError("Say what is wrong: the annotator reads it when the task comes back.");
    ui.comment.focus();
    return;
  }
  return decide("reject", comment);
}

// ── Leaving and coming back ──────────────────────────────────────────────────────────────────

// `pagehide`: the held item goes back to the queue now rather than at the end of its lease.
// A keepalive fetch, not navigator.sendBeacon: a beacon cannot carry the X-CSRFToken header that
// DRF's session authentication wants. The body names the lease this page holds, so that on a
// reload the old page's late goodbye does not free the item the new page has claimed again.
// Nothing is sent while a verdict is in flight: it settles the item itself.
export function releaseOnLeave() {
  const current = state.current;
  if (!current || current.released || state.busy) return;
  current.released = true;
  fetch(current.item.release_url, {
    method: "POST",
    keepalive: true,
    headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/json" },
    body: JSON.stringify({ lock_expires_at: current.item.lock_expires_at }),
    credentials: "same-origin",
  }).catch(() => {}); // the page is going away; the lease ends anyway
}

// Back from the back/forward cache with a released item: claim again. The queue hands the same
// item back unless another reviewer took it; then the next one replaces it.
export function reclaimOnReturn(event) {
  const current = state.current;
  if (!event.persisted || !current?.released) return;
  return withBusy(async () => {
    const { status, body } = await api("POST", config.urls.nextReview, {});
    if (status === 200 && body?.id === current.item.id) {
      current.released = false;
      current.item.lock_expires_at = body.lock_expires_at; // the new lease
      return;
    }
    showInfo(`Task #${current.item.task.id} went back to the queue while you were away.`);
    drop(current);
    await loadNext();
  });
}
