/**
 * TypeScript shapes of the PulsarApi.proto messages Vela reads or writes (field names as in the proto).
 * 64-bit ids are plain numbers (see proto.ts). Only the fields Vela uses are typed.
 */

export const CommandType = {
  CONNECT: 2, CONNECTED: 3, SUBSCRIBE: 4, PRODUCER: 5, SEND: 6, SEND_RECEIPT: 7, SEND_ERROR: 8,
  MESSAGE: 9, ACK: 10, FLOW: 11, UNSUBSCRIBE: 12, SUCCESS: 13, ERROR: 14, CLOSE_PRODUCER: 15,
  CLOSE_CONSUMER: 16, PRODUCER_SUCCESS: 17, PING: 18, PONG: 19, REDELIVER_UNACKNOWLEDGED_MESSAGES: 20,
  PARTITIONED_METADATA: 21, PARTITIONED_METADATA_RESPONSE: 22, LOOKUP: 23, LOOKUP_RESPONSE: 24,
  CONSUMER_STATS: 25, CONSUMER_STATS_RESPONSE: 26, REACHED_END_OF_TOPIC: 27, SEEK: 28,
  GET_LAST_MESSAGE_ID: 29, GET_LAST_MESSAGE_ID_RESPONSE: 30, ACTIVE_CONSUMER_CHANGE: 31,
  GET_TOPICS_OF_NAMESPACE: 32, GET_TOPICS_OF_NAMESPACE_RESPONSE: 33, GET_SCHEMA: 34,
  GET_SCHEMA_RESPONSE: 35, AUTH_CHALLENGE: 36, AUTH_RESPONSE: 37, ACK_RESPONSE: 38,
  GET_OR_CREATE_SCHEMA: 39, GET_OR_CREATE_SCHEMA_RESPONSE: 40,
  WATCH_TOPIC_LIST: 64, WATCH_TOPIC_LIST_SUCCESS: 65, WATCH_TOPIC_UPDATE: 66, WATCH_TOPIC_LIST_CLOSE: 67,
} as const;

export const ServerError = {
  UnknownError: 0, MetadataError: 1, PersistenceError: 2, AuthenticationError: 3,
  AuthorizationError: 4, ConsumerBusy: 5, ServiceNotReady: 6, ProducerBlockedQuotaExceededError: 7,
  ProducerBlockedQuotaExceededException: 8, ChecksumError: 9, UnsupportedVersionError: 10,
  TopicNotFound: 11, SubscriptionNotFound: 12, ConsumerNotFound: 13, TooManyRequests: 14,
  TopicTerminatedError: 15, ProducerBusy: 16, InvalidTopicName: 17, IncompatibleSchema: 18,
  ConsumerAssignError: 19, NotAllowedError: 22, ProducerFenced: 25,
} as const;
export type ServerErrorCode = (typeof ServerError)[keyof typeof ServerError];

export const SubType = { Exclusive: 0, Shared: 1, Failover: 2, Key_Shared: 3 } as const;
export type SubTypeCode = (typeof SubType)[keyof typeof SubType];
export const InitialPosition = { Latest: 0, Earliest: 1 } as const;
export const AckType = { Individual: 0, Cumulative: 1 } as const;

import type { AckSetWord } from './ack-set-wire.js';

/** Highest protocol version Vela speaks (Pulsar 4.0's ProtocolVersion.v21). */
export const MAX_PROTOCOL_VERSION = 21;

export interface MessageIdData {
  ledgerId: number;
  entryId: number;
  partition?: number;
  batch_index?: number;
  /** Decoded exactly (ack-set-wire.ts); encoded from {low, high} words too. */
  ack_set?: AckSetWord[];
  batch_size?: number;
}

export interface KeyValue { key: string; value: string }

/** PulsarApi.proto Schema (type is Schema.Type). */
export interface WireSchema { name: string; schema_data: Uint8Array; type: number; properties?: KeyValue[] }

export interface FeatureFlags {
  supports_auth_refresh?: boolean;
  supports_broker_entry_metadata?: boolean;
  supports_partial_producer?: boolean;
  supports_topic_watchers?: boolean;
  supports_get_partitioned_metadata_without_auto_creation?: boolean;
  supports_repl_dedup_by_lid_and_eid?: boolean;
  supports_topic_watcher_reconcile?: boolean;
}

export interface CommandConnect {
  client_version: string;
  protocol_version?: number;
  auth_method_name?: string;
  auth_data?: Uint8Array;
  proxy_to_broker_url?: string;
  feature_flags?: FeatureFlags;
}

export interface CommandSubscribe {
  topic: string;
  subscription: string;
  subType: SubTypeCode;
  consumer_id: number;
  request_id: number;
  consumer_name?: string;
  priority_level?: number;
  durable?: boolean;
  start_message_id?: MessageIdData;
  metadata?: KeyValue[];
  read_compacted?: boolean;
  initialPosition?: number;
  force_topic_creation?: boolean;
  start_message_rollback_duration_sec?: number;
  keySharedMeta?: unknown;
  schema?: WireSchema;
  subscription_properties?: KeyValue[];
  consumer_epoch?: number;
}

export interface CommandProducer {
  topic: string;
  producer_id: number;
  request_id: number;
  producer_name?: string;
  encrypted?: boolean;
  metadata?: KeyValue[];
  epoch?: number;
  user_provided_producer_name?: boolean;
  producer_access_mode?: number;
  topic_epoch?: number;
  txn_enabled?: boolean;
  initial_subscription_name?: string;
  schema?: WireSchema;
}

export interface CommandSend {
  producer_id: number;
  sequence_id: number;
  num_messages?: number;
  highest_sequence_id?: number;
  is_chunk?: boolean;
  marker?: boolean;
  txnid_least_bits?: number;
  txnid_most_bits?: number;
}

export interface CommandAck {
  consumer_id: number;
  ack_type: number;
  message_id: MessageIdData[];
  validation_error?: number;
  request_id?: number;
  txnid_least_bits?: number;
  txnid_most_bits?: number;
}

export interface CommandFlow { consumer_id: number; messagePermits: number }
export interface CommandUnsubscribe { consumer_id: number; request_id: number; force?: boolean }
export interface CommandSeek {
  consumer_id: number;
  request_id: number;
  message_id?: MessageIdData;
  message_publish_time?: number;
}
export interface CommandCloseProducer { producer_id: number; request_id: number }
export interface CommandCloseConsumer { consumer_id: number; request_id: number }
export interface CommandRedeliverUnacknowledgedMessages {
  consumer_id: number;
  message_ids?: MessageIdData[];
  consumer_epoch?: number;
}
export interface CommandPartitionedTopicMetadata {
  topic: string;
  request_id: number;
  metadata_auto_creation_enabled?: boolean;
}
export interface CommandLookupTopic { topic: string; request_id: number; authoritative?: boolean }
export interface CommandGetLastMessageId { consumer_id: number; request_id: number }
export interface CommandConsumerStats { request_id: number; consumer_id: number }
export interface CommandGetTopicsOfNamespace {
  request_id: number;
  namespace: string;
  mode?: number;
  topics_pattern?: string;
  topics_hash?: string;
}
export interface CommandWatchTopicList {
  request_id: number;
  watcher_id: number;
  namespace: string;
  topics_pattern: string;
  topics_hash?: string;
}
export interface CommandWatchTopicListClose { request_id: number; watcher_id: number }
export interface CommandGetSchema { request_id: number; topic: string; schema_version?: Uint8Array }
export interface CommandGetOrCreateSchema { request_id: number; topic: string; schema: WireSchema; producerName?: string }

/** A decoded BaseCommand: `type` plus the one sub-message it names. */
export interface BaseCommand {
  type: number;
  connect?: CommandConnect;
  subscribe?: CommandSubscribe;
  producer?: CommandProducer;
  send?: CommandSend;
  ack?: CommandAck;
  flow?: CommandFlow;
  unsubscribe?: CommandUnsubscribe;
  close_producer?: CommandCloseProducer;
  close_consumer?: CommandCloseConsumer;
  redeliverUnacknowledgedMessages?: CommandRedeliverUnacknowledgedMessages;
  partitionMetadata?: CommandPartitionedTopicMetadata;
  lookupTopic?: CommandLookupTopic;
  seek?: CommandSeek;
  getLastMessageId?: CommandGetLastMessageId;
  consumerStats?: CommandConsumerStats;
  getTopicsOfNamespace?: CommandGetTopicsOfNamespace;
  getSchema?: CommandGetSchema;
  getOrCreateSchema?: CommandGetOrCreateSchema;
  watchTopicList?: CommandWatchTopicList;
  watchTopicListClose?: CommandWatchTopicListClose;
  [field: string]: unknown;
}

/** The fields of MessageMetadata the broker reads (never re-encodes) from stored entries. */
export interface MessageMetadata {
  producer_name: string;
  sequence_id: number;
  publish_time: number;
  partition_key?: string;
  ordering_key?: Uint8Array;
  num_messages_in_batch?: number;
  deliver_at_time?: number;
  event_time?: number;
  marker_type?: number;
  chunk_id?: number;
  num_chunks_from_msg?: number;
  highest_sequence_id?: number;
}
