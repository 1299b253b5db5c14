import type { AckSetWord } from './ack-set-wire.js';
import { encodePayloadFrameHeader, encodeSimpleFrame } from './frame.js';
import { encodeMessageHeader } from './message-header.js';
import { BaseCommandType, UINT64_MINUS_ONE } from './proto.js';
import { encodeSendReceipt } from './send-receipt.js';
import {
  CommandType,
  type BaseCommand,
  type FeatureFlags,
  type MessageIdData,
  type ServerErrorCode,
  type WireSchema,
} from './wire-types.js';

export class CommandDecodeError extends Error {
  constructor(cause: unknown) {
    super(`malformed command: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'CommandDecodeError';
  }
}

/** Decodes a BaseCommand; throws CommandDecodeError on bad protobuf or a missing required field. */
export function decodeCommand(bytes: Buffer): BaseCommand {
  try {
    return BaseCommandType.decode(bytes) as unknown as BaseCommand;
  } catch (error) {
    throw new CommandDecodeError(error);
  }
}

function frame(type: number, field: string, body: object): Buffer {
  return encodeSimpleFrame(BaseCommandType.encode({ type, [field]: body }).finish());
}

/** Request id -1 (2^64-1 on the wire): what Pulsar sends for broker-initiated commands. */
export const BROKER_REQUEST_ID = UINT64_MINUS_ONE;

export function newConnected(serverVersion: string, protocolVersion: number, maxMessageSizeBytes: number,
  featureFlags: FeatureFlags): Buffer {
  return frame(CommandType.CONNECTED, 'connected', {
    server_version: serverVersion,
    protocol_version: protocolVersion,
    max_message_size: maxMessageSizeBytes,
    feature_flags: featureFlags,
  });
}

export const PING_FRAME = frame(CommandType.PING, 'ping', {});
export const PONG_FRAME = frame(CommandType.PONG, 'pong', {});

export function newSuccess(requestId: number): Buffer {
  return frame(CommandType.SUCCESS, 'success', { request_id: requestId });
}

/** ERROR: every field is required and Pulsar sends an empty message rather than none. */
export function newError(requestId: number, error: ServerErrorCode, message: string): Buffer {
  return frame(CommandType.ERROR, 'error', { request_id: requestId, error, message });
}

/** `schemaVersion`: empty without a schema (SchemaVersion.Empty), else the 8-byte LongSchemaVersion. */
export function newProducerSuccess(requestId: number, producerName: string, lastSequenceId: number | bigint,
  schemaVersion: Uint8Array = new Uint8Array(0)): Buffer {
  return frame(CommandType.PRODUCER_SUCCESS, 'producer_success', {
    request_id: requestId,
    producer_name: producerName,
    last_sequence_id: lastSequenceId,
    schema_version: schemaVersion,
    producer_ready: true,
  });
}

export function newSendReceipt(producerId: number, sequenceId: number | bigint, highestSequenceId: number | bigint,
  ledgerId: number, entryId: number): Buffer {
  if (producerId >= 0 && sequenceId >= 0 && highestSequenceId >= 0 && ledgerId >= 0 && entryId >= 0) {
    return encodeSendReceipt(producerId, sequenceId, highestSequenceId, ledgerId, entryId);
  }
  return frame(CommandType.SEND_RECEIPT, 'send_receipt', {
    producer_id: producerId,
    sequence_id: sequenceId,
    highest_sequence_id: highestSequenceId,
    message_id: { ledgerId, entryId },
  });
}

export function newSendError(producerId: number, sequenceId: number | bigint, error: ServerErrorCode, message: string): Buffer {
  return frame(CommandType.SEND_ERROR, 'send_error', {
    producer_id: producerId, sequence_id: sequenceId, error, message,
  });
}

/** Header of a MESSAGE frame; the stored entry ([0x0e01][crc][metadata][payload]) follows unchanged. */
export function newMessageHeader(consumerId: number, messageId: MessageIdData, redeliveryCount: number,
  entryBytes: number, ackSet?: readonly AckSetWord[]): Buffer {
  return encodeMessageHeader({
    consumerId, ledgerId: messageId.ledgerId, entryId: messageId.entryId, partition: messageId.partition ?? -1,
    redeliveryCount, ...(ackSet ? { ackSet } : {}),
  }, entryBytes);
}

export function newPartitionedMetadataResponse(requestId: number, partitions: number): Buffer {
  return frame(CommandType.PARTITIONED_METADATA_RESPONSE, 'partitionMetadataResponse', {
    request_id: requestId, partitions, response: 0,
  });
}

export function newPartitionedMetadataError(requestId: number, error: ServerErrorCode, message: string): Buffer {
  return frame(CommandType.PARTITIONED_METADATA_RESPONSE, 'partitionMetadataResponse', {
    request_id: requestId, response: 1, error, message,
  });
}

export function newLookupConnect(requestId: number, brokerServiceUrl: string): Buffer {
  return frame(CommandType.LOOKUP_RESPONSE, 'lookupTopicResponse', {
    request_id: requestId,
    brokerServiceUrl,
    response: 1,
    authoritative: true,
    proxy_through_service_url: false,
  });
}

export function newLookupError(requestId: number, error: ServerErrorCode, message: string): Buffer {
  return frame(CommandType.LOOKUP_RESPONSE, 'lookupTopicResponse', {
    request_id: requestId, response: 2, error, message,
  });
}

export function newCloseProducer(producerId: number): Buffer {
  return frame(CommandType.CLOSE_PRODUCER, 'close_producer', { producer_id: producerId, request_id: BROKER_REQUEST_ID });
}

export function newCloseConsumer(consumerId: number): Buffer {
  return frame(CommandType.CLOSE_CONSUMER, 'close_consumer', { consumer_id: consumerId, request_id: BROKER_REQUEST_ID });
}

export function newReachedEndOfTopic(consumerId: number): Buffer {
  return frame(CommandType.REACHED_END_OF_TOPIC, 'reachedEndOfTopic', { consumer_id: consumerId });
}

export function newActiveConsumerChange(consumerId: number, isActive: boolean): Buffer {
  return frame(CommandType.ACTIVE_CONSUMER_CHANGE, 'active_consumer_change', { consumer_id: consumerId, is_active: isActive });
}

/** ACK_RESPONSE: on success no error and no message (Go treats any message as a failure). */
export function newAckResponse(consumerId: number, requestId: number, error?: ServerErrorCode, message?: string): Buffer {
  const body: Record<string, unknown> = { consumer_id: consumerId, request_id: requestId };
  if (error !== undefined) {
    body.error = error;
    body.message = message || 'ack failed';
  }
  return frame(CommandType.ACK_RESPONSE, 'ackResponse', body);
}

export function newGetLastMessageIdResponse(requestId: number, lastMessageId: MessageIdData,
  markDeletePosition: MessageIdData | undefined): Buffer {
  const body: Record<string, unknown> = { request_id: requestId, last_message_id: lastMessageId };
  if (markDeletePosition) body.consumer_mark_delete_position = markDeletePosition;
  return frame(CommandType.GET_LAST_MESSAGE_ID_RESPONSE, 'getLastMessageIdResponse', body);
}

export function newGetTopicsOfNamespaceResponse(requestId: number, topics: string[], topicsHash: string,
  filtered = false, changed = true): Buffer {
  return frame(CommandType.GET_TOPICS_OF_NAMESPACE_RESPONSE, 'getTopicsOfNamespaceResponse', {
    request_id: requestId, topics, filtered, topics_hash: topicsHash, changed,
  });
}

export function newWatchTopicListSuccess(requestId: number, watcherId: number, topics: string[], topicsHash: string): Buffer {
  return frame(CommandType.WATCH_TOPIC_LIST_SUCCESS, 'watchTopicListSuccess', {
    request_id: requestId, watcher_id: watcherId, topic: topics, topics_hash: topicsHash,
  });
}

export function newWatchTopicUpdate(watcherId: number, newTopics: string[], deletedTopics: string[], topicsHash: string): Buffer {
  return frame(CommandType.WATCH_TOPIC_UPDATE, 'watchTopicUpdate', {
    watcher_id: watcherId, new_topics: newTopics, deleted_topics: deletedTopics, topics_hash: topicsHash,
  });
}

export function newGetSchemaError(requestId: number, error: ServerErrorCode, message: string): Buffer {
  return frame(CommandType.GET_SCHEMA_RESPONSE, 'getSchemaResponse', {
    request_id: requestId, error_code: error, error_message: message,
  });
}

export function newConsumerStatsResponse(requestId: number, stats: Record<string, unknown>): Buffer {
  return frame(CommandType.CONSUMER_STATS_RESPONSE, 'consumerStatsResponse', { request_id: requestId, ...stats });
}

export function newConsumerStatsError(requestId: number, error: ServerErrorCode, message: string): Buffer {
  return frame(CommandType.CONSUMER_STATS_RESPONSE, 'consumerStatsResponse', {
    request_id: requestId, error_code: error, error_message: message,
  });
}

export function newGetSchemaResponse(requestId: number, schema: WireSchema, schemaVersion: Uint8Array): Buffer {
  return frame(CommandType.GET_SCHEMA_RESPONSE, 'getSchemaResponse', {
    request_id: requestId, schema, schema_version: schemaVersion,
  });
}

export function newGetOrCreateSchemaResponse(requestId: number, error?: ServerErrorCode, message?: string,
  schemaVersion: Uint8Array = new Uint8Array(0)): Buffer {
  const body: Record<string, unknown> = { request_id: requestId };
  if (error === undefined) body.schema_version = schemaVersion;
  else Object.assign(body, { error_code: error, error_message: message || 'schema refused' });
  return frame(CommandType.GET_OR_CREATE_SCHEMA_RESPONSE, 'getOrCreateSchemaResponse', body);
}
