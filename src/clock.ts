/**
 * Time as domain code sees it: wall-clock milliseconds and timers. The broker passes systemClock;
 * tests pass a ManualClock (test-support/manual-clock.ts) to make timing deterministic.
 */
export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
  /** Runs `callback` once after at least `delayMs`; the timer never keeps the process alive. */
  schedule(callback: () => void, delayMs: number): TimerHandle;
}

export interface TimerHandle {
  cancel(): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(callback, delayMs) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};
