import { BrokerError } from '../errors.js';
import { readEntryMetadata } from '../protocol/peek.js';
import type { Ledger, Position } from '../storage/types.js';
import { isBefore } from '../subscription/positions.js';
import type { BacklogQuota } from './topic-policies.js';

/**
 * Bytes stored from `firstUnacked` on (ManagedLedgerImpl.getEstimatedBacklogSize): later segments in full,
 * the segment holding `firstUnacked` in proportion to its entries left.
 */
export function estimatedBacklogBytes(ledger: Ledger, firstUnacked: Position): number {
  let bytes = 0;
  for (const segment of ledger.segments()) {
    if (segment.entryCount === 0) continue;
    const last = { ledgerId: segment.ledgerId, entryId: segment.entryCount - 1 };
    if (isBefore(last, firstUnacked)) continue;
    if (segment.ledgerId === firstUnacked.ledgerId && firstUnacked.entryId > 0) {
      bytes += Math.round(segment.sizeBytes * (segment.entryCount - firstUnacked.entryId) / segment.entryCount);
    } else {
      bytes += segment.sizeBytes;
    }
  }
  return bytes;
}

/** Publish time of the entry at `position`, if it exists and can be read. */
export async function publishTimeAt(ledger: Ledger, position: Position): Promise<number | undefined> {
  const [entry] = await ledger.read(position, 1);
  if (!entry) return undefined;
  try {
    return readEntryMetadata(entry.data).publish_time;
  } catch {
    return undefined;
  }
}

export interface BacklogState {
  readonly sizeBytes: number;
  /** Publish time of the oldest unacknowledged entry of the slowest durable subscription. */
  readonly oldestUnackedMs: number | undefined;
}

/** Which limit the backlog is over, if any (PersistentTopic.isSizeBacklogExceeded / isTimeBacklogExceeded). */
export function exceededLimit(quota: BacklogQuota, state: BacklogState, nowMs: number): 'size' | 'time' | undefined {
  if (quota.limitBytes >= 0 && state.sizeBytes >= quota.limitBytes && state.sizeBytes > 0) return 'size';
  if (quota.limitTimeSeconds >= 0 && state.oldestUnackedMs !== undefined && nowMs - state.oldestUnackedMs >= quota.limitTimeSeconds * 1000) {
    return 'time';
  }
  return undefined;
}

/**
 * The error a new producer gets while the backlog is over quota (TopicBacklogQuotaExceededException):
 * producer_request_hold → ProducerBlockedQuotaExceededError, producer_exception → …Exception.
 * consumer_backlog_eviction never refuses producers.
 */
export function quotaError(quota: BacklogQuota, limit: 'size' | 'time'): BrokerError | undefined {
  if (quota.policy === 'consumer_backlog_eviction') return undefined;
  const code = quota.policy === 'producer_request_hold' ? 'ProducerBlockedQuotaExceededError' : 'ProducerBlockedQuotaExceededException';
  return new BrokerError(code, `Cannot create producer on topic with backlog quota exceeded (${limit})`);
}
