/*
 * Image classification: the image scaled to fit, label chips with hotkeys (1–9 or the config's).
 * Result: {"labels": ["cat"]}; several labels when config.multi_label.
 * Widget interface: see the top of annotator/static/annotator/workspace/workspace.js.
 * Needs only media.css (no npm library); see media_common.js for how it is found.
 */
import { el, fitImage, labelChooser, loadStyle, notice } from "./media_common.js";

export function mount(container, { task, config, result, onChange }) {
  loadStyle("mediaCss");
  const chooser = labelChooser(config, onChange);

  const image = el("img", { className: "media-image", attrs: { alt: `Image of task ${task.id}`, draggable: "false" } });
  const stage = el("div", { className: "media-stage" }, image);
  image.addEventListener("error", () => stage.replaceChildren(notice("The image could not be loaded.")), { once: true });
  image.src = task.media_url || "";

  container.append(
    el("div", { className: "media-task media-task--image-classification" }, chooser.bar, stage, chooser.hint),
  );
  const stopFitting = fitImage(image, stage);
  chooser.setResult(result);

  return {
    keys: chooser.keys,
    getResult: chooser.getResult,
    setResult: chooser.setResult,
    handleKey: chooser.handleKey,
    destroy() {
      stopFitting();
      image.removeAttribute("src");
      container.replaceChildren();
    },
  };
}
