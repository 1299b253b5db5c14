import { BrokerError } from '../../errors.js';
import {
  newAckResponse, newConsumerStatsError, newConsumerStatsResponse, newGetLastMessageIdResponse, newSuccess,
} from '../../protocol/commands.js';
import { ServerError, SubType, type BaseCommand, type MessageIdData } from '../../protocol/wire-types.js';
import type { Position } from '../../storage/types.js';
import { keySharedMetaFromWire } from '../../subscription/key-shared-meta.js';
import { Subscription } from '../../subscription/subscription.js';
import { parseTopicName } from '../../topic/topic-name.js';
import { Topic } from '../../topic/topic.js';
import type { BoundTopic, ConsumerBinding, PersistentBinding } from '../bindings.js';
import type { Connection } from '../connection.js';
import { toServerError } from '../error-codes.js';
import { checkSubscriberSchema } from './schema.js';

const SUBSCRIPTION_TYPE_NAMES = ['Exclusive', 'Shared', 'Failover', 'Key_Shared'];

/** SUBSCRIBE → SUCCESS or ERROR (ServerCnx.handleSubscribe, PersistentTopic.internalSubscribe). */
export async function handleSubscribe(conn: Connection, cmd: BaseCommand): Promise<void> {
  const request = cmd.subscribe!;
  try {
    if (conn.consumers.has(request.consumer_id)) {
      conn.write(newSuccess(request.request_id));
      return;
    }
    if (!request.subscription) throw new BrokerError('ProducerBusy', 'Empty subscription name');
    if (request.read_compacted && request.subType !== SubType.Exclusive && request.subType !== SubType.Failover) {
      throw new BrokerError('NotAllowedError', 'readCompacted only allowed on failover or exclusive subscriptions');
    }
    const topicName = parseTopicName(request.topic);
    const { registry } = conn.ctx;
    if (await registry.isPartitioned(topicName)) {
      throw new BrokerError('NotAllowedError', `Found partitioned metadata for non-partitioned topic ${topicName.full}`);
    }
    const topic = await registry.getAnyTopic(topicName, request.force_topic_creation !== false);
    await checkSubscriberSchema(conn, topic, request.schema);
    const { subscription, consumer } = await topic.subscribe({
      subscription: request.subscription,
      subType: request.subType,
      consumerId: request.consumer_id,
      consumerName: request.consumer_name ?? '',
      priorityLevel: request.priority_level ?? 0,
      durable: request.durable !== false,
      initialPosition: request.initialPosition ?? 0,
      startMessageId: request.start_message_id,
      sender: conn,
      keySharedMeta: request.subType === SubType.Key_Shared ? keySharedMetaFromWire(request.keySharedMeta) : undefined,
      readCompacted: request.read_compacted === true,
    });
    if (!conn.isOpen) {
      await (topic as BoundTopic).unsubscribeConsumer(subscription, consumer);
      return;
    }
    conn.consumers.set(request.consumer_id, { topic, subscription, consumer });
    conn.write(newSuccess(request.request_id));
    conn.consumerRegistered(request.consumer_id);
  } catch (error) {
    conn.consumerRegistered(request.consumer_id);
    conn.sendError(request.request_id, error);
  }
}

/** FLOW: permits are additive and count messages (a batch counts as its size). */
export function handleFlow(conn: Connection, cmd: BaseCommand): void {
  const flow = cmd.flow!;
  const binding = conn.consumers.get(flow.consumer_id);
  if (binding) binding.subscription.flow(binding.consumer, flow.messagePermits);
}

/**
 * ACK (individual or cumulative). With request_id the broker answers ACK_RESPONSE once the cursor
 * is persisted, or with the error when the ack fails; an ACK for an unknown consumer is dropped
 * silently (ServerCnx.handleAck).
 */
export async function handleAck(conn: Connection, cmd: BaseCommand): Promise<void> {
  const ack = cmd.ack!;
  const binding = conn.consumers.get(ack.consumer_id);
  if (!binding) return;
  // Optional fields without a value read as their proto default, so presence is tested explicitly.
  const wantsReceipt = Object.prototype.hasOwnProperty.call(ack, 'request_id');
  try {
    if (Object.prototype.hasOwnProperty.call(ack, 'txnid_most_bits')) {
      // Transactions are not enabled here (Consumer.individualAckWithTransaction without a coordinator).
      throw new BrokerError('NotAllowedError', "Server don't support transaction ack!");
    }
    const ids = (ack.message_id ?? []).filter(isEntryId);
    binding.subscription.ack(binding.consumer, ack.ack_type, ids.map(toPosition), ids.map((id) => id.ack_set));
    binding.topic.scheduleTrim();
    if (wantsReceipt) await binding.subscription.flushForReceipt();
  } catch (error) {
    if (!wantsReceipt) return;
    const { code, message } = toServerError(error);
    conn.write(newAckResponse(ack.consumer_id, ack.request_id!, code, message));
    return;
  }
  if (wantsReceipt) conn.write(newAckResponse(ack.consumer_id, ack.request_id!));
}

/** REDELIVER_UNACKNOWLEDGED_MESSAGES: ids are honoured only in individual-ack modes, Shared and Key_Shared (ServerCnx). */
export function handleRedeliver(conn: Connection, cmd: BaseCommand): void {
  const request = cmd.redeliverUnacknowledgedMessages!;
  const binding = conn.consumers.get(request.consumer_id);
  if (!binding) return;
  const ids = (request.message_ids ?? []).filter(isEntryId);
  const subType = binding.consumer.subType;
  const individual = (subType === SubType.Shared || subType === SubType.Key_Shared) && ids.length > 0;
  binding.subscription.redeliver(binding.consumer, individual ? ids.map(toPosition) : undefined);
}

/** UNSUBSCRIBE → SUCCESS, or ERROR MetadataError when other consumers are attached. */
export async function handleUnsubscribe(conn: Connection, cmd: BaseCommand): Promise<void> {
  const request = cmd.unsubscribe!;
  const binding = conn.consumers.get(request.consumer_id);
  if (!binding) {
    conn.sendError(request.request_id, new BrokerError('MetadataError', 'Consumer not found'));
    return;
  }
  try {
    await binding.topic.deleteSubscription(binding.subscription, request.force ? undefined : binding.consumer);
    if (request.force) {
      for (const consumer of [...binding.subscription.consumers()]) consumer.sender.sendCloseConsumer(consumer.id);
    }
    conn.consumers.delete(request.consumer_id);
    conn.write(newSuccess(request.request_id));
  } catch (error) {
    conn.sendError(request.request_id, error);
  }
}

/** CLOSE_CONSUMER → SUCCESS after the consumer's acks are persisted; unknown ids succeed too. */
export async function handleCloseConsumer(conn: Connection, cmd: BaseCommand): Promise<void> {
  const request = cmd.close_consumer!;
  const binding = conn.consumers.get(request.consumer_id);
  if (binding) {
    conn.consumers.delete(request.consumer_id);
    await binding.topic.unsubscribeConsumer(binding.subscription, binding.consumer);
  }
  conn.write(newSuccess(request.request_id));
}

/** SEEK by message id or publish time: consumers are disconnected, the cursor reset, then SUCCESS. */
export async function handleSeek(conn: Connection, cmd: BaseCommand): Promise<void> {
  const seek = cmd.seek!;
  const binding = conn.consumers.get(seek.consumer_id);
  if (!binding) {
    conn.sendError(seek.request_id, new BrokerError('MetadataError', 'Consumer not found'));
    return;
  }
  const hasTime = Object.prototype.hasOwnProperty.call(seek, 'message_publish_time');
  if (!seek.message_id && !hasTime) {
    conn.sendError(seek.request_id, new BrokerError('MetadataError', 'Message id and message publish time were not present'));
    return;
  }
  const persistent = persistentOf(binding);
  if (!persistent) {
    // A non-persistent subscription has no cursor to move (NonPersistentSubscription.resetCursor is a no-op).
    conn.write(newSuccess(seek.request_id));
    return;
  }
  try {
    const { topic } = persistent;
    const target = seek.message_id
      ? seekTarget(seek.message_id, topic.ledger.firstPosition(), topic.ledger.nextPosition())
      : await topic.positionForPublishTime(seek.message_publish_time!);
    await persistent.subscription.resetCursor(target);
    conn.write(newSuccess(seek.request_id));
  } catch (error) {
    conn.sendError(seek.request_id, new BrokerError('UnknownError', `Reset subscription failed: ${(error as Error).message}`));
  }
}

/** Earliest/latest sentinels map to the ledger's ends; any other id is the next entry delivered. */
function seekTarget(id: MessageIdData, first: Position, next: Position): Position {
  if (id.ledgerId >= 1.8e19) return first;
  if (id.ledgerId >= 9.2e18 || !isEntryId(id)) return next;
  return toPosition(id);
}

/** GET_LAST_MESSAGE_ID → last entry id with its last batch index, plus the mark-delete position. */
export async function handleGetLastMessageId(conn: Connection, cmd: BaseCommand): Promise<void> {
  const request = cmd.getLastMessageId!;
  const binding = conn.consumers.get(request.consumer_id);
  if (!binding) {
    conn.sendError(request.request_id, new BrokerError('MetadataError', 'Consumer not found'));
    return;
  }
  const persistent = persistentOf(binding);
  if (!persistent) {
    conn.sendError(request.request_id, new BrokerError('NotAllowedError', 'GetLastMessageId is not supported on non-persistent topics'));
    return;
  }
  const partition = persistent.topic.topicName.partitionIndex;
  const last = await persistent.topic.lastMessageId();
  const lastId = last
    ? { ledgerId: last.ledgerId, entryId: last.entryId, partition, batch_index: last.batchIndex }
    : { ledgerId: -1, entryId: -1, partition, batch_index: -1 };
  const markDelete = persistent.subscription.cursor.markDelete;
  const markDeleteId = markDelete.ledgerId >= 0 && markDelete.entryId >= 0
    ? { ledgerId: markDelete.ledgerId, entryId: markDelete.entryId, partition }
    : undefined;
  conn.write(newGetLastMessageIdResponse(request.request_id, wireId(lastId), markDeleteId));
}

/** CONSUMER_STATS → the consumer's figures (CPP getBrokerConsumerStats). */
export function handleConsumerStats(conn: Connection, cmd: BaseCommand): void {
  const request = cmd.consumerStats!;
  const binding = conn.consumers.get(request.consumer_id);
  if (!binding) {
    conn.write(newConsumerStatsError(request.request_id, ServerError.ConsumerNotFound, 'Consumer not found'));
    return;
  }
  const { consumer, subscription } = binding;
  conn.write(newConsumerStatsResponse(request.request_id, {
    msgRateOut: 0, msgThroughputOut: 0, msgRateRedeliver: 0,
    consumerName: consumer.name,
    availablePermits: Math.max(0, consumer.permits),
    unackedMessages: consumer.unackedMessages,
    blockedConsumerOnUnackedMsgs: consumer.blocked,
    address: consumer.sender.remoteAddress,
    connectedSince: consumer.connectedSince.toISOString(),
    type: SUBSCRIPTION_TYPE_NAMES[consumer.subType] ?? 'Exclusive',
    msgRateExpired: 0,
    msgBacklog: subscription instanceof Subscription ? subscription.cursor.backlogEntries() : 0,
  }));
}

/** The cursor-owning side of a binding; undefined on a non-persistent topic. */
function persistentOf(binding: ConsumerBinding): PersistentBinding | undefined {
  const { topic, subscription } = binding;
  return topic instanceof Topic && subscription instanceof Subscription ? { topic, subscription } : undefined;
}

/** Ids of real entries are small numbers; sentinels and garbage decode as BigInts (wide-integers.ts) and match nothing. */
function isEntryId(id: MessageIdData): boolean {
  return typeof id.ledgerId === 'number' && typeof id.entryId === 'number' && id.ledgerId >= 0 && id.entryId >= 0;
}

function toPosition(id: MessageIdData): Position {
  return { ledgerId: id.ledgerId, entryId: id.entryId };
}

/** -1 ids are uint64 on the wire: encode them as 2^64-1. */
function wireId(id: MessageIdData): MessageIdData {
  if (id.ledgerId >= 0) return id;
  const minusOne = { low: -1, high: -1, unsigned: true } as unknown as number;
  return { ...id, ledgerId: minusOne, entryId: minusOne };
}
