import { BACKLOG_QUOTA_LIMIT_BYTES, type Stats } from './topic-stats.js';

const TOPIC_SUMS = [
  'msgRateIn', 'msgThroughputIn', 'msgRateOut', 'msgThroughputOut', 'bytesInCounter', 'msgInCounter',
  'bytesOutCounter', 'msgOutCounter', 'storageSize', 'backlogSize', 'offloadedStorageSize', 'publishRateLimitedTimes',
];
const PUBLISHER_SUMS = ['msgRateIn', 'msgThroughputIn', 'chunkedMessageRate'];
const SUBSCRIPTION_SUMS = [
  'msgRateOut', 'msgThroughputOut', 'bytesOutCounter', 'msgOutCounter', 'msgRateRedeliver', 'messageAckRate',
  'chunkedMessageRate', 'msgBacklog', 'backlogSize', 'msgBacklogNoDelayed', 'msgDelayed', 'unackedMessages',
  'msgRateExpired', 'totalMsgExpired',
];
const CONSUMER_SUMS = [
  'msgRateOut', 'msgThroughputOut', 'bytesOutCounter', 'msgOutCounter', 'msgRateRedeliver', 'messageAckRate',
  'chunkedMessageRate', 'availablePermits', 'unackedMessages',
];

function addNumbers(into: Stats, from: Stats, keys: readonly string[]): void {
  for (const key of keys) into[key] = ((into[key] as number | undefined) ?? 0) + ((from[key] as number | undefined) ?? 0);
}

/**
 * Lists merged position by position, as PartitionedTopicStatsImpl.add does: the i-th producer (or
 * consumer) of every partition is taken to be the same partitioned client.
 */
function mergeByIndex(into: Stats[], from: readonly Stats[], keys: readonly string[]): void {
  from.forEach((item, i) => {
    const existing = into[i];
    if (existing) addNumbers(existing, item, keys);
    else into.push({ ...item });
  });
}

function mergeSubscription(into: Stats | undefined, from: Stats): Stats {
  if (!into) return { ...from, consumers: (from.consumers as Stats[]).map((c) => ({ ...c })) };
  addNumbers(into, from, SUBSCRIPTION_SUMS);
  mergeByIndex(into.consumers as Stats[], from.consumers as Stats[], CONSUMER_SUMS);
  return into;
}

/**
 * GET …/partitioned-stats (PersistentTopicsBase.internalGetPartitionedStats): the partitions' stats
 * summed, subscriptions merged by name, plus `metadata` and, when `perPartition`, each partition's stats.
 */
export function partitionedStats(partitions: number, byPartition: ReadonlyMap<string, Stats>, perPartition: boolean): Stats {
  const total: Stats = Object.fromEntries(TOPIC_SUMS.map((key) => [key, 0]));
  const publishers: Stats[] = [];
  const subscriptions: Record<string, Stats> = {};
  for (const stats of byPartition.values()) {
    addNumbers(total, stats, TOPIC_SUMS);
    mergeByIndex(publishers, stats.publishers as Stats[], PUBLISHER_SUMS);
    for (const [name, sub] of Object.entries(stats.subscriptions as Record<string, Stats>)) {
      subscriptions[name] = mergeSubscription(subscriptions[name], sub);
    }
  }
  return {
    ...total,
    averageMsgSize: 0, msgChunkPublished: false,
    backlogQuotaLimitSize: BACKLOG_QUOTA_LIMIT_BYTES,
    backlogQuotaLimitTime: -1, oldestBacklogMessageAgeSeconds: 0,
    publishers, waitingPublishers: 0, subscriptions, replication: {},
    metadata: { partitions, deleted: false },
    partitions: perPartition ? Object.fromEntries(byPartition) : {},
  };
}
