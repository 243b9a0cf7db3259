/*
 * Image classification: the image scaled to fit, label chips with hotkeys (1–9 or the config's).
 * Result: {"labels": ["cat"]}; several labels when config.multi_label.
 * Widget interface: see the top of annotator/static/annotator/workspace/workspace.js.
 * Needs only media.css (no npm library); see media_common.js for how it is found.
 */
import {
  el, fitImage, hotkeySummary, knownLabels, labelBar, labelForKey, labelsOf, loadStyle, notice,
} from "./media_common.js";

export function mount(container, { task, config, result, onChange }) {
  loadStyle("mediaCss");
  const labels = labelsOf(config);
  const multi = config.multi_label === true;
  let chosen = [];

  const image = el("img", { className: "media-image", attrs: { alt: `Image of task ${task.id}`, draggable: "false" } });
  const stage = el("div", { className: "media-stage" }, image);
  image.addEventListener("error", () => stage.replaceChildren(notice("The image could not be loaded.")), { once: true });
  image.src = task.media_url || "";

  const bar = labelBar(labels, { onPick: (value) => toggle(value), title: multi ? "Labels (every one that applies)" : "Label" });
  const hint = el("p", { className: "media-hint", text: multi ? "Every label that applies." : "One label." });
  container.append(el("div", { className: "media-task media-task--image-classification" }, bar.element, stage, hint));
  const stopFitting = fitImage(image, stage);

  function toggle(value) {
    if (multi) {
      const next = chosen.includes(value) ? chosen.filter((v) => v !== value) : [...chosen, value];
      // The config's order, so that equal choices give equal results.
      chosen = labels.map((label) => label.value).filter((v) => next.includes(v));
    } else {
      chosen = chosen.includes(value) ? [] : [value];
    }
    bar.setActive(chosen);
    onChange();
  }

  function setResult(next) {
    chosen = knownLabels(next, labels);
    if (!multi) chosen = chosen.slice(0, 1);
    bar.setActive(chosen);
  }

  setResult(result);
  const keyList = hotkeySummary(labels);

  return {
    keys: keyList ? [[keyList, multi ? "toggle a label" : "choose the label"]] : [],
    getResult() {
      return chosen.length ? { labels: [...chosen] } : null;
    },
    setResult,
    handleKey(event) {
      const label = labelForKey(labels, event);
      if (!label) return false;
      toggle(label.value);
      return true;
    },
    destroy() {
      stopFitting();
      image.removeAttribute("src");
      container.replaceChildren();
    },
  };
}
