/*
 * Audio classification (language, speaker, timbre, …): a wavesurfer.js waveform, Space plays and
 * pauses, label chips with hotkeys (1–9 or the config's). Result: {"labels": ["zh-CN"]};
 * several labels when config.multi_label.
 * Widget interface: see the top of annotator/static/annotator/workspace/workspace.js.
 */
import { waveformPlayer } from "./audio_player.js";
import { el, hotkeySummary, knownLabels, labelBar, labelForKey, labelsOf } from "./media_common.js";

export function mount(container, { task, config, result, onChange }) {
  const labels = labelsOf(config);
  const multi = config.multi_label === true;
  let chosen = [];

  const player = waveformPlayer(task);
  const bar = labelBar(labels, { onPick: (value) => toggle(value), title: multi ? "Labels (every one that applies)" : "Label" });
  const hint = el("p", { className: "media-hint", text: multi ? "Every label that applies." : "One label." });
  container.append(el("div", { className: "media-task media-task--audio-classification" }, player.element, bar.element, hint));

  function toggle(value) {
    if (multi) {
      const next = chosen.includes(value) ? chosen.filter((v) => v !== value) : [...chosen, value];
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
    keys: [["Space", "play / pause"], ...(keyList ? [[keyList, multi ? "toggle a label" : "choose the label"]] : [])],
    getResult() {
      return chosen.length ? { labels: [...chosen] } : null;
    },
    setResult,
    handleKey(event) {
      if (event.key === " ") {
        player.togglePlay();
        return true;
      }
      const label = labelForKey(labels, event);
      if (!label) return false;
      toggle(label.value);
      return true;
    },
    pause: () => player.pause(),
    isBusy: () => player.isPlaying(),
    destroy() {
      player.destroy();
      container.replaceChildren();
    },
  };
}
