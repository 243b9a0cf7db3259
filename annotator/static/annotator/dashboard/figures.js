// How the dashboards write the metrics API's figures: plain functions from numbers to text
// (the pages set it with textContent), and the quote's arithmetic.
//
// A figure measured on a sample carries `n` and, while n is below the API's minimum_sample,
// `insufficient: true`: it is then written as "not enough data yet: n = 4 of 30" instead of as
// a result, with the value so far in the element's title for whoever wants it.

const EN = "en-US";

export const DASH = "—";

export function count(value) {
  return Number.isFinite(value) ? Math.round(value).toLocaleString(EN) : DASH;
}

export function decimal(value, digits = 1) {
  if (!Number.isFinite(value)) return DASH;
  return value.toLocaleString(EN, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function percent(share, digits = 1) {
  return Number.isFinite(share) ? `${decimal(share * 100, digits)}%` : DASH;
}

export function money(value) {
  return decimal(value, 2);
}

export function seconds(value) {
  return Number.isFinite(value) ? `${decimal(value, 1)} s` : DASH;
}

export function notEnough(n, minimum) {
  return `not enough data yet: n = ${count(n ?? 0)} of ${count(minimum)}`;
}

// {text, insufficient, title} of a figure {value, n, insufficient, reason}, `format` writing
// the value. A missing figure (null: nothing to measure, e.g. no gold tasks) is a dash.
export function figure(value, minimum, format) {
  if (value === null || value === undefined) return { text: DASH, insufficient: false, title: "" };
  const measured = Number.isFinite(value.value) ? format(value.value) : DASH;
  if (isInsufficient(value, minimum)) {
    const sofar = measured === DASH ? "" : `so far ${measured}`;
    return {
      text: notEnough(value.n, minimum),
      insufficient: true,
      title: [sofar, value.reason].filter(Boolean).join("; "),
    };
  }
  return { text: measured, insufficient: false, title: value.reason || "" };
}

export function isInsufficient(value, minimum) {
  if (!value) return false;
  if (typeof value.insufficient === "boolean") return value.insufficient;
  return Number.isFinite(value.n) && value.n < minimum;
}

// Bucket starts (UTC ISO strings) as axis labels: "12-01" by day, "12-01 14:00" by hour.
export function bucketLabel(iso, bucket) {
  const day = iso.slice(5, 10);
  return bucket === "hour" ? `${day} ${iso.slice(11, 16)}` : day;
}

// The human-labeled share of the accepted items and what one of them cost: labor cost ÷ the
// accepted items the machine did not produce. Null when there is no labor cost or no such item.
export function humanItemCost(metrics) {
  const cost = metrics.cost || {};
  const machine = metrics.machine || {};
  if (!Number.isFinite(cost.labor_cost)) return null;
  const accepted = Number.isFinite(machine.accepted) ? machine.accepted : cost.accepted;
  const human = accepted - (Number.isFinite(machine.machine) ? machine.machine : 0);
  return Number.isFinite(human) && human > 0 ? { value: cost.labor_cost / human, items: human } : null;
}

// The cost-plus estimate: items × (1 − machine share) × cost per human-labeled item, plus the
// margin on it. Shares and margins in percent, as the manager types them.
export function quote({ items, machineSharePct, marginPct, costPerHumanItem }) {
  const humanItems = items * (1 - machineSharePct / 100);
  const labor = humanItems * costPerHumanItem;
  const margin = (labor * marginPct) / 100;
  return { humanItems, labor, margin, total: labor + margin };
}
