/**
 * Test-only helpers for the Key_Shared tests: keyed entries, a dispatcher over memory storage, and a
 * sender that records every delivery in one log (so order across consumers is visible).
 */
import { storedEntry } from './stored-entry.js';
import { silentLogger } from '../config/logger.js';
import { readEntryMetadata } from '../protocol/peek.js';
import { MessageMetadataType } from '../protocol/proto.js';
import { SubType } from '../protocol/wire-types.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Ledger, Position } from '../storage/types.js';
import { Consumer, type ConsumerSender } from '../subscription/consumer.js';
import { Cursor } from '../subscription/cursor.js';
import { KeySharedDispatcher, type KeySharedOptions } from '../subscription/key-shared-dispatcher.js';
import { DEFAULT_KEY_SHARED_META, type KeySharedMeta } from '../subscription/key-shared-meta.js';
import { previousOf } from '../subscription/positions.js';

export interface KeyedMessage {
  readonly sequenceId: number;
  readonly partitionKey?: string;
  readonly orderingKey?: Uint8Array;
  readonly b64?: boolean;
  /** A batch entry of this many messages. */
  readonly messages?: number;
  readonly producer?: string;
  readonly publishTimeMs?: number;
}

/** A stored entry, [0x0e01][crc][size][MessageMetadata][payload], with the keys given. */
export function keyedEntry(m: KeyedMessage): Buffer {
  const metadata = Buffer.from(MessageMetadataType.encode({
    producer_name: m.producer ?? 'p', sequence_id: m.sequenceId, publish_time: m.publishTimeMs ?? 1000 + m.sequenceId,
    ...(m.partitionKey !== undefined ? { partition_key: m.partitionKey } : {}),
    ...(m.b64 ? { partition_key_b64_encoded: true } : {}),
    ...(m.orderingKey ? { ordering_key: m.orderingKey } : {}),
    ...(m.messages ? { num_messages_in_batch: m.messages } : {}),
  }).finish());
  return storedEntry(metadata);
}

export interface Delivery {
  readonly consumerId: number;
  readonly position: Position;
  readonly redeliveryCount: number;
  readonly sequenceId: number;
}

/** Records deliveries of all consumers in one log; `onDeliver` runs at send time, for online checks. */
export class DeliveryLog {
  readonly deliveries: Delivery[] = [];
  onDeliver: ((d: Delivery) => void) | undefined;

  sender(): LoggingSender {
    return new LoggingSender(this);
  }

  of(consumerId: number): Delivery[] {
    return this.deliveries.filter((d) => d.consumerId === consumerId);
  }
}

export class LoggingSender implements ConsumerSender {
  writable = true;
  alive = true;
  readonly remoteAddress = '/127.0.0.1:1';

  constructor(private readonly log: DeliveryLog) {}

  sendMessage(consumerId: number, position: Position, _partition: number, redeliveryCount: number, entry: Buffer): void {
    const delivery = { consumerId, position, redeliveryCount, sequenceId: readEntryMetadata(entry).sequence_id };
    this.log.deliveries.push(delivery);
    this.log.onDeliver?.(delivery);
  }
  sendActiveConsumerChange(): void {}
  sendCloseConsumer(): void {}
  isWritable(): boolean {
    return this.writable;
  }
  async isAlive(): Promise<boolean> {
    return this.alive;
  }
}

export interface KeySharedHarness {
  readonly ledger: Ledger;
  readonly cursor: Cursor;
  readonly dispatcher: KeySharedDispatcher;
  readonly log: DeliveryLog;
}

export async function openKeyShared(
  options: Partial<KeySharedOptions> & { readBatchSize?: number } = {},
): Promise<KeySharedHarness> {
  const storage = createMemoryStorage();
  const ledger = await storage.openLedger('persistent://public/default/key-shared');
  const cursor = new Cursor(ledger, { markDelete: previousOf(ledger.firstPosition()), individuallyDeleted: [], properties: {} });
  const ctx = { ledger, cursor, partitionIndex: -1, readBatchSize: options.readBatchSize ?? 100, logger: silentLogger };
  const dispatcher = new KeySharedDispatcher(ctx, { meta: DEFAULT_KEY_SHARED_META, ...options });
  return { ledger, cursor, dispatcher, log: new DeliveryLog() };
}

export function newConsumer(h: KeySharedHarness, id: number, name: string, meta?: KeySharedMeta, maxUnacked = 0): Consumer {
  return new Consumer({
    id, name, subType: SubType.Key_Shared, priorityLevel: 0, sender: h.log.sender(), maxUnackedMessages: maxUnacked,
    keySharedMeta: meta ?? h.dispatcher.meta,
  });
}

/** Appends the entries (one group commit) and wakes the dispatcher. */
export async function publish(h: KeySharedHarness, messages: readonly KeyedMessage[]): Promise<Position[]> {
  const positions = await Promise.all(messages.map((m) => h.ledger.append(keyedEntry(m))));
  h.dispatcher.trigger();
  return positions;
}

/** Individual ack, as Subscription.ack does it. */
export function ack(h: KeySharedHarness, consumer: Consumer, position: Position): void {
  if (h.cursor.ackIndividual(position)) h.dispatcher.acked(consumer, position);
}

export function flow(h: KeySharedHarness, consumer: Consumer, permits: number): void {
  consumer.permits += permits;
  h.dispatcher.trigger();
}

/** Memory storage and the dispatcher only chain promises: one macrotask turn lets them finish. */
export async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

/** Small deterministic PRNG (mulberry32) so a failing seed can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
