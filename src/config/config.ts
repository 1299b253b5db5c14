import { DEFAULT_MAX_MESSAGE_SIZE_BYTES } from '../protocol/frame.js';

/** Broker settings. Defaults follow Pulsar's standalone.conf where Pulsar has the setting. */
export interface BrokerConfig {
  /** Binary protocol port (brokerServicePort=6650); 0 picks a free port. */
  port: number;
  /** Admin/lookup HTTP port (webServicePort=8080); 0 picks a free port. */
  httpPort: number;
  /** Interface to listen on. Loopback by default: a dev broker should not be reachable from the network unasked. */
  bindAddress: string;
  /** Host clients are told to connect to in lookups (Pulsar standalone's advertisedAddress=localhost). */
  advertisedAddress: string;
  dataDir: string;
  /** 'memory' keeps everything in memory (tests, embedding); 'file' is the durable default. */
  storage: 'file' | 'memory';
  /** maxMessageSize=5 MiB. */
  maxMessageSizeBytes: number;
  /** keepAliveIntervalSeconds=30. */
  keepAliveIntervalMs: number;
  clusterName: string;
  /** allowAutoTopicCreation=true. */
  allowAutoTopicCreation: boolean;
  /** allowAutoTopicCreationType=non-partitioned. */
  allowAutoTopicCreationType: 'non-partitioned' | 'partitioned';
  /** defaultNumPartitions=1: partitions of an auto-created partitioned topic. */
  defaultNumPartitions: number;
  /** allowAutoSubscriptionCreation=true. */
  allowAutoSubscriptionCreation: boolean;
  /** activeConsumerFailoverDelayTimeMillis=1000. */
  activeConsumerFailoverDelayMs: number;
  /** dispatcherMaxReadBatchSize=100 entries per read. */
  dispatcherMaxReadBatchSize: number;
  /** maxPendingPublishRequestsPerConnection=1000: stop reading a socket past this many unanswered SENDs. */
  maxPendingPublishRequestsPerConnection: number;
  /** How long acks without a receipt request may wait before their cursor is persisted. */
  cursorFlushIntervalMs: number;
  logLevel: LogLevel;
  /** acknowledgmentAtBatchIndexLevelEnabled: honour ack_set (true here, as the issue asks; false in Pulsar 4.0). */
  acknowledgmentAtBatchIndexLevelEnabled: boolean;
  /** delayedDeliveryEnabled=true. */
  delayedDeliveryEnabled: boolean;
  /** delayedDeliveryTickTimeMillis=1000. */
  delayedDeliveryTickTimeMillis: number;
  /** Delayed entries a subscription keeps in memory; later ones wait in the on-disk index (Vela only). */
  delayedDeliveryMaxIndexesInMemory: number;
  /** brokerDeduplicationEnabled=false. */
  brokerDeduplicationEnabled: boolean;
  /** brokerDeduplicationEntriesInterval=1000. */
  brokerDeduplicationEntriesInterval: number;
  /** brokerDeduplicationMaxNumberOfProducers=10000. */
  brokerDeduplicationMaxNumberOfProducers: number;
  /** brokerDeduplicationSnapshotIntervalSeconds=120. */
  brokerDeduplicationSnapshotIntervalSeconds: number;
  /** brokerDeduplicationProducerInactivityTimeoutMinutes=360. */
  brokerDeduplicationProducerInactivityTimeoutMinutes: number;
  /** maxUnackedMessagesPerConsumer=50000 (Shared/Key_Shared; 0 = no limit). */
  maxUnackedMessagesPerConsumer: number;
  /** maxUnackedMessagesPerSubscription=200000 (Shared/Key_Shared; 0 = no limit). */
  maxUnackedMessagesPerSubscription: number;
  /** defaultRetentionTimeInMinutes=0 (-1: forever). */
  defaultRetentionTimeInMinutes: number;
  /** defaultRetentionSizeInMB=0 (-1: no limit). */
  defaultRetentionSizeInMB: number;
  /** ttlDurationDefaultInSeconds=0 (messages never expire). */
  ttlDurationDefaultInSeconds: number;
  /** messageExpiryCheckIntervalInMinutes=5. */
  messageExpiryCheckIntervalInMinutes: number;
  /** retentionCheckIntervalInSeconds=120. */
  retentionCheckIntervalInSeconds: number;
  /** standalone.conf backlogQuotaDefaultLimitGB=10, in bytes (-1: no limit). */
  backlogQuotaDefaultLimitBytes: number;
  /** backlogQuotaDefaultLimitSecond=-1. */
  backlogQuotaDefaultLimitSecond: number;
  /** backlogQuotaDefaultRetentionPolicy=producer_request_hold. */
  backlogQuotaDefaultRetentionPolicy: 'producer_request_hold' | 'producer_exception' | 'consumer_backlog_eviction';
  /** backlogQuotaCheckIntervalInSeconds=60. */
  backlogQuotaCheckIntervalInSeconds: number;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export const defaultConfig: Readonly<BrokerConfig> = {
  port: 6650,
  httpPort: 8080,
  bindAddress: '127.0.0.1',
  advertisedAddress: 'localhost',
  dataDir: './data',
  storage: 'file',
  maxMessageSizeBytes: DEFAULT_MAX_MESSAGE_SIZE_BYTES,
  keepAliveIntervalMs: 30_000,
  clusterName: 'standalone',
  allowAutoTopicCreation: true,
  allowAutoTopicCreationType: 'non-partitioned',
  defaultNumPartitions: 1,
  allowAutoSubscriptionCreation: true,
  activeConsumerFailoverDelayMs: 1000,
  dispatcherMaxReadBatchSize: 100,
  maxPendingPublishRequestsPerConnection: 1000,
  cursorFlushIntervalMs: 100,
  logLevel: 'info',
  acknowledgmentAtBatchIndexLevelEnabled: true,
  delayedDeliveryEnabled: true,
  delayedDeliveryTickTimeMillis: 1000,
  delayedDeliveryMaxIndexesInMemory: 50_000,
  brokerDeduplicationEnabled: false,
  brokerDeduplicationEntriesInterval: 1000,
  brokerDeduplicationMaxNumberOfProducers: 10_000,
  brokerDeduplicationSnapshotIntervalSeconds: 120,
  brokerDeduplicationProducerInactivityTimeoutMinutes: 360,
  maxUnackedMessagesPerConsumer: 50_000,
  maxUnackedMessagesPerSubscription: 200_000,
  defaultRetentionTimeInMinutes: 0,
  defaultRetentionSizeInMB: 0,
  ttlDurationDefaultInSeconds: 0,
  messageExpiryCheckIntervalInMinutes: 5,
  retentionCheckIntervalInSeconds: 120,
  backlogQuotaDefaultLimitBytes: 10 * 1024 ** 3,
  backlogQuotaDefaultLimitSecond: -1,
  backlogQuotaDefaultRetentionPolicy: 'producer_request_hold',
  backlogQuotaCheckIntervalInSeconds: 60,
};
