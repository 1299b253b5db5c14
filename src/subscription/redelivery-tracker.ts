import type { Position } from '../storage/types.js';
import { isBefore, positionFromKey } from './positions.js';

/**
 * Redelivery count per entry of a Shared or Key_Shared subscription, by position key, in memory only
 * (Pulsar's InMemoryRedeliveryTracker). The count is per entry, so every message of a batch shares it.
 * An entry leaves the tracker when it is acknowledged; only entries that came back are in it, so its
 * size is bounded by the subscription's unacknowledged entries.
 */
export class RedeliveryTracker {
  private readonly counts = new Map<number, number>();

  get size(): number {
    return this.counts.size;
  }

  countOf(key: number): number {
    return this.counts.get(key) ?? 0;
  }

  /** The entry is delivered again: REDELIVER_UNACKNOWLEDGED_MESSAGES, or its consumer left (see callers). */
  increment(key: number): number {
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return count;
  }

  remove(key: number): void {
    this.counts.delete(key);
  }

  /** Forgets entries at or before `markDelete` (acknowledged in bulk: cumulative ack, expiry, seek). */
  removeUpTo(markDelete: Position): void {
    for (const key of this.counts.keys()) {
      if (!isBefore(markDelete, positionFromKey(key))) this.counts.delete(key);
    }
  }

  clear(): void {
    this.counts.clear();
  }
}
