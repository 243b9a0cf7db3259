// An organization's dashboard: its projects' throughput, queue and cost side by side, from
// GET /api/v1/organizations/{id}/metrics/, and the sums over all of them. The server rendered
// the rows (names and links); this fills their figures.

import { COLORS, countAxis, draw, timeAxis } from "./charts.js";
import * as F from "./figures.js";
import { plain, put } from "./panels.js";
import { followPeriod } from "./period.js";

const config = JSON.parse(document.getElementById("dashboard-config").textContent);
const $ = (id) => document.getElementById(id);

// One row's figures, flat: a project's entry of `projects`, or the sums (totalFigures).
function fillRow(row, figures, minimum) {
  const cell = (name) => row.querySelector(`[data-figure="${name}"]`);
  put(cell("submitted"), plain(F.count(figures.submitted)));
  put(cell("accepted"), plain(F.count(figures.accepted)));
  put(cell("rate"), plain(F.decimal(figures.acceptedPerHour, 2)));
  put(cell("remaining"), plain(F.count(figures.remaining)));
  put(cell("review"), plain(F.count(figures.reviewPending)));
  // The cost per item is measured on the accepted items: few of them make it indicative.
  const perItem = { value: figures.perItem, n: figures.accepted };
  put(cell("per-item"), Number.isFinite(figures.perItem) ? F.figure(perItem, minimum, F.money) : plain(F.DASH));
  put(cell("to-finish"), plain(F.money(figures.toFinish)), figures.toFinishNote || "");
  const eta = cell("eta");
  if (eta && figures.etaDate !== undefined) put(eta, plain(figures.etaDate ? String(figures.etaDate) : F.DASH));
}

function projectFigures(entry, hours) {
  return {
    submitted: entry.submitted,
    accepted: entry.accepted,
    acceptedPerHour: hours > 0 ? entry.accepted / hours : null,
    remaining: entry.remaining,
    reviewPending: entry.review_pending,
    perItem: entry.per_item,
    toFinish: entry.to_finish,
    etaDate: entry.eta_date,
  };
}

function totalFigures(body) {
  const without = body.cost?.projects_without_cost || 0;
  return {
    submitted: body.throughput?.total?.submitted,
    accepted: body.throughput?.total?.accepted,
    acceptedPerHour: body.throughput?.total?.accepted_per_hour,
    remaining: body.queue?.remaining,
    reviewPending: body.queue?.review_pending?.total,
    perItem: body.cost?.per_item,
    toFinish: body.cost?.to_finish,
    toFinishNote: without ? `(+ ${F.count(without)} project${without === 1 ? "" : "s"} without a cost)` : "",
  };
}

async function show(body) {
  const minimum = body.minimum_sample;
  for (const word of document.querySelectorAll(".db-bucket-word")) word.textContent = body.period.bucket;
  const entries = new Map((body.projects || []).map((entry) => [String(entry.project), entry]));
  for (const row of document.querySelectorAll("#db-projects tbody tr[data-project-id]")) {
    const entry = entries.get(row.dataset.projectId);
    // A project made after the page was rendered is not in the table; one gone since, not in
    // the answer: its row says so instead of showing stale figures.
    if (entry) fillRow(row, projectFigures(entry, body.period.hours), minimum);
    else for (const cell of row.querySelectorAll("[data-figure]")) put(cell, plain(F.DASH));
  }
  const totals = totalFigures(body);
  const total = $("db-total");
  if (total) fillRow(total, totals, minimum);
  put($("sum-submitted"), plain(F.count(totals.submitted)));
  put($("sum-accepted"), plain(F.count(totals.accepted)));
  put($("sum-remaining"), plain(F.count(totals.remaining)));
  put($("sum-to-finish"), plain(F.money(totals.toFinish)));

  const throughput = body.throughput || {};
  await draw("chart-throughput", {
    type: "bar",
    data: {
      labels: body.period.buckets.map((start) => F.bucketLabel(start, body.period.bucket)),
      datasets: [
        { label: "Submitted", data: throughput.submitted || [], backgroundColor: COLORS.submitted },
        { label: "Accepted", data: throughput.accepted || [], backgroundColor: COLORS.accepted },
      ],
    },
    options: { scales: { x: timeAxis(), y: countAxis() } },
  });
}

followPeriod({
  config,
  root: $("dashboard"),
  message: $("db-message"),
  periodText: $("db-period-text"),
  show,
});
