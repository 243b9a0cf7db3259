/*
 * Shared pieces of the four media task types (image_classification, image_boxes,
 * audio_classification, audio_transcription): loading the npm libraries, label buttons with
 * hotkeys, small DOM helpers. Each type module follows the widget interface written at the top
 * of annotator/static/annotator/workspace/workspace.js; label chips and keys come from the
 * shell's kit.js, so every task type assigns and shows them alike.
 *
 * Library URLs. The libraries (wavesurfer.js, Annotorious) are npm packages whose dist folders
 * are static files under vendor/ (config/settings/base.py, "Front-end packages from npm").
 * A page that mounts media types includes annotator/templates/annotator/_vendor_urls.html, a
 * hidden #vendor-urls element whose data attributes hold the {% static %} URLs (hashed names
 * when DEBUG is off). Without it, URLs are derived from this module's own URL
 * (STATIC_URL/annotator/types/ → STATIC_URL/vendor/…), which serves the unhashed copies.
 * Nothing is fetched until a media type is mounted, so text projects pay nothing.
 *
 * wavesurfer.js is imported as an ES module. Annotorious is loaded from its browser (UMD) build,
 * which defines window.Annotorious: its ES build still holds `process.env.NODE_ENV` (from
 * nanostores) for a bundler to replace, and throws "process is not defined" when a browser
 * imports it as it is.
 */

import { el, keyMatches, keySummary, labelButton, labelHotkeys, safeColor } from "../workspace/kit.js";

export { el };

const FALLBACK_PATHS = {
  wavesurfer: "../../vendor/wavesurfer/wavesurfer.esm.js",
  wavesurferRegions: "../../vendor/wavesurfer/plugins/regions.esm.js",
  annotorious: "../../vendor/annotorious/annotorious.js",
  annotoriousCss: "../../vendor/annotorious/annotorious.css",
  mediaCss: "./media.css",
};

export function vendorUrl(name) {
  const holder = document.getElementById("vendor-urls");
  const fromPage = holder && holder.dataset[name];
  return fromPage || new URL(FALLBACK_PATHS[name], import.meta.url).href;
}

const styleLoads = new Map();

/** Adds the stylesheet once per page; resolves when it has loaded (or failed: never blocks). */
export function loadStyle(name) {
  const href = vendorUrl(name);
  if (!styleLoads.has(href)) {
    styleLoads.set(
      href,
      new Promise((resolve) => {
        const link = document.createElement("link");
        link.rel = "stylesheet";
        link.href = href;
        link.addEventListener("load", resolve, { once: true });
        link.addEventListener("error", resolve, { once: true });
        document.head.appendChild(link);
      }),
    );
  }
  return styleLoads.get(href);
}

export function loadModule(name) {
  return import(vendorUrl(name));
}

const scriptLoads = new Map();

/** Runs a library's browser build once per page; resolves to the global it defines. */
export function loadScript(name, globalName) {
  const src = vendorUrl(name);
  if (!scriptLoads.has(src)) {
    scriptLoads.set(
      src,
      new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = src;
        script.async = true;
        script.addEventListener("load", () => resolve(window[globalName]), { once: true });
        script.addEventListener("error", () => reject(new Error(`${src} could not be loaded`)), { once: true });
        document.head.appendChild(script);
      }),
    );
  }
  return scriptLoads.get(src);
}

/**
 * The config's labels, each with its key (kit.js: the configured hotkey unless the shell owns it,
 * else a free digit 1–9) and colour, exactly as the text types assign them.
 */
export function labelsOf(config) {
  const labels = Array.isArray(config && config.labels) ? config.labels : [];
  return labelHotkeys(labels).map(({ label, key }, index) => ({
    value: String(label.value),
    hotkey: key,
    color: safeColor(label.color, index),
    description: label.description || "",
    index,
  }));
}

/** The label whose key this key press is, if any. */
export function labelForKey(labels, event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  return labels.find((label) => keyMatches(event, label.hotkey)) || null;
}

/** "1 2 3" / "1…9": the legend line for the labels' keys. */
export function hotkeySummary(labels) {
  return keySummary(labels.map((label) => label.hotkey));
}

export function colorWithAlpha(hex, alpha) {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || "");
  if (!match) return `rgba(37, 86, 196, ${alpha})`;
  const [r, g, b] = match.slice(1).map((part) => parseInt(part, 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/**
 * The label chips of kit.js in a row; `onPick(value)` on click, `setActive(values)` marks the
 * chosen ones. Chips never take focus, so Enter and Space keep meaning submit and play.
 */
export function labelBar(labels, { onPick, title = "Labels" }) {
  const buttons = labels.map((label) => {
    const { value, color, description } = label;
    const button = labelButton({ label: { value, color, description }, key: label.hotkey, index: label.index });
    button.addEventListener("click", () => onPick(label.value));
    return button;
  });
  return {
    element: el("div", { className: "choices media-labels", attrs: { role: "group", "aria-label": title } }, ...buttons),
    setActive(values) {
      const active = new Set(values);
      for (const button of buttons) {
        const on = active.has(button.dataset.value);
        button.classList.toggle("is-on", on);
        button.setAttribute("aria-pressed", String(on));
      }
    },
  };
}

/** The labels of a {labels: [...]} result that the config knows, in the config's order. */
export function knownLabels(result, labels) {
  const given = new Set(Array.isArray(result && result.labels) ? result.labels : []);
  return labels.map((label) => label.value).filter((value) => given.has(value));
}

export function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}

/** 83.456 → "1:23.46": minutes and seconds to the hundredth, for segment times. */
export function formatTime(seconds) {
  const safe = Math.max(0, Number(seconds) || 0);
  const minutes = Math.floor(safe / 60);
  const rest = (safe - minutes * 60).toFixed(2).padStart(5, "0");
  return `${minutes}:${rest}`;
}

/** A one-line message inside the widget (the media could not be loaded, …). */
export function notice(text) {
  return el("p", { className: "media-notice", attrs: { role: "alert" }, text });
}

/**
 * Keeps `image` as large as fits: the stage's width and `maxHeightShare` of the window's height,
 * small images scaled up too (a 320 px photo is hard to box at its own size). Returns a stop().
 */
export function fitImage(image, stage, maxHeightShare = 0.68) {
  let lastWidth = 0;
  const fit = () => {
    const { naturalWidth: width, naturalHeight: height } = image;
    const available = stage.clientWidth;
    if (!width || !height || !available) return;
    lastWidth = available;
    const scale = Math.min(available / width, (window.innerHeight * maxHeightShare) / height);
    image.style.width = `${Math.max(1, Math.floor(width * scale))}px`;
    image.style.height = "auto";
  };
  const observer = new ResizeObserver(() => {
    if (stage.clientWidth !== lastWidth) fit();
  });
  observer.observe(stage);
  window.addEventListener("resize", fit);
  if (image.complete && image.naturalWidth) fit();
  else image.addEventListener("load", fit, { once: true });
  return () => {
    observer.disconnect();
    window.removeEventListener("resize", fit);
  };
}

/** Resolves once the image has loaded; rejects when it cannot be. */
export function imageLoaded(image) {
  if (image.complete && image.naturalWidth) return Promise.resolve(image);
  return new Promise((resolve, reject) => {
    image.addEventListener("load", () => resolve(image), { once: true });
    image.addEventListener("error", () => reject(new Error("image failed to load")), { once: true });
  });
}

// The label picking of the classification types: chips with hotkeys, one label or (with
// config.multi_label) several, kept in the config's order so equal choices give equal results.
// Returns {element, getResult, setResult, handleKey, keys}; onChange after every user edit.
export function labelChooser(config, onChange) {
  const labels = labelsOf(config);
  const multi = config.multi_label === true;
  let chosen = [];
  const bar = labelBar(labels, { onPick: (value) => toggle(value), title: multi ? "Labels (every one that applies)" : "Label" });
  const hint = el("p", { className: "media-hint", text: multi ? "Every label that applies." : "One label." });

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

  const keyList = hotkeySummary(labels);
  return {
    bar: bar.element,
    hint,
    keys: keyList ? [[keyList, multi ? "toggle a label" : "choose the label"]] : [],
    getResult: () => (chosen.length ? { labels: [...chosen] } : null),
    setResult,
    handleKey(event) {
      const label = labelForKey(labels, event);
      if (!label) return false;
      toggle(label.value);
      return true;
    },
  };
}
