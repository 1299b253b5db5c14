import type { Clock, TimerHandle } from '../clock.js';

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/** A clock that only moves when told to; due timers run in time order during advance(). */
export class ManualClock implements Clock {
  private timers: Pending[] = [];
  private seq = 0;

  constructor(private current = 1_000_000) {}

  now(): number {
    return this.current;
  }

  schedule(callback: () => void, delayMs: number): TimerHandle {
    const pending: Pending = { at: this.current + Math.max(0, delayMs), seq: this.seq++, callback, cancelled: false };
    this.timers.push(pending);
    return { cancel: () => { pending.cancelled = true; } };
  }

  /** Moves time forward by `ms`, running every timer that falls due, each at its own time. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.current = Math.max(this.current, due.at);
      due.callback();
    }
    this.current = target;
  }

  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
