// The project dashboard's panels: annotators, human and machine, cost. Everything shown comes
// from the metrics API and is set with textContent (usernames included).

import * as F from "./figures.js";

// Puts a figure ({text, insufficient, title}) into `element`, then `detail` (muted) after it.
export function put(element, shown, detail = "") {
  element.replaceChildren();
  const main = document.createElement("span");
  main.textContent = shown.text;
  main.className = shown.insufficient ? "db-insufficient" : "db-value";
  if (shown.title) main.title = shown.title;
  element.append(main);
  if (detail) {
    const more = document.createElement("span");
    more.className = "muted small db-detail";
    more.textContent = ` ${detail}`;
    element.append(more);
  }
}

export const plain = (text) => ({ text, insufficient: false, title: "" });

// A figure of a section whose value is under another key (acceptance_rate, accuracy, …).
const field = (section, key) => (section ? { ...section, value: section[key] } : null);

export function annotatorRows(tbody, people, minimum) {
  tbody.replaceChildren();
  if (!people.length) {
    const row = tbody.insertRow();
    row.className = "empty";
    const cell = row.insertCell();
    cell.colSpan = 7;
    cell.className = "muted";
    cell.textContent = "Nobody submitted work in this window.";
    return;
  }
  for (const person of people) {
    const row = tbody.insertRow();
    row.dataset.annotator = String(person.annotator);
    const name = row.insertCell();
    name.className = "wrap";
    name.textContent = person.username;
    const cells = [
      [plain(F.count(person.submitted)), `(${F.count(person.accepted)})`],
      [plain(F.decimal(person.active_hours, 2))],
      [F.figure(person.items_per_active_hour, minimum, (v) => F.decimal(v, 1))],
      [F.figure(field(person.review, "acceptance_rate"), minimum, F.percent)],
      [F.figure(field(person.gold, "accuracy"), minimum, F.percent)],
      [F.figure(person.agreement, minimum, (v) => F.decimal(v, 2))],
    ];
    for (const [shown, detail] of cells) {
      const cell = row.insertCell();
      cell.className = "num";
      put(cell, shown, detail);
    }
  }
}

export function humanAndMachine(metrics, minimum) {
  const machine = metrics.machine;
  const suggestions = metrics.suggestions;
  const $ = (id) => document.getElementById(id);
  if (!machine) {
    for (const id of ["hm-share", "hm-precision", "hm-threshold"]) put($(id), plain("not measured"));
  } else {
    put(
      $("hm-share"),
      F.figure(machine.share, minimum, F.percent),
      `(${F.count(machine.machine)} of ${F.count(machine.accepted)} accepted: ` +
        `${F.count(machine.auto_accepted)} auto-accepted, ${F.count(machine.accepted_unchanged)} unchanged)`,
    );
    const precision = machine.auto_accept_precision || {};
    const target = `target ${F.percent(precision.target_precision)}`;
    const measured = F.figure(field(precision, "precision"), minimum, F.percent);
    if (measured.insufficient || !Number.isFinite(precision.precision)) {
      put($("hm-precision"), measured.insufficient ? measured : plain("not measured yet"), `(${target})`);
    } else {
      const verdict = precision.meets_target ? "meets the target" : "below the target";
      put(
        $("hm-precision"),
        measured,
        `(95% interval ${F.percent(precision.low)}–${F.percent(precision.high)}, ` +
          `n = ${F.count(precision.n)}) vs ${target}: ${verdict}`,
      );
    }
    put(
      $("hm-threshold"),
      plain(Number.isFinite(machine.threshold) ? F.decimal(machine.threshold, 2) : "off"),
      Number.isFinite(machine.threshold) ? "(confidence at or above it is accepted without review)" : "(no auto-accept)",
    );
  }
  if (!suggestions) {
    for (const id of ["hm-acceptance", "hm-edit", "hm-uplift"]) put($(id), plain("not measured"));
    return;
  }
  const acceptance = suggestions.acceptance;
  put(
    $("hm-acceptance"),
    F.figure(acceptance, minimum, F.percent),
    acceptance ? `(${F.count(acceptance.unchanged)} of ${F.count(acceptance.n)} submitted unchanged)` : "",
  );
  const edit = suggestions.edit_size;
  put($("hm-edit"), F.figure(edit, minimum, (v) => F.decimal(v, 2)), edit?.metric ? `(${edit.metric})` : "");
  uplift($("hm-uplift"), suggestions.uplift, minimum);
}

function uplift(element, figure, minimum) {
  if (!figure) {
    put(element, plain(F.DASH));
    return;
  }
  const sizes = `n = ${F.count(figure.n_with)} with a suggestion and ${F.count(figure.n_without)} without`;
  if (F.isInsufficient(figure, minimum)) {
    const noHoldout = !(figure.holdout_rate > 0);
    put(
      element,
      { text: `not enough data yet: ${sizes}, of ${F.count(minimum)} each`, insufficient: true, title: figure.reason || "" },
      noHoldout ? "(no task is held out from suggestions: set the project's suggestion holdout rate)" : "",
    );
    return;
  }
  // difference_s is with − without: negative when suggestions save time.
  const difference = figure.difference_s;
  const main = Number.isFinite(difference)
    ? `${F.seconds(Math.abs(difference))} ${difference <= 0 ? "saved" : "lost"} per item`
    : F.DASH;
  const saving = Number.isFinite(figure.saving_share) ? `; ${F.percent(figure.saving_share)} of the time saved` : "";
  put(
    element,
    plain(main),
    `(with − without ${F.seconds(difference)}, 95% interval ${F.seconds(figure.low_s)} to ${F.seconds(figure.high_s)}; ` +
      `median ${F.seconds(figure.median_with_s)} with a suggestion, ${F.seconds(figure.median_without_s)} without; ` +
      `${sizes}${saving})`,
  );
}

export function costPanel(metrics, minimum) {
  const cost = metrics.cost;
  const $ = (id) => document.getElementById(id);
  if (!cost) {
    for (const id of ["cost-rate", "cost-hours", "cost-labor", "cost-per-item", "cost-to-finish", "cost-eta"]) {
      put($(id), plain("not measured"));
    }
    return;
  }
  const rated = Number.isFinite(cost.hourly_rate) && cost.hourly_rate > 0;
  put($("cost-rate"), plain(rated ? F.money(cost.hourly_rate) : "not set"), rated ? "per hour" : "(set the project's hourly rate)");
  put(
    $("cost-hours"),
    plain(F.decimal(cost.active_hours, 2)),
    `(${F.count(cost.timed)} of ${F.count(cost.submitted)} annotations timed)`,
  );
  put($("cost-labor"), plain(F.money(cost.labor_cost)));
  put($("cost-per-item"), F.figure(cost.per_item, minimum, F.money), `(${F.count(cost.accepted)} accepted)`);
  const toFinish = cost.to_finish || {};
  if (Number.isFinite(toFinish.value)) {
    put($("cost-to-finish"), plain(F.money(toFinish.value)), `(${F.count(cost.remaining)} tasks remaining)`);
  } else {
    put($("cost-to-finish"), plain(F.DASH), toFinish.reason || "");
  }
  const eta = cost.eta || {};
  if (F.isInsufficient(eta, minimum)) {
    put($("cost-eta"), { text: F.notEnough(eta.n, minimum), insufficient: true, title: eta.reason || "" });
  } else if (Number.isFinite(eta.days)) {
    put(
      $("cost-eta"),
      plain(eta.date ? String(eta.date).slice(0, 10) : `${F.decimal(eta.days, 1)} days`),
      `(${F.decimal(eta.days, 1)} days at ${F.decimal(eta.accepted_per_day, 1)} accepted per day)`,
    );
  } else {
    put($("cost-eta"), plain(F.DASH), eta.reason || "");
  }
}
