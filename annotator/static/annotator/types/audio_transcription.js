/*
 * Audio transcription: a wavesurfer.js waveform with its regions plugin. Drag on the waveform to
 * mark a segment; drag a segment to move it, its edges to resize it. Each segment has a row
 * under the waveform: its times (click to play it), a text field, a speaker (the config's labels)
 * and a delete button. Space plays / pauses; a speaker key sets the speaker of the selected
 * segment; Delete removes it. A new segment's text field takes the focus, so one drags and
 * types; Escape leaves the field, Ctrl+Enter submits from it.
 *
 * Result: {"segments": [{start, end, text, label}]} sorted by start, seconds with 3 decimals,
 * `label` (the speaker) only when one is chosen.
 * Widget interface: see the top of annotator/static/annotator/workspace/workspace.js.
 */
import { waveformPlayer } from "./audio_player.js";
import { clamp, colorWithAlpha, el, formatTime, hotkeySummary, labelBar, labelForKey, labelsOf } from "./media_common.js";

// Typing reports one change per pause, not one per keystroke, to the shell's undo stack.
const TYPING_SETTLE_MS = 400;
const NO_SPEAKER_COLOR = "#5d6878";
const REGION_TAG_STYLE = {
  display: "inline-block", margin: "2px", padding: "0 4px", borderRadius: "3px", maxWidth: "calc(100% - 4px)",
  overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap", font: "600 11px/1.5 system-ui, sans-serif",
  color: "#fff", background: "rgba(28, 36, 48, 0.72)",
};
let nextId = 1;

export function mount(container, { task, config, result, onChange }) {
  const speakers = labelsOf(config);
  const colorOf = new Map(speakers.map((speaker) => [speaker.value, speaker.color]));
  const segments = new Map(); // region id → {region, text, label, row parts}
  let current = speakers.length ? speakers[0].value : ""; // speaker of the next new segment
  let activeId = null;
  let pending = segmentsOf(result);
  let regions = null;
  let stopDragSelection = null;
  let typingTimer = null;

  const player = waveformPlayer(task, { withRegions: true });
  const bar = speakers.length
    ? labelBar(speakers, { onPick: (value) => chooseSpeaker(value), title: "Speaker of the selected segment" })
    : null;
  const list = el("ol", { className: "media-segments", attrs: { "aria-label": "Segments" } });
  const empty = el("p", { className: "media-segments__empty", text: "No segments yet: drag on the waveform to mark one." });
  const hint = el("p", {
    className: "media-hint",
    text: "Drag on the waveform to add a segment, then type its text. Click a segment to play it; drag it or its edges to adjust it.",
  });
  const root = el(
    "div",
    { className: "media-task media-task--audio-transcription" },
    player.element,
    bar ? bar.element : null,
    empty,
    list,
    hint,
  );
  container.append(root);
  if (bar) bar.setActive([current]);

  player.ready
    .then(({ regions: plugin }) => {
      regions = plugin;
      enableDragSelection();
      regions.on("region-created", (region) => {
        if (segments.has(region.id)) return; // one of ours, from setResult / the suggestion
        addSegment(region, { text: "", label: current });
        render();
        activate(region.id);
        segments.get(region.id).input.focus();
        onChange();
      });
      regions.on("region-update", (region) => updateTimes(region.id));
      regions.on("region-updated", (region) => {
        if (!segments.has(region.id)) return;
        render();
        activate(region.id);
        onChange();
      });
      regions.on("region-clicked", (region, event) => {
        event.stopPropagation(); // a click on a segment plays it instead of seeking
        activate(region.id);
        region.play(true);
      });
      show(pending);
      pending = null;
    })
    .catch(() => {}); // the player shows the failure itself

  /** New segments are drawn in the current speaker's colour (re-armed when it changes). */
  function enableDragSelection() {
    if (stopDragSelection) stopDragSelection();
    stopDragSelection = regions.enableDragSelection({ color: regionColor(current) });
  }

  function regionColor(label) {
    return colorWithAlpha(colorOf.get(label) || NO_SPEAKER_COLOR, 0.22);
  }

  function addSegment(region, { text, label }) {
    const segment = { region, text, label };
    segment.index = el("span", { className: "media-segment__index" });
    segment.time = el("button", { className: "media-segment__time", attrs: { type: "button", title: "Play this segment" } });
    segment.input = el("input", {
      className: "media-segment__text",
      attrs: { type: "text", placeholder: "Transcript", autocomplete: "off", spellcheck: "true" },
    });
    segment.input.value = text;
    segment.speaker = el("select", { className: "media-segment__speaker" }, el("option", { text: "No speaker", attrs: { value: "" } }));
    for (const speaker of speakers) segment.speaker.append(el("option", { text: speaker.value, attrs: { value: speaker.value } }));
    if (label && !colorOf.has(label)) segment.speaker.append(el("option", { text: label, attrs: { value: label } }));
    segment.speaker.value = label || "";
    segment.speaker.hidden = speakers.length === 0 && !label;
    segment.remove = el("button", { className: "media-segment__delete", text: "Delete", attrs: { type: "button" } });
    segment.row = el("li", { className: "media-segment" }, segment.index, segment.time, segment.input, segment.speaker, segment.remove);
    // Regions live in wavesurfer's shadow DOM, out of media.css's reach: the tag is styled inline.
    segment.tag = el("span");
    Object.assign(segment.tag.style, REGION_TAG_STYLE);

    // Row buttons never take focus, so Space and Enter keep their workspace meaning.
    for (const button of [segment.time, segment.remove]) button.addEventListener("mousedown", (event) => event.preventDefault());
    segment.time.addEventListener("click", () => {
      activate(region.id);
      region.play(true);
    });
    segment.input.addEventListener("focus", () => activate(region.id));
    segment.input.addEventListener("input", () => {
      segment.text = segment.input.value;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(flushTyping, TYPING_SETTLE_MS);
    });
    segment.input.addEventListener("blur", flushTyping);
    segment.speaker.addEventListener("change", () => {
      setSpeaker(segment, segment.speaker.value);
      onChange();
    });
    segment.remove.addEventListener("click", () => {
      removeSegment(region.id);
      onChange();
    });
    segments.set(region.id, segment);
    setSpeaker(segment, label);
  }

  function flushTyping() {
    if (typingTimer === null) return;
    clearTimeout(typingTimer);
    typingTimer = null;
    onChange();
  }

  function setSpeaker(segment, label) {
    segment.label = label || "";
    segment.speaker.value = segment.label;
    segment.row.style.setProperty("--label-color", colorOf.get(segment.label) || NO_SPEAKER_COLOR);
    segment.region.setOptions({ color: regionColor(segment.label) });
    updateTag(segment);
  }

  function updateTag(segment) {
    const number = sortedIds().indexOf(segment.region.id) + 1;
    segment.tag.textContent = segment.label ? `${number} · ${segment.label}` : String(number);
    segment.region.setContent(segment.tag);
  }

  function removeSegment(id) {
    const segment = segments.get(id);
    if (!segment) return;
    segments.delete(id);
    segment.region.remove();
    segment.row.remove();
    if (activeId === id) activeId = null;
    render();
  }

  function sortedIds() {
    return [...segments.values()]
      .sort((a, b) => a.region.start - b.region.start || a.region.end - b.region.end)
      .map((segment) => segment.region.id);
  }

  /** Rows in time order; rows keep their elements, so a field being typed in keeps its text. */
  function render() {
    const ids = sortedIds();
    const shown = [...list.children];
    const rows = ids.map((id) => segments.get(id).row);
    if (rows.length !== shown.length || rows.some((row, i) => row !== shown[i])) {
      const focused = document.activeElement;
      list.replaceChildren(...rows);
      if (focused && list.contains(focused)) focused.focus();
    }
    ids.forEach((id, i) => {
      const segment = segments.get(id);
      segment.index.textContent = `${i + 1}`;
      segment.input.setAttribute("aria-label", `Text of segment ${i + 1}`);
      segment.speaker.setAttribute("aria-label", `Speaker of segment ${i + 1}`);
      segment.remove.setAttribute("aria-label", `Delete segment ${i + 1}`);
      updateTimes(id);
      updateTag(segment);
    });
    empty.hidden = ids.length > 0;
  }

  function updateTimes(id) {
    const segment = segments.get(id);
    if (segment) segment.time.textContent = `${formatTime(segment.region.start)} – ${formatTime(segment.region.end)}`;
  }

  function activate(id) {
    activeId = segments.has(id) ? id : null;
    for (const [key, segment] of segments) segment.row.classList.toggle("media-segment--active", key === activeId);
    if (bar) bar.setActive([activeId ? segments.get(activeId).label : current]);
  }

  function chooseSpeaker(value) {
    current = value;
    if (regions) enableDragSelection();
    const segment = activeId && segments.get(activeId);
    if (segment && segment.label !== value) {
      setSpeaker(segment, value);
      onChange();
    }
    if (bar) bar.setActive([value]);
  }

  /** Replaces every segment without telling the shell (setResult and the first load). */
  function show(list_) {
    for (const id of [...segments.keys()]) removeSegment(id);
    const duration = player.duration();
    for (const item of list_) {
      const id = `segment-${nextId++}`;
      const start = clamp(item.start, 0, duration || item.start);
      const end = clamp(item.end, start, duration || item.end);
      // Registered before addRegion so that its region-created event is known to be ours.
      const placeholder = { id };
      segments.set(id, placeholder);
      const region = regions.addRegion({ id, start, end, color: regionColor(item.label), drag: true, resize: true });
      segments.delete(id);
      addSegment(region, { text: item.text, label: item.label });
    }
    activeId = null;
    render();
    activate(null);
  }

  function currentSegments() {
    const duration = player.duration() || Infinity;
    if (!regions) {
      return (pending || []).slice().sort((a, b) => a.start - b.start || a.end - b.end).map((item) => resultItem(item, duration));
    }
    return sortedIds().map((id) => {
      const { region, text, label } = segments.get(id);
      return resultItem({ start: region.start, end: region.end, text, label }, duration);
    });
  }

  return {
    keys: [
      ["Space", "play / pause"],
      ...(speakers.length ? [[hotkeySummary(speakers), "speaker of the selected segment"]] : []),
      ["Delete", "delete the selected segment"],
    ],
    getResult() {
      return { segments: currentSegments() };
    },
    setResult(next) {
      clearTimeout(typingTimer);
      typingTimer = null;
      if (regions) show(segmentsOf(next));
      else pending = segmentsOf(next);
    },
    pause: () => player.pause(),
    isBusy: () => player.isPlaying(),
    handleKey(event) {
      if (event.key === " ") {
        player.togglePlay();
        return true;
      }
      if (event.key === "Delete") {
        if (!activeId) return false;
        removeSegment(activeId);
        onChange();
        return true;
      }
      const speaker = labelForKey(speakers, event);
      if (!speaker) return false;
      chooseSpeaker(speaker.value);
      return true;
    },
    destroy() {
      clearTimeout(typingTimer);
      player.destroy();
      root.remove();
    },
  };
}

function segmentsOf(result) {
  const items = result && Array.isArray(result.segments) ? result.segments : [];
  return items
    .filter((item) => item && Number.isFinite(item.start) && Number.isFinite(item.end) && item.end > item.start)
    .map((item) => ({
      start: item.start,
      end: item.end,
      text: typeof item.text === "string" ? item.text : "",
      label: typeof item.label === "string" ? item.label : "",
    }));
}

/** One segment of the result: seconds to the millisecond within the audio, the speaker if any. */
function resultItem({ start, end, text, label }, duration) {
  const item = { start: round3(clamp(start, 0, duration)), end: round3(clamp(end, 0, duration)), text: text.trim() };
  if (label) item.label = label;
  return item;
}

function round3(seconds) {
  return Math.round(seconds * 1000) / 1000;
}
