// `current` is the task the queue handed out; `editing` is an earlier submission reopened with
// Back (the current task waits, hidden, with its timer paused). `history` holds this visit's
// submissions, newest last.

export const state = {
  widgetModule: null,
  current: null,
  editing: null,
  history: [],
  busy: false,
  done: false,
  lastProgress: null,
};

export const active = () => state.editing || state.current;

export const clone = (value) => (value === null || value === undefined ? null : structuredClone(value));

// Key order must not make two equal results look different.
export function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}
