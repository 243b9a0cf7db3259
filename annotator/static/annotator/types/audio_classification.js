/*
 * Audio classification (language, speaker, timbre, …): a wavesurfer.js waveform, Space plays and
 * pauses, label chips with hotkeys (1–9 or the config's). Result: {"labels": ["zh-CN"]};
 * several labels when config.multi_label.
 * Widget interface: see the top of annotator/static/annotator/workspace/workspace.js.
 */
import { waveformPlayer } from "./audio_player.js";
import { el, labelChooser } from "./media_common.js";

export function mount(container, { task, config, result, onChange }) {
  const player = waveformPlayer(task);
  const chooser = labelChooser(config, onChange);
  container.append(
    el("div", { className: "media-task media-task--audio-classification" }, player.element, chooser.bar, chooser.hint),
  );
  chooser.setResult(result);

  return {
    keys: [["Space", "play / pause"], ...chooser.keys],
    getResult: chooser.getResult,
    setResult: chooser.setResult,
    handleKey(event) {
      if (event.key === " ") {
        player.togglePlay();
        return true;
      }
      return chooser.handleKey(event);
    },
    pause: () => player.pause(),
    isBusy: () => player.isPlaying(),
    destroy() {
      player.destroy();
      container.replaceChildren();
    },
  };
}
