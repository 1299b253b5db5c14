import { CommandType, type BaseCommand } from '../../protocol/wire-types.js';
import type { Connection } from '../connection.js';
import {
  handleAck, handleCloseConsumer, handleConsumerStats, handleFlow, handleGetLastMessageId, handleRedeliver,
  handleSeek, handleSubscribe, handleUnsubscribe,
} from './consumer.js';
import { handleGetTopicsOfNamespace, handleLookup, handlePartitionedMetadata } from './lookup.js';
import { handleCloseProducer, handleProducer, handleSend } from './producer.js';
import { handleGetOrCreateSchema, handleGetSchema } from './schema.js';
import { handleWatchTopicList, handleWatchTopicListClose } from './topic-list-watch.js';

export type CommandHandler = (conn: Connection, command: BaseCommand, payload: Buffer | undefined) => void | Promise<void>;

/** The one table from command type to handler; a type missing here closes the connection. */
export const commandHandlers: Partial<Record<number, CommandHandler>> = {
  [CommandType.PARTITIONED_METADATA]: handlePartitionedMetadata,
  [CommandType.LOOKUP]: handleLookup,
  [CommandType.GET_TOPICS_OF_NAMESPACE]: handleGetTopicsOfNamespace,
  [CommandType.WATCH_TOPIC_LIST]: handleWatchTopicList,
  [CommandType.WATCH_TOPIC_LIST_CLOSE]: handleWatchTopicListClose,
  [CommandType.PRODUCER]: handleProducer,
  [CommandType.SEND]: handleSend,
  [CommandType.CLOSE_PRODUCER]: handleCloseProducer,
  [CommandType.SUBSCRIBE]: handleSubscribe,
  [CommandType.FLOW]: handleFlow,
  [CommandType.ACK]: handleAck,
  [CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES]: handleRedeliver,
  [CommandType.UNSUBSCRIBE]: handleUnsubscribe,
  [CommandType.CLOSE_CONSUMER]: handleCloseConsumer,
  [CommandType.SEEK]: handleSeek,
  [CommandType.GET_LAST_MESSAGE_ID]: handleGetLastMessageId,
  [CommandType.CONSUMER_STATS]: handleConsumerStats,
  [CommandType.GET_SCHEMA]: handleGetSchema,
  [CommandType.GET_OR_CREATE_SCHEMA]: handleGetOrCreateSchema,
  // Authentication is disabled: a late AUTH_RESPONSE has nothing to answer.
  [CommandType.AUTH_RESPONSE]: () => undefined,
};
