import { systemClock, type Clock } from '../clock.js';
import type { BrokerConfig } from '../config/config.js';
import type { AutoTopicCreationDefaults } from './partitions.js';
import type { TopicSettings } from './topic.js';
import type { TopicPolicies } from './topic-policies.js';

/** The broker configuration as topics and subscriptions use it. */
export function topicSettingsFromConfig(config: BrokerConfig, clock: Clock = systemClock): TopicSettings & AutoTopicCreationDefaults {
  return {
    readBatchSize: config.dispatcherMaxReadBatchSize,
    failoverDelayMs: config.activeConsumerFailoverDelayMs,
    cursorFlushIntervalMs: config.cursorFlushIntervalMs,
    maxUnackedMessagesPerConsumer: config.maxUnackedMessagesPerConsumer,
    maxUnackedMessagesPerSubscription: config.maxUnackedMessagesPerSubscription,
    allowAutoSubscriptionCreation: config.allowAutoSubscriptionCreation,
    allowAutoTopicCreation: config.allowAutoTopicCreation,
    allowAutoTopicCreationType: config.allowAutoTopicCreationType,
    defaultNumPartitions: config.defaultNumPartitions,
    clock,
    batchIndexAck: config.acknowledgmentAtBatchIndexLevelEnabled,
    delayedDelivery: {
      enabled: config.delayedDeliveryEnabled,
      tickMs: config.delayedDeliveryTickTimeMillis,
      maxInMemory: config.delayedDeliveryMaxIndexesInMemory,
    },
    deduplication: {
      entriesInterval: config.brokerDeduplicationEntriesInterval,
      maxProducers: config.brokerDeduplicationMaxNumberOfProducers,
      snapshotIntervalMs: config.brokerDeduplicationSnapshotIntervalSeconds * 1000,
      producerInactivityMs: config.brokerDeduplicationProducerInactivityTimeoutMinutes * 60_000,
    },
    defaultPolicies: defaultPoliciesFromConfig(config),
  };
}

export function defaultPoliciesFromConfig(config: BrokerConfig): TopicPolicies {
  return {
    deduplicationEnabled: config.brokerDeduplicationEnabled,
    messageTtlSeconds: config.ttlDurationDefaultInSeconds,
    retentionTimeMinutes: config.defaultRetentionTimeInMinutes,
    retentionSizeMB: config.defaultRetentionSizeInMB,
    backlogQuota: {
      limitBytes: config.backlogQuotaDefaultLimitBytes,
      limitTimeSeconds: config.backlogQuotaDefaultLimitSecond,
      policy: config.backlogQuotaDefaultRetentionPolicy,
    },
  };
}
