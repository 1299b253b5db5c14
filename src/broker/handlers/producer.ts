import { BrokerError } from '../../errors.js';
import { newCloseProducer, newProducerSuccess, newSendError, newSendReceipt, newSuccess } from '../../protocol/commands.js';
import { EntryFormatError, readSendPayload } from '../../protocol/peek.js';
import { ServerError, type BaseCommand } from '../../protocol/wire-types.js';
import type { PublishOrigin } from '../../topic/topic.js';
import { parseTopicName } from '../../topic/topic-name.js';
import type { ProducerBinding } from '../bindings.js';
import type { Connection } from '../connection.js';
import { producerSchemaVersion } from './schema.js';

/** The schema version each open producer was answered with, for a retried PRODUCER. */
const schemaVersions = new WeakMap<ProducerBinding, Uint8Array>();

/**
 * PRODUCER → PRODUCER_SUCCESS or ERROR (ServerCnx.handleProducer). A name is generated when the
 * client gives none; a name already connected elsewhere is refused with ProducerBusy.
 */
export async function handleProducer(conn: Connection, cmd: BaseCommand): Promise<void> {
  const request = cmd.producer!;
  const existing = conn.producers.get(request.producer_id);
  if (existing) {
    // A retried PRODUCER for an id that is already open gets the same answer again.
    conn.write(newProducerSuccess(request.request_id, existing.name, existing.topic.lastSequenceId(existing.name), schemaVersions.get(existing)));
    return;
  }
  try {
    if (request.producer_access_mode) {
      throw new BrokerError('NotAllowedError', 'Exclusive producer access modes are not supported by this broker yet');
    }
    const topicName = parseTopicName(request.topic);
    const { registry } = conn.ctx;
    if (await registry.isPartitioned(topicName)) {
      throw new BrokerError('NotAllowedError', `Found partitioned metadata for non-partitioned topic ${topicName.full}`);
    }
    const topic = await registry.getAnyTopic(topicName, true);
    // The schema is registered (or refused) before the producer is added (ServerCnx.handleProducer).
    const schemaVersion = await producerSchemaVersion(conn, topicName, request.schema);
    const name = request.producer_name || conn.ctx.nextProducerName();
    const binding: ProducerBinding = {
      producerId: request.producer_id,
      name,
      epoch: request.epoch ?? 0,
      connectionId: conn.id,
      topic,
      tail: Promise.resolve(),
      msgInCounter: 0,
      bytesInCounter: 0,
      address: conn.remoteAddress,
      connectedSince: new Date(),
      clientVersion: conn.clientVersion,
      isAlive: () => conn.isAlive(),
      close: () => closeProducerFromBroker(conn, binding),
    };
    await topic.addProducer(binding);
    if (!conn.isOpen) {
      topic.removeProducer(binding);
      return;
    }
    conn.producers.set(request.producer_id, binding);
    schemaVersions.set(binding, schemaVersion);
    // With deduplication the producer resumes after the highest sequence id the broker has (Producer.getLastSequenceId).
    conn.write(newProducerSuccess(request.request_id, name, topic.lastSequenceId(name), schemaVersion));
  } catch (error) {
    conn.sendError(request.request_id, error);
  }
}

function closeProducerFromBroker(conn: Connection, binding: ProducerBinding): void {
  if (conn.producers.get(binding.producerId) !== binding) return;
  conn.producers.delete(binding.producerId);
  binding.topic.removeProducer(binding);
  conn.recentlyClosedProducers.add(binding.producerId);
  if (conn.protocolVersion >= 5) conn.write(newCloseProducer(binding.producerId));
  else conn.close('producer closed by broker');
}

/**
 * SEND → SEND_RECEIPT after the entry is durable (fsync), in send order per producer.
 * Unknown producer ids close the connection, except ids the broker closed itself (ServerCnx.handleSend).
 */
export function handleSend(conn: Connection, cmd: BaseCommand, payload: Buffer | undefined): void {
  const send = cmd.send!;
  const producer = conn.producers.get(send.producer_id);
  if (!producer) {
    if (!conn.recentlyClosedProducers.has(send.producer_id)) conn.close(`SEND for unknown producer ${send.producer_id}`);
    return;
  }
  if (!payload) {
    conn.close('SEND without a payload');
    return;
  }
  const sequenceId = send.sequence_id;
  const highestSequenceId = send.highest_sequence_id ?? 0;
  let entry: Buffer;
  let messages: number;
  let origin: PublishOrigin;
  try {
    const published = readSendPayload(payload);
    if (!published.checksumValid) {
      replyAfterTail(producer, () => conn.write(newSendError(send.producer_id, sequenceId, ServerError.ChecksumError, 'Checksum failed on the broker')));
      return;
    }
    entry = published.entry;
    messages = Math.max(1, send.num_messages ?? 1);
    origin = { producerName: producer.name, sequenceId, highestSequenceId, metadata: published.metadata };
  } catch (error) {
    if (!(error instanceof EntryFormatError)) throw error;
    conn.close(`malformed SEND payload: ${error.message}`);
    return;
  }
  if (answeredAsDuplicate(conn, producer, send.producer_id, origin)) return;
  conn.publishStarted();
  producer.msgInCounter += messages;
  producer.bytesInCounter += entry.length;
  producer.tail = producer.topic.publish(entry, messages, origin).then(
    (position) => {
      conn.publishFinished();
      conn.write(newSendReceipt(send.producer_id, sequenceId, highestSequenceId, position.ledgerId, position.entryId));
    },
    (error: unknown) => {
      conn.publishFinished();
      conn.ctx.logger.warn(`publish to ${producer.topic.name} failed`, error);
      // Producer.MessagePublishContext: a terminated topic answers TopicTerminatedError, any other failure PersistenceError.
      if (error instanceof BrokerError && error.code === 'TopicTerminatedError') {
        conn.write(newSendError(send.producer_id, sequenceId, ServerError.TopicTerminatedError, error.message));
        return;
      }
      conn.write(newSendError(send.producer_id, sequenceId, ServerError.PersistenceError, `Failed to persist message: ${(error as Error).message}`));
    },
  );
}

/**
 * Deduplication (PersistentTopic.publishMessage): a duplicate already written gets a receipt with message
 * id (-1, -1) and is not stored again; one still being written gets SEND_ERROR PersistenceError, so the
 * client reconnects and sends it again later. Both answers queue behind the producer's earlier receipts.
 */
function answeredAsDuplicate(conn: Connection, producer: ProducerBinding, producerId: number, origin: PublishOrigin): boolean {
  const status = producer.topic.checkDuplicate(origin);
  if (status === 'NotDup') return false;
  const { sequenceId, highestSequenceId } = origin;
  replyAfterTail(producer, () => conn.write(status === 'Dup'
    ? newSendReceipt(producerId, sequenceId, highestSequenceId, -1, -1)
    : newSendError(producerId, sequenceId, ServerError.PersistenceError,
      `[${producer.topic.name}][${producer.name}]Cannot determine whether the message is a duplicate at this time`)));
  return true;
}

function replyAfterTail(producer: ProducerBinding, reply: () => void): void {
  producer.tail = producer.tail.then(reply, reply);
}

/** CLOSE_PRODUCER → SUCCESS, also for unknown ids (ServerCnx.handleCloseProducer). */
export function handleCloseProducer(conn: Connection, cmd: BaseCommand): void {
  const request = cmd.close_producer!;
  const producer = conn.producers.get(request.producer_id);
  if (producer) {
    conn.producers.delete(request.producer_id);
    producer.topic.removeProducer(producer);
  }
  // Answer behind the receipts still pending for this producer.
  const answer = () => conn.write(newSuccess(request.request_id));
  if (producer) void producer.tail.then(answer, answer);
  else answer();
}
