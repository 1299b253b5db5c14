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
  allowAutoSubscriptionCreation: true,
  activeConsumerFailoverDelayMs: 1000,
  dispatcherMaxReadBatchSize: 100,
  maxPendingPublishRequestsPerConnection: 1000,
  cursorFlushIntervalMs: 100,
  logLevel: 'info',
};
