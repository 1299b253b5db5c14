import type { BrokerError } from '../errors.js';
import type { Position } from '../storage/types.js';
import { isBefore, previousOf } from '../subscription/positions.js';
import { estimatedBacklogBytes, exceededLimit, publishTimeAt, quotaError, type BacklogState } from './backlog-quota.js';
import { retentionTrimPosition, segmentTimeReader } from './retention.js';
import type { Topic } from './topic.js';

const segmentTimes = new WeakMap<Topic, ReturnType<typeof segmentTimeReader>>();

/**
 * Where to trim: segments before the returned position are needed by no durable subscription, not by
 * deduplication's recovery, and not by retention. Undefined: keep everything.
 */
export async function trimPosition(topic: Topic): Promise<Position | undefined> {
  const { ledger } = topic;
  // Without any durable subscription nothing is retained by the cursors (only retention keeps data then).
  let consumedUpTo = topic.slowestFirstUnacked() ?? ledger.nextPosition();
  const dedup = topic.deduplication?.retainFrom();
  if (dedup && isBefore(dedup, consumedUpTo)) consumedUpTo = dedup;
  let reader = segmentTimes.get(topic);
  if (!reader) segmentTimes.set(topic, (reader = segmentTimeReader(ledger)));
  const { retentionTimeMinutes, retentionSizeMB } = topic.policies;
  return retentionTrimPosition(ledger, consumedUpTo, { timeMinutes: retentionTimeMinutes, sizeMB: retentionSizeMB },
    topic.clock.now(), reader);
}

/**
 * The slowest durable subscription's backlog: its size in bytes and (when `withAge`, which costs a read) its
 * oldest message's publish time.
 */
export async function backlogState(topic: Topic, withAge = true): Promise<BacklogState> {
  const slowest = topic.slowestFirstUnacked();
  if (!slowest || !topic.ledger.lastPosition() || isBefore(topic.ledger.lastPosition()!, slowest)) {
    return { sizeBytes: 0, oldestUnackedMs: undefined };
  }
  const oldestUnackedMs = withAge ? await publishTimeAt(topic.ledger, slowest) : undefined;
  return { sizeBytes: estimatedBacklogBytes(topic.ledger, slowest), oldestUnackedMs };
}

/** The error a new producer gets while the topic is over its backlog quota, if it is. */
export async function backlogQuotaError(topic: Topic): Promise<BrokerError | undefined> {
  const quota = topic.policies.backlogQuota;
  if (quota.limitBytes < 0 && quota.limitTimeSeconds < 0) return undefined;
  const limit = exceededLimit(quota, await backlogState(topic, quota.limitTimeSeconds >= 0), topic.clock.now());
  return limit ? quotaError(quota, limit) : undefined;
}

/**
 * The periodic backlog quota check (BacklogQuotaManager.handleExceededBacklogQuota): producers are
 * disconnected under producer_request_hold and producer_exception (they meet the error when they come
 * back); consumer_backlog_eviction moves the slowest subscriptions forward instead.
 */
export async function enforceBacklogQuota(topic: Topic): Promise<void> {
  const quota = topic.policies.backlogQuota;
  if (quota.limitBytes < 0 && quota.limitTimeSeconds < 0) return;
  const limit = exceededLimit(quota, await backlogState(topic, quota.limitTimeSeconds >= 0), topic.clock.now());
  if (!limit) return;
  if (quota.policy !== 'consumer_backlog_eviction') {
    for (const producer of [...topic.producers.values()]) producer.close();
    return;
  }
  if (limit === 'time') {
    await expireOlderThan(topic, topic.clock.now() - quota.limitTimeSeconds * 1000);
  } else {
    evictToSize(topic, Math.floor(quota.limitBytes * 0.9));
  }
}

/** Message TTL (PersistentMessageExpiryMonitor): every subscription skips messages published before now - TTL. */
export async function expireMessages(topic: Topic): Promise<number> {
  const ttlSeconds = topic.policies.messageTtlSeconds;
  if (ttlSeconds <= 0) return 0;
  return expireOlderThan(topic, topic.clock.now() - ttlSeconds * 1000);
}

async function expireOlderThan(topic: Topic, cutoffMs: number): Promise<number> {
  if (!topic.ledger.lastPosition()) return 0;
  // Publish times grow with positions, so the first entry not expired is found by binary search.
  const firstAlive = await topic.positionForPublishTime(cutoffMs);
  const expiredUpTo = previousOf(firstAlive);
  let expired = 0;
  for (const subscription of topic.subscriptions.values()) expired += subscription.expireUpTo(expiredUpTo);
  if (expired > 0) topic.scheduleTrim();
  return expired;
}

/** consumer_backlog_eviction by size: subscriptions whose backlog is over `targetBytes` skip their oldest entries. */
function evictToSize(topic: Topic, targetBytes: number): void {
  const { ledger } = topic;
  for (const subscription of topic.subscriptions.values()) {
    if (!subscription.durable) continue;
    const from = subscription.cursor.firstUnacked();
    if (estimatedBacklogBytes(ledger, from) <= targetBytes) continue;
    const last = ledger.lastPosition();
    if (!last) continue;
    let low = 0;
    let high = ledger.countEntries(previousOf(from), last);
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if (estimatedBacklogBytes(ledger, ledger.positionAfter(previousOf(from), mid + 1)) <= targetBytes) high = mid;
      else low = mid + 1;
    }
    subscription.expireUpTo(previousOf(ledger.positionAfter(previousOf(from), low + 1)));
  }
  topic.scheduleTrim();
}
