import type { Policies } from './namespace-policies.js';

export type BacklogQuotaPolicy = 'producer_request_hold' | 'producer_exception' | 'consumer_backlog_eviction';

/** Pulsar's BacklogQuota: limits below 0 mean none. */
export interface BacklogQuota {
  readonly limitBytes: number;
  readonly limitTimeSeconds: number;
  readonly policy: BacklogQuotaPolicy;
}

/**
 * The policies a topic acts on, after the namespace's values override the broker's
 * (Pulsar's HierarchyTopicPolicies: topic level is not supported here).
 */
export interface TopicPolicies {
  readonly deduplicationEnabled: boolean;
  /** 0: messages never expire (ttlDurationDefaultInSeconds). */
  readonly messageTtlSeconds: number;
  /** RetentionPolicies: 0 keeps nothing acknowledged, -1 keeps forever. */
  readonly retentionTimeMinutes: number;
  readonly retentionSizeMB: number;
  readonly backlogQuota: BacklogQuota;
}

/** Broker-level defaults as Pulsar's standalone.conf sets them. */
export const STANDALONE_TOPIC_POLICIES: TopicPolicies = {
  deduplicationEnabled: false,
  messageTtlSeconds: 0,
  retentionTimeMinutes: 0,
  retentionSizeMB: 0,
  // backlogQuotaDefaultLimitGB=10, backlogQuotaDefaultLimitSecond=-1, backlogQuotaDefaultRetentionPolicy=producer_request_hold.
  backlogQuota: { limitBytes: 10 * 1024 ** 3, limitTimeSeconds: -1, policy: 'producer_request_hold' },
};

const QUOTA_POLICIES: readonly BacklogQuotaPolicy[] = ['producer_request_hold', 'producer_exception', 'consumer_backlog_eviction'];

/**
 * Overlays a namespace's Policies (field names as Pulsar stores them) on the broker's defaults. Each
 * field that is absent or null falls back to the broker value, as in Pulsar.
 */
export function topicPoliciesFrom(defaults: TopicPolicies, policies: Policies | undefined): TopicPolicies {
  if (!policies) return defaults;
  const dedup = policies.deduplicationEnabled;
  const ttl = policies.message_ttl_in_seconds;
  const retention = policies.retention_policies as { retentionTimeInMinutes?: unknown; retentionSizeInMB?: unknown } | undefined;
  return {
    deduplicationEnabled: typeof dedup === 'boolean' ? dedup : defaults.deduplicationEnabled,
    messageTtlSeconds: typeof ttl === 'number' ? ttl : defaults.messageTtlSeconds,
    retentionTimeMinutes: numberOr(retention?.retentionTimeInMinutes, defaults.retentionTimeMinutes),
    retentionSizeMB: numberOr(retention?.retentionSizeInMB, defaults.retentionSizeMB),
    backlogQuota: backlogQuotaFrom(defaults.backlogQuota, policies.backlog_quota_map),
  };
}

/** backlog_quota_map: `destination_storage` carries the size limit, `message_age` the time limit (Pulsar ≥ 2.9). */
function backlogQuotaFrom(defaults: BacklogQuota, map: unknown): BacklogQuota {
  if (typeof map !== 'object' || map === null) return defaults;
  const byType = map as Record<string, { limitSize?: unknown; limit?: unknown; limitTime?: unknown; policy?: unknown } | undefined>;
  const size = byType.destination_storage;
  const age = byType.message_age;
  const policy = [size?.policy, age?.policy].find((p): p is BacklogQuotaPolicy => QUOTA_POLICIES.includes(p as BacklogQuotaPolicy));
  return {
    limitBytes: size ? numberOr(size.limitSize ?? size.limit, defaults.limitBytes) : defaults.limitBytes,
    limitTimeSeconds: age ? numberOr(age.limitTime, defaults.limitTimeSeconds) : numberOr(size?.limitTime, defaults.limitTimeSeconds),
    policy: policy ?? defaults.policy,
  };
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
