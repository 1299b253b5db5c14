import { readEntryMetadata } from '../protocol/peek.js';
import type { Ledger, Position, SegmentInfo } from '../storage/types.js';
import { isBefore } from '../subscription/positions.js';

const MB = 1024 * 1024;

export interface RetentionLimits {
  /** retentionTimeInMinutes: -1 keeps acknowledged data forever by age. */
  readonly timeMinutes: number;
  /** retentionSizeInMB: -1 keeps acknowledged data forever by size. */
  readonly sizeMB: number;
}

/**
 * Where trimming may cut, given that everything before `consumedUpTo` is acknowledged by every durable
 * subscription (ManagedLedgerImpl.internalTrimLedgers): a fully consumed segment goes once it is older
 * than the retention time or the topic is over the retention size; with both limits at -1 nothing goes.
 * Segment age is the publish time of its last entry (Pulsar uses the ledger's close time).
 */
export async function retentionTrimPosition(ledger: Ledger, consumedUpTo: Position, limits: RetentionLimits, nowMs: number,
  segmentTime: (segment: SegmentInfo) => Promise<number | undefined>): Promise<Position | undefined> {
  if (limits.timeMinutes < 0 && limits.sizeMB < 0) return undefined;
  const segments = ledger.segments();
  const totalBytes = ledger.sizeBytes();
  let deletedBytes = 0;
  let keepFrom: Position | undefined;
  for (const segment of segments.slice(0, -1)) {
    const last = { ledgerId: segment.ledgerId, entryId: segment.entryCount - 1 };
    if (segment.entryCount === 0) continue;
    if (!isBefore(last, consumedUpTo)) break;
    const time = await segmentTime(segment);
    const expired = limits.timeMinutes >= 0 && time !== undefined && nowMs - time > limits.timeMinutes * 60_000;
    const overSize = limits.sizeMB >= 0 && totalBytes - deletedBytes > limits.sizeMB * MB;
    if (!expired && !overSize) break;
    deletedBytes += segment.sizeBytes;
    keepFrom = { ledgerId: segment.ledgerId, entryId: segment.entryCount };
  }
  return keepFrom;
}

/** The publish time of a segment's last entry, cached per segment (sealed segments never change). */
export function segmentTimeReader(ledger: Ledger): (segment: SegmentInfo) => Promise<number | undefined> {
  const cache = new Map<number, number>();
  return async (segment) => {
    const cached = cache.get(segment.ledgerId);
    if (cached !== undefined) return cached;
    const [entry] = await ledger.read({ ledgerId: segment.ledgerId, entryId: segment.entryCount - 1 }, 1);
    if (!entry || entry.position.ledgerId !== segment.ledgerId) return undefined;
    let time: number | undefined;
    try {
      time = readEntryMetadata(entry.data).publish_time;
    } catch {
      time = undefined;
    }
    if (time !== undefined) {
      if (cache.size > 10_000) cache.clear();
      cache.set(segment.ledgerId, time);
    }
    return time;
  };
}
