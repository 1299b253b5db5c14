/**
 * Position arithmetic over a ledger's segments. Segment `s` stores the entries (s.ledgerId, 0..entryCount-1);
 * segments are sorted by ledgerId, so positions between segments are gaps that hold no entry.
 */
import { StorageError } from './errors.js';
import { comparePositions, type Position } from './types.js';

export interface SegmentCounts {
  readonly ledgerId: number;
  readonly entryCount: number;
}

/** Index of the first segment whose ledgerId >= ledgerId (segments.length when none). */
export function firstSegmentAtOrAfter(segments: readonly SegmentCounts[], ledgerId: number): number {
  let low = 0;
  let high = segments.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (segments[mid]!.ledgerId < ledgerId) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** First entry id of `segment` that is >= position (may equal entryCount: nothing left in it). */
export function firstEntryAtOrAfter(segment: SegmentCounts, position: Position): number {
  if (segment.ledgerId > position.ledgerId) return 0;
  return Math.max(0, position.entryId);
}

/** Number of stored entries e with fromExclusive < e <= toInclusive. */
export function countEntriesBetween(
  segments: readonly SegmentCounts[],
  fromExclusive: Position,
  toInclusive: Position,
): number {
  if (comparePositions(toInclusive, fromExclusive) <= 0) return 0;
  let total = 0;
  for (let i = firstSegmentAtOrAfter(segments, fromExclusive.ledgerId); i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.ledgerId > toInclusive.ledgerId) break;
    const low = segment.ledgerId === fromExclusive.ledgerId ? Math.max(0, fromExclusive.entryId + 1) : 0;
    const high =
      segment.ledgerId === toInclusive.ledgerId
        ? Math.min(segment.entryCount - 1, toInclusive.entryId)
        : segment.entryCount - 1;
    if (high >= low) total += high - low + 1;
  }
  return total;
}

/** The n-th stored entry after `from` (n = 0: `from` itself), clamped to `next`. */
export function positionAfterEntries(
  segments: readonly SegmentCounts[],
  from: Position,
  n: number,
  next: Position,
): Position {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new StorageError('INVALID_ARGUMENT', `positionAfter needs n >= 0, got ${n}`);
  }
  if (n === 0) return comparePositions(from, next) < 0 ? from : next;
  let remaining = n;
  for (let i = firstSegmentAtOrAfter(segments, from.ledgerId); i < segments.length; i++) {
    const segment = segments[i]!;
    const start = segment.ledgerId === from.ledgerId ? Math.max(0, from.entryId + 1) : 0;
    const available = segment.entryCount - start;
    if (available <= 0) continue;
    if (remaining <= available) return { ledgerId: segment.ledgerId, entryId: start + remaining - 1 };
    remaining -= available;
  }
  return next;
}

export function lastEntryOf(segment: SegmentCounts): Position | null {
  return segment.entryCount > 0 ? { ledgerId: segment.ledgerId, entryId: segment.entryCount - 1 } : null;
}

export function maxPosition(a: Position | null, b: Position | null): Position | null {
  if (a === null) return b;
  if (b === null) return a;
  return comparePositions(a, b) >= 0 ? a : b;
}

export function isPosition(value: unknown): value is Position {
  if (typeof value !== 'object' || value === null) return false;
  const { ledgerId, entryId } = value as Record<string, unknown>;
  return Number.isSafeInteger(ledgerId) && Number.isSafeInteger(entryId);
}

export function requirePosition(name: string, value: unknown): asserts value is Position {
  if (!isPosition(value)) throw new StorageError('INVALID_ARGUMENT', `${name} is not a position`);
}
