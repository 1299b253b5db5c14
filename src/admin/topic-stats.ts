import type { Ledger } from '../storage/types.js';
import type { Consumer } from '../subscription/consumer.js';
import { KeySharedMode } from '../subscription/key-shared-meta.js';
import type { Subscription } from '../subscription/subscription.js';
import type { ProducerHandle } from '../topic/producer.js';
import type { Topic } from '../topic/topic.js';

/**
 * TopicStats as Pulsar's GET …/stats shows it (TopicStatsImpl, PublisherStatsImpl, SubscriptionStatsImpl,
 * ConsumerStatsImpl), for the figures Vela keeps. Vela measures no rates: every rate and throughput is 0.
 * msgBacklog counts entries, as Pulsar's does (ManagedCursor.getNumberOfEntriesInBacklog).
 */
export type Stats = Record<string, unknown>;

const SUB_TYPE_NAMES = ['Exclusive', 'Shared', 'Failover', 'Key_Shared'];
/** backlogQuotaDefaultLimitGB=10. */
export const BACKLOG_QUOTA_LIMIT_BYTES = 10 * 1024 ** 3;

/** Figures of features Vela does not have (transactions, offload, compaction, system topics): always zero. */
const ABSENT_FEATURE_TOPIC_FIELDS = {
  systemTopicBytesInCounter: 0, bytesOutInternalCounter: 0, lastOffloadLedgerId: 0, lastOffloadSuccessTimeStamp: 0,
  lastOffloadFailureTimeStamp: 0, ongoingTxnCount: 0, abortedTxnCount: 0, committedTxnCount: 0,
  compaction: {
    lastCompactionRemovedEventCount: 0, lastCompactionSucceedTimestamp: 0, lastCompactionFailedTimestamp: 0,
    lastCompactionDurationTimeInMills: 0,
  },
};
/** Entry filters and dispatch throttling do not exist here: their counters stay zero. */
const ABSENT_FEATURE_SUBSCRIPTION_FIELDS = {
  filterProcessedMsgCount: 0, filterAcceptedMsgCount: 0, filterRejectedMsgCount: 0, filterRescheduledMsgCount: 0,
  dispatchThrottledMsgEventsBySubscriptionLimit: 0, dispatchThrottledBytesEventsBySubscriptionLimit: 0,
  dispatchThrottledMsgEventsByTopicLimit: 0, dispatchThrottledBytesEventsByTopicLimit: 0,
  dispatchThrottledMsgEventsByBrokerLimit: 0, dispatchThrottledBytesEventsByBrokerLimit: 0,
};

/** Pulsar prints Java's InetSocketAddress: "/ip:port". */
const javaAddress = (address: string | undefined) => (address ? `/${address}` : undefined);

/** Bytes of `entries` entries at the ledger's average entry size (Pulsar estimates backlog bytes too). */
function estimateBytes(ledger: Ledger, entries: number): number {
  const stored = ledger.segments().reduce((n, s) => n + s.entryCount, 0);
  return stored === 0 ? 0 : Math.round((entries * ledger.sizeBytes()) / stored);
}

function publisherStats(producer: ProducerHandle): Stats {
  return {
    accessMode: 'Shared', msgRateIn: 0, msgThroughputIn: 0, averageMsgSize: 0, chunkedMessageRate: 0,
    producerId: producer.producerId, supportsPartialProducer: false, producerName: producer.name,
    address: javaAddress(producer.address), connectedSince: producer.connectedSince?.toISOString(),
    clientVersion: producer.clientVersion || undefined, metadata: {},
  };
}

function consumerStats(consumer: Consumer): Stats {
  return {
    msgRateOut: 0, msgThroughputOut: 0, bytesOutCounter: consumer.bytesOutCounter, msgOutCounter: consumer.msgOutCounter,
    msgRateRedeliver: 0, messageAckRate: 0, chunkedMessageRate: 0, consumerName: consumer.name,
    availablePermits: Math.max(0, consumer.permits), unackedMessages: consumer.unackedMessages,
    blockedConsumerOnUnackedMsgs: consumer.blocked, address: javaAddress(consumer.sender.remoteAddress),
    connectedSince: consumer.connectedSince.toISOString(), metadata: {},
  };
}

function subscriptionStats(subscription: Subscription, ledger: Ledger): Stats {
  const consumers = subscription.consumers();
  const backlog = subscription.cursor.backlogEntries();
  const delayed = subscription.delayedMessages;
  const type = subscription.subType === undefined ? 'None' : SUB_TYPE_NAMES[subscription.subType];
  const meta = consumers[0]?.keySharedMeta;
  return {
    msgRateOut: 0, msgThroughputOut: 0,
    bytesOutCounter: consumers.reduce((n, c) => n + c.bytesOutCounter, 0),
    msgOutCounter: consumers.reduce((n, c) => n + c.msgOutCounter, 0),
    msgRateRedeliver: 0, messageAckRate: 0, chunkedMessageRate: 0,
    msgBacklog: backlog, backlogSize: estimateBytes(ledger, backlog), msgBacklogNoDelayed: Math.max(0, backlog - delayed),
    blockedSubscriptionOnUnackedMsgs: subscription.blockedOnUnackedMessages, msgDelayed: delayed,
    unackedMessages: consumers.reduce((n, c) => n + c.unackedMessages, 0),
    type, msgRateExpired: 0, totalMsgExpired: subscription.msgExpiredCounter,
    consumers: consumers.map(consumerStats),
    isDurable: subscription.durable, isReplicated: false,
    allowOutOfOrderDelivery: meta?.allowOutOfOrderDelivery ?? false,
    ...(type === 'Key_Shared' ? { keySharedMode: meta?.mode === KeySharedMode.STICKY ? 'STICKY' : 'AUTO_SPLIT' } : {}),
    consumersAfterMarkDeletePosition: {}, subscriptionProperties: {},
    ...ABSENT_FEATURE_SUBSCRIPTION_FIELDS,
    durable: subscription.durable, replicated: false,
  };
}

/** PersistentTopic.getStats for one (non-partitioned or partition) topic. */
export function topicStats(topic: Topic, ownerBroker: string): Stats {
  const subscriptions: Record<string, Stats> = {};
  let msgOutCounter = 0;
  let bytesOutCounter = 0;
  let backlogSize = 0;
  for (const [name, subscription] of topic.subscriptions) {
    const stats = subscriptionStats(subscription, topic.ledger);
    subscriptions[name] = stats;
    msgOutCounter += stats.msgOutCounter as number;
    bytesOutCounter += stats.bytesOutCounter as number;
    // The topic's backlog is the slowest subscription's (ManagedLedger.getEstimatedBacklogSize).
    if (subscription.durable) backlogSize = Math.max(backlogSize, stats.backlogSize as number);
  }
  return {
    msgRateIn: 0, msgThroughputIn: 0, msgRateOut: 0, msgThroughputOut: 0,
    bytesInCounter: topic.bytesInCounter, msgInCounter: topic.msgInCounter, bytesOutCounter, msgOutCounter,
    averageMsgSize: 0, msgChunkPublished: false, storageSize: topic.ledger.sizeBytes(), backlogSize,
    backlogQuotaLimitSize: topic.policies.backlogQuota.limitBytes, backlogQuotaLimitTime: topic.policies.backlogQuota.limitTimeSeconds,
    oldestBacklogMessageAgeSeconds: -1,
    publishRateLimitedTimes: 0, offloadedStorageSize: 0,
    publishers: [...topic.producers.values()].map(publisherStats), waitingPublishers: 0,
    subscriptions, replication: {}, deduplicationStatus: topic.deduplication?.enabled ? 'Enabled' : 'Disabled',
    ...ABSENT_FEATURE_TOPIC_FIELDS, ownerBroker,
  };
}
