import { BrokerError } from '../errors.js';
import type { StickyKeySelector } from './consistent-hash-selector.js';
import type { HashRange } from './key-shared-meta.js';
import { rangeSlotOf } from './sticky-key.js';

interface OwnedRange<C> extends HashRange {
  readonly consumer: C;
}

/**
 * STICKY (Pulsar HashRangeExclusiveStickyKeyConsumerSelector): each consumer declares inclusive slot
 * ranges that must not overlap anyone's; a slot no range covers has no consumer, and its messages
 * wait until a covering consumer connects.
 */
export class HashRangeSelector<C> implements StickyKeySelector<C> {
  /** Ranges of all consumers, ascending by start, disjoint. */
  private ranges: Array<OwnedRange<C>> = [];

  constructor(
    private readonly rangesOf: (consumer: C) => readonly HashRange[],
    private readonly describe: (consumer: C) => string,
  ) {}

  slotOf(key: Uint8Array): number {
    return rangeSlotOf(key);
  }

  addConsumer(consumer: C): void {
    const ranges = this.rangesOf(consumer);
    validateStickyRanges(ranges);
    const conflict = this.findConflict(ranges);
    if (conflict !== undefined) throw new BrokerError('ConsumerAssignError', `Range conflict with consumer ${this.describe(conflict)}`);
    for (const range of ranges) this.ranges.push({ start: range.start, end: range.end, consumer });
    this.ranges.sort((a, b) => a.start - b.start);
  }

  removeConsumer(consumer: C): void {
    this.ranges = this.ranges.filter((r) => r.consumer !== consumer);
  }

  select(slot: number): C | undefined {
    let low = 0;
    let high = this.ranges.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const range = this.ranges[mid]!;
      if (slot < range.start) high = mid - 1;
      else if (slot > range.end) low = mid + 1;
      else return range.consumer;
    }
    return undefined;
  }

  /** A connected consumer one of whose ranges overlaps `ranges`. */
  findConflict(ranges: readonly HashRange[]): C | undefined {
    for (const wanted of ranges) {
      const owner = this.ranges.find((r) => overlaps(r, wanted));
      if (owner) return owner.consumer;
    }
    return undefined;
  }
}

/**
 * The checks Pulsar makes before looking at other consumers, with its messages
 * (HashRangeExclusiveStickyKeyConsumerSelector.validateKeySharedMeta); errors are ConsumerAssignError.
 */
export function validateStickyRanges(ranges: readonly HashRange[]): void {
  if (ranges.length === 0) throw new BrokerError('ConsumerAssignError', 'Ranges for KeyShared policy must not be empty.');
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  sorted.forEach((current, i) => {
    if (current.start > current.end) {
      throw new BrokerError('ConsumerAssignError', `Fixed hash range start > end for range: [${current.start},${current.end}]`);
    }
    const next = sorted[i + 1];
    if (next && overlaps(current, next)) {
      throw new BrokerError('ConsumerAssignError', `Consumer's own ranges conflict: [${current.start},${current.end}] `
        + `overlaps with [${next.start},${next.end}]`);
    }
  });
}

function overlaps(a: HashRange, b: HashRange): boolean {
  return Math.max(a.start, b.start) <= Math.min(a.end, b.end);
}
