/*
 * The waveform player of the two audio task types: wavesurfer.js (npm, loaded from static files;
 * see media_common.js) with a play / pause button and the time, optionally with the regions
 * plugin. wavesurfer fetches the audio from task.media_url with the session cookie (same
 * origin) and plays the fetched copy, so seeking works whatever the media view's range support.
 */
import { el, formatTime, loadModule, loadStyle, notice } from "./media_common.js";

const WAVE_HEIGHT_PX = 96;

/**
 * waveformPlayer(task, {withRegions}) → {element, ready, togglePlay(), pause(), isPlaying(),
 * duration(), destroy()}. `ready` resolves to {wavesurfer, regions} once the audio is decoded
 * (regions is null without withRegions) and rejects when the library or the audio cannot be
 * loaded; `element` then says so. Append `element` to the page at once: wavesurfer measures it.
 */
export function waveformPlayer(task, { withRegions = false } = {}) {
  const playButton = el("button", {
    className: "button button--quiet media-play",
    text: "Play",
    attrs: { type: "button", disabled: true },
  });
  const time = el("span", { className: "media-time", text: `0:00.00 / ${formatTime(task.duration_s)}` });
  const wave = el("div", { className: withRegions ? "media-waveform media-waveform--regions" : "media-waveform" });
  const transport = el(
    "div",
    { className: "media-transport" },
    playButton,
    time,
    el("span", { className: "media-hint", text: "Space plays and pauses" }),
  );
  const element = el("div", { className: "media-audio" }, transport, wave);
  let wavesurfer = null;
  let destroyed = false;
  let duration = Number(task.duration_s) || 0;

  const showTime = (seconds) => {
    time.textContent = `${formatTime(seconds)} / ${formatTime(duration)}`;
  };

  const ready = Promise.all([
    loadModule("wavesurfer"),
    withRegions ? loadModule("wavesurferRegions") : Promise.resolve(null),
    loadStyle("mediaCss"),
  ]).then(([{ default: WaveSurfer }, regionsModule]) => {
    if (destroyed) throw new Error("the player was destroyed while loading");
    const regions = regionsModule ? regionsModule.default.create() : null;
    wavesurfer = WaveSurfer.create({
      container: wave,
      url: task.media_url || "",
      height: WAVE_HEIGHT_PX,
      waveColor: "#9aa9c7",
      progressColor: "#2556c4",
      cursorColor: "#1c2430",
      cursorWidth: 2,
      normalize: true,
      // Dragging on the waveform marks a segment when there are regions; otherwise it seeks.
      dragToSeek: !withRegions,
      plugins: regions ? [regions] : [],
      fetchParams: { credentials: "same-origin" },
    });
    wavesurfer.on("play", () => {
      playButton.textContent = "Pause";
    });
    wavesurfer.on("pause", () => {
      playButton.textContent = "Play";
    });
    wavesurfer.on("timeupdate", showTime);
    return new Promise((resolve, reject) => {
      wavesurfer.on("ready", (seconds) => {
        duration = seconds || duration;
        showTime(0);
        playButton.disabled = false;
        resolve({ wavesurfer, regions });
      });
      wavesurfer.on("error", reject);
    });
  });
  ready.catch((error) => {
    if (destroyed) return;
    console.error("waveform:", error);
    wave.replaceChildren(notice("The audio could not be loaded."));
  });

  // The button never takes focus, so Space and Enter keep their workspace meaning.
  playButton.addEventListener("mousedown", (event) => event.preventDefault());
  playButton.addEventListener("click", () => togglePlay());

  function togglePlay() {
    if (!wavesurfer || playButton.disabled) return false;
    wavesurfer.playPause();
    return true;
  }

  return {
    element,
    ready,
    togglePlay,
    pause() {
      if (wavesurfer) wavesurfer.pause();
    },
    isPlaying: () => Boolean(wavesurfer && wavesurfer.isPlaying()),
    duration: () => duration,
    destroy() {
      destroyed = true;
      if (wavesurfer) wavesurfer.destroy();
      element.remove();
    },
  };
}
