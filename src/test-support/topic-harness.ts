/**
 * Test-only: a topic over memory storage with a manual clock, entries with the metadata fields the
 * retry/time/exactly-once features read, and a restart that keeps the storage's data.
 */
import { storedEntry } from './stored-entry.js';
import { silentLogger } from '../config/logger.js';
import { MessageMetadataType } from '../protocol/proto.js';
import { InitialPosition, type SubTypeCode } from '../protocol/wire-types.js';
import { createMemoryStorage, createMemoryStorageData, type MemoryStorageData } from '../storage/memory-storage.js';
import { NamespaceStore } from '../topic/namespaces.js';
import { TopicRegistry } from '../topic/registry.js';
import type { Topic, TopicSettings } from '../topic/topic.js';
import { parseTopicName } from '../topic/topic-name.js';
import { FakeSender } from './fake-sender.js';
import { ManualClock } from './manual-clock.js';

export const TOPIC = parseTopicName('persistent://public/default/features');

export interface EntryOptions {
  readonly sequenceId: number;
  readonly producer?: string;
  readonly publishTimeMs?: number;
  readonly deliverAtMs?: number;
  readonly messages?: number;
  readonly highestSequenceId?: number;
  readonly chunk?: { readonly id: number; readonly total: number };
}

/** A stored entry, [0x0e01][crc][size][MessageMetadata][payload]; the crc is not checked by the broker's readers. */
export function featureEntry(o: EntryOptions): Buffer {
  const metadata = Buffer.from(MessageMetadataType.encode({
    producer_name: o.producer ?? 'p', sequence_id: o.sequenceId, publish_time: o.publishTimeMs ?? 1000 + o.sequenceId,
    ...(o.deliverAtMs !== undefined ? { deliver_at_time: o.deliverAtMs } : {}),
    ...(o.messages ? { num_messages_in_batch: o.messages } : {}),
    ...(o.highestSequenceId !== undefined ? { highest_sequence_id: o.highestSequenceId } : {}),
    ...(o.chunk ? { chunk_id: o.chunk.id, num_chunks_from_msg: o.chunk.total, uuid: 'u', total_chunk_msg_size: 10 } : {}),
  }).finish());
  return storedEntry(metadata);
}

export interface FeatureHarness {
  readonly topic: Topic;
  readonly registry: TopicRegistry;
  readonly clock: ManualClock;
  readonly data: MemoryStorageData;
  readonly namespaces: NamespaceStore;
  /** Closes everything and opens the same data again (a clean restart); the clock carries on. */
  restart(): Promise<FeatureHarness>;
  close(): Promise<void>;
}

export async function openFeatureTopic(settings: Partial<TopicSettings> = {}, data = createMemoryStorageData(),
  clock = new ManualClock(1_000_000), maxSegmentEntries?: number): Promise<FeatureHarness> {
  const storage = createMemoryStorage({ data, ...(maxSegmentEntries ? { maxSegmentEntries } : {}) });
  const namespaces = new NamespaceStore(storage.metadata, 'standalone');
  await namespaces.bootstrap([]);
  const registry = new TopicRegistry(storage, {
    readBatchSize: 10, failoverDelayMs: 0, cursorFlushIntervalMs: 5, maxUnackedMessagesPerConsumer: 50_000,
    allowAutoSubscriptionCreation: true, allowAutoTopicCreation: true, clock, ...settings,
  }, silentLogger, namespaces);
  const topic = await registry.getTopic(TOPIC, true);
  const close = async () => {
    await registry.closeAll();
    await storage.close();
  };
  return {
    topic, registry, clock, data, namespaces, close,
    async restart() {
      await close();
      return openFeatureTopic(settings, data, clock, maxSegmentEntries);
    },
  };
}

export function subscribeTo(topic: Topic, subType: SubTypeCode, consumerId: number, sender = new FakeSender(), subscription = 'sub') {
  return topic.subscribe({
    subscription, subType, consumerId, consumerName: `c${consumerId}`, priorityLevel: 0, durable: true,
    initialPosition: InitialPosition.Earliest, sender,
  }).then((bound) => ({ ...bound, sender }));
}

/** Memory storage and dispatchers chain promises: a few macrotask turns let them finish. */
export async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}
