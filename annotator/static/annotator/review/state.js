// The page's one mutable state. `current` is the claimed item on screen (item.js), null while
// loading or when the queue is empty; `busy` while a verdict or claim is in flight.
export const state = {
  widgetModule: null,
  jsdiff: null,
  current: null,
  busy: false,
  empty: false,
};
