// Active time, what lead_time_s measures.
// Time counts while the tab is visible and the person touched a key or the mouse within the
// idle window (or the widget says it is busy, e.g. audio playing). A hidden tab or a coffee
// break adds nothing; the delta between ticks is clipped at the end of the idle window.

import { config } from "./config.js";

let lastActivityAt = performance.now();

export function markActivity() {
  lastActivityAt = performance.now();
}

export class ActiveTimer {
  constructor(isBusy) {
    this.isBusy = isBusy;
    this.elapsedMs = 0;
    this.running = false;
    this.lastTick = 0;
  }

  start() {
    this.running = true;
    this.lastTick = performance.now();
  }

  stop() {
    this.tick();
    this.running = false;
  }

  activeNow(now = performance.now()) {
    if (document.hidden) return false;
    return this.isBusy() || now - lastActivityAt < config.idleAfterMs;
  }

  tick(now = performance.now()) {
    if (!this.running) return;
    if (!document.hidden) {
      const activeUntil = this.isBusy() ? now : lastActivityAt + config.idleAfterMs;
      this.elapsedMs += Math.max(0, Math.min(now, activeUntil) - this.lastTick);
    }
    this.lastTick = now;
  }

  // After the tab comes back, the hidden stretch is not counted.
  resync() {
    this.lastTick = performance.now();
  }

  get seconds() {
    return Math.round(this.elapsedMs / 10) / 100;
  }
}
