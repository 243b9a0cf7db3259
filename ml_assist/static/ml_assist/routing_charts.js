// The model page's two charts, drawn with the dashboards' Chart.js loader: the auto-accept
// threshold over time (a step line, with the target precision for reference) and the active
// version's reliability curve (accuracy against mean confidence per bin, beside the diagonal a
// calibrated model would follow). Data arrive as numbers through json_script.

import { COLORS, draw } from "../annotator/dashboard/charts.js";

const data = JSON.parse(document.getElementById("routing-charts").textContent);

function shortTime(iso) {
  const at = new Date(iso);
  return at.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

export function drawTimeline() {
  if (!document.getElementById("timeline-chart") || !data.timeline.length) return null;
  const labels = data.timeline.map((point) => shortTime(point.at));
  return draw("timeline-chart", {
    type: "line",
    data: {
      labels,
      datasets: [
        {
          label: "Threshold",
          data: data.timeline.map((point) => point.threshold),
          stepped: "before",
          borderColor: COLORS.machine,
          backgroundColor: COLORS.machine,
          pointRadius: 4,
        },
      ],
    },
    options: {
      scales: {
        y: { min: 0, max: 1, title: { display: true, text: "confidence" }, grid: { color: COLORS.grid } },
        x: { grid: { display: false } },
      },
    },
  });
}

export function drawReliability() {
  if (!document.getElementById("reliability-chart") || !data.reliability.length) return null;
  return draw("reliability-chart", {
    type: "scatter",
    data: {
      datasets: [
        {
          label: "Held-out accuracy",
          data: data.reliability.map((bin) => ({ x: bin.confidence, y: bin.accuracy, n: bin.n })),
          backgroundColor: COLORS.accepted,
          // Bigger points hold more labels: a bin of three says little.
          pointRadius: data.reliability.map((bin) => Math.min(12, 3 + Math.sqrt(bin.n))),
        },
        {
          label: "Perfect calibration",
          type: "line",
          data: [{ x: 0, y: 0 }, { x: 1, y: 1 }],
          borderColor: "#8a94a3",
          borderDash: [4, 4],
          pointRadius: 0,
        },
      ],
    },
    options: {
      interaction: { mode: "nearest", intersect: true },
      scales: {
        x: { type: "linear", min: 0, max: 1, title: { display: true, text: "mean confidence" }, grid: { color: COLORS.grid } },
        y: { min: 0, max: 1, title: { display: true, text: "accuracy" }, grid: { color: COLORS.grid } },
      },
    },
  });
}
