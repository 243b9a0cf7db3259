// A project's dashboard: fetches GET /api/v1/projects/{id}/metrics/ for the chosen period and
// fills the page's panels, charts and quote. The page itself computes nothing server-side.

import { COLORS, countAxis, draw, timeAxis } from "./charts.js";
import * as F from "./figures.js";
import { annotatorRows, costPanel, humanAndMachine, plain, put } from "./panels.js";
import { followPeriod } from "./period.js";

const config = JSON.parse(document.getElementById("dashboard-config").textContent);
const $ = (id) => document.getElementById(id);

let metrics = null;
// The expected machine share starts at the measured one until the manager types their own.
let shareTyped = false;

function summary(body) {
  const total = body.throughput?.total || {};
  put($("sum-submitted"), plain(F.count(total.submitted)));
  put($("sum-accepted"), plain(F.count(total.accepted)));
  put($("sum-rate"), plain(F.decimal(total.accepted_per_hour, 2)));
  put($("sum-remaining"), plain(F.count(body.queue?.remaining)));
}

function throughputChart(body) {
  const throughput = body.throughput || { submitted: [], accepted: [] };
  return draw("chart-throughput", {
    type: "bar",
    data: {
      labels: body.period.buckets.map((start) => F.bucketLabel(start, body.period.bucket)),
      datasets: [
        { label: "Submitted", data: throughput.submitted, backgroundColor: COLORS.submitted },
        { label: "Accepted", data: throughput.accepted, backgroundColor: COLORS.accepted },
      ],
    },
    options: { scales: { x: timeAxis(), y: countAxis() } },
  });
}

function queueChart(body) {
  const byStatus = body.queue?.by_status || {};
  const statuses = Object.keys(config.statusLabels).filter((status) => status in byStatus);
  const review = body.queue?.review_pending;
  $("db-queue-text").textContent =
    `${F.count(body.queue?.total)} tasks, ${F.count(body.queue?.remaining)} still to finish` +
    (review ? `; ${F.count(review.total)} reviews waiting.` : ".");
  return draw("chart-queue", {
    type: "bar",
    data: {
      labels: statuses.map((status) => config.statusLabels[status]),
      datasets: [
        {
          label: "Tasks",
          data: statuses.map((status) => byStatus[status]),
          backgroundColor: statuses.map((status) => COLORS.status[status] || COLORS.machine),
        },
      ],
    },
    options: {
      indexAxis: "y",
      plugins: { legend: { display: false } },
      scales: { x: countAxis(), y: { grid: { display: false } } },
    },
  });
}

function machineChart(body) {
  const series = body.machine?.series || { share: [] };
  return draw("chart-machine", {
    type: "line",
    data: {
      labels: body.period.buckets.map((start) => F.bucketLabel(start, body.period.bucket)),
      datasets: [
        {
          label: "Machine share (%)",
          // null where nothing was accepted: a gap, not a zero.
          data: series.share.map((share) => (share === null ? null : share * 100)),
          borderColor: COLORS.machine,
          backgroundColor: COLORS.machine,
          pointRadius: 3,
          spanGaps: false,
        },
      ],
    },
    options: {
      scales: {
        x: timeAxis(),
        y: { min: 0, max: 100, ticks: { callback: (value) => `${value}%` }, grid: { color: COLORS.grid } },
      },
    },
  });
}

function measuredSharePct(body) {
  const share = body.machine?.share?.value;
  return Number.isFinite(share) ? share * 100 : 0;
}

function showQuote() {
  const total = $("quote-total");
  const breakdown = $("quote-breakdown");
  const warning = $("quote-warning");
  if (!metrics) return;
  const minimum = metrics.minimum_sample;
  const perHuman = F.humanItemCost(metrics);
  const items = Number.parseFloat($("quote-items").value);
  const sharePct = Number.parseFloat($("quote-share").value);
  const marginPct = Number.parseFloat($("quote-margin").value);
  // Each measured input of the estimate, flagged when its sample is too small.
  const inputs = [
    ["cost per accepted item", metrics.cost?.per_item],
    ["machine share", metrics.machine?.share],
    ["cost per human-labeled item", perHuman ? { n: perHuman.items } : null],
  ];
  const notes = inputs
    .filter(([, measured]) => F.isInsufficient(measured, minimum))
    .map(([name, measured]) => `${name[0].toUpperCase()}${name.slice(1)}: ${F.notEnough(measured.n, minimum)}`);
  warning.textContent = notes.length ? `Indicative only, measured on too few items. ${notes.join("; ")}.` : "";
  warning.hidden = !notes.length;
  if (!perHuman) {
    total.textContent = F.DASH;
    breakdown.textContent =
      "No measured cost per human-labeled item yet: it needs an hourly rate, timed annotations and accepted items people labeled.";
    return;
  }
  if (![items, sharePct, marginPct].every(Number.isFinite) || items < 0 || sharePct < 0 || sharePct > 100) {
    total.textContent = F.DASH;
    breakdown.textContent = "Type a number of items, a machine share between 0 and 100 and a margin.";
    return;
  }
  const estimate = F.quote({ items, machineSharePct: sharePct, marginPct, costPerHumanItem: perHuman.value });
  total.textContent = F.money(estimate.total);
  breakdown.textContent =
    `${F.decimal(estimate.humanItems, 1)} items labeled by people × ${F.money(perHuman.value)} per item ` +
    `(measured on ${F.count(perHuman.items)}) = ${F.money(estimate.labor)} labor, ` +
    `+ ${F.decimal(marginPct, 1)}% margin = ${F.money(estimate.margin)}.`;
}

async function show(body) {
  metrics = body;
  const minimum = body.minimum_sample;
  for (const word of document.querySelectorAll(".db-bucket-word")) word.textContent = body.period.bucket;
  summary(body);
  annotatorRows($("db-annotators").tBodies[0], body.annotators || [], minimum);
  humanAndMachine(body, minimum);
  costPanel(body, minimum);
  put($("quote-measured-share"), F.figure(body.machine?.share, minimum, F.percent));
  if (!shareTyped) $("quote-share").value = F.decimal(measuredSharePct(body), 1).replace(/,/g, "");
  showQuote();
  await Promise.all([throughputChart(body), queueChart(body), machineChart(body)]);
}

$("quote-share").addEventListener("input", () => {
  shareTyped = true;
});
$("db-quote").addEventListener("input", showQuote);
$("db-quote").addEventListener("submit", (event) => event.preventDefault());

followPeriod({
  config,
  root: $("dashboard"),
  message: $("db-message"),
  periodText: $("db-period-text"),
  show,
});
