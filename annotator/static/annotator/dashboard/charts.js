// The dashboards' charts, drawn with Chart.js (npm `chart.js`, served from its dist folder).
// Its UMD build is loaded once, on demand, from the URL in #vendor-urls; importing it as a
// module runs its factory, which sets globalThis.Chart (its ES build needs a bare import).
// Charts are drawn on <canvas>, and data reach them as numbers only: labels are set by
// Chart.js as canvas text, never as HTML.

let loading = null;

export function loadChartJs() {
  if (!loading) {
    const url = document.getElementById("vendor-urls").dataset.chartjs;
    loading = import(url).then(() => {
      if (!globalThis.Chart) throw new Error("Chart.js did not load.");
      return globalThis.Chart;
    });
  }
  return loading;
}

export const COLORS = {
  submitted: "#d08a1f",
  accepted: "#1f7a3a",
  machine: "#2556c4",
  grid: "#e6e9ee",
  // The status badges' colours (base.css), so the queue reads like the project page.
  status: {
    new: "#8a94a3",
    suggested: "#6b8fe0",
    in_progress: "#2556c4",
    submitted: "#d08a1f",
    accepted: "#1f7a3a",
    rejected: "#b42318",
    auto_accepted: "#49a86a",
  },
};

const BASE_OPTIONS = {
  responsive: true,
  maintainAspectRatio: false,
  // Figures change only when the period does; redrawing at once keeps re-queries snappy.
  animation: false,
  interaction: { mode: "index", intersect: false },
  plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
};

const charts = new Map();

// Draws `config` on the canvas `id`, or replaces the data of the chart already there.
export async function draw(id, config) {
  const Chart = await loadChartJs();
  const existing = charts.get(id);
  if (existing && existing.config.type === config.type) {
    existing.data = config.data;
    existing.options = { ...BASE_OPTIONS, ...config.options };
    existing.update();
    return existing;
  }
  if (existing) existing.destroy();
  const chart = new Chart(document.getElementById(id), {
    ...config,
    options: { ...BASE_OPTIONS, ...config.options },
  });
  charts.set(id, chart);
  return chart;
}

export function countAxis() {
  return { beginAtZero: true, ticks: { precision: 0 }, grid: { color: COLORS.grid } };
}

export function timeAxis() {
  return { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 12 } };
}
