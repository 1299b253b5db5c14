import type { MessageMetadata, SubTypeCode } from '../protocol/wire-types.js';
import { SubType } from '../protocol/wire-types.js';
import { ConsistentHashSelector, type StickyKeySelector } from './consistent-hash-selector.js';
import type { Consumer } from './consumer.js';
import { HashRangeSelector } from './hash-range-selector.js';
import { DEFAULT_KEY_SHARED_META, KeySharedMode, type KeySharedMeta } from './key-shared-meta.js';
import { stickyKeyOf } from './sticky-key.js';

/** One published entry on its way to the consumers connected now; it is never stored. */
export interface TransientEntry {
  readonly data: Buffer;
  /** Messages it carries (a batch counts as its size), what permits and drops count. */
  readonly messages: number;
  readonly metadata: MessageMetadata | undefined;
}

/**
 * Every message of a non-persistent topic goes to the consumer (or, for Key_Shared, consumers) chosen at
 * publish time, or nowhere: a consumer without permits or with a full socket loses it (Pulsar's
 * NonPersistentDispatcher*.sendMessages). There is no cursor, no ack tracking and no redelivery.
 */
export abstract class NonPersistentDispatcher {
  protected readonly consumers: Consumer[] = [];
  /** Messages dropped for want of an available consumer since the dispatcher was created (msgDrop). */
  droppedMessages = 0;

  constructor(readonly subType: SubTypeCode, protected readonly partitionIndex: number) {}

  connectedConsumers(): readonly Consumer[] {
    return this.consumers;
  }

  addConsumer(consumer: Consumer): void {
    this.consumers.push(consumer);
  }

  removeConsumer(consumer: Consumer): void {
    const at = this.consumers.indexOf(consumer);
    if (at >= 0) this.consumers.splice(at, 1);
  }

  abstract send(entry: TransientEntry): void;

  /** Pulsar's isConsumerAvailable: permits left and a socket that takes more. */
  protected available(consumer: Consumer | undefined): consumer is Consumer {
    return consumer !== undefined && consumer.permits > 0 && consumer.sender.isWritable();
  }

  /** Non-persistent messages carry message id (0, 0): the entry Pulsar builds for them (NonPersistentTopic.publishMessage). */
  protected deliver(consumer: Consumer, entry: TransientEntry): void {
    consumer.permits -= entry.messages;
    consumer.msgOutCounter += entry.messages;
    consumer.bytesOutCounter += entry.data.length;
    consumer.sender.sendMessage(consumer.id, TRANSIENT_POSITION, this.partitionIndex, 0, entry.data);
  }

  protected drop(entry: TransientEntry): void {
    this.droppedMessages += entry.messages;
  }
}

const TRANSIENT_POSITION = { ledgerId: 0, entryId: 0 };

/** Exclusive and Failover (NonPersistentDispatcherSingleActiveConsumer): the active consumer or nobody. */
export class NonPersistentSingleActiveDispatcher extends NonPersistentDispatcher {
  private active: Consumer | undefined;

  activeConsumer(): Consumer | undefined {
    return this.active;
  }

  override addConsumer(consumer: Consumer): void {
    super.addConsumer(consumer);
    if (!this.pickActive() && this.active) consumer.sender.sendActiveConsumerChange(consumer.id, consumer === this.active);
  }

  override removeConsumer(consumer: Consumer): void {
    super.removeConsumer(consumer);
    if (this.active === consumer) this.active = undefined;
    this.pickActive();
  }

  send(entry: TransientEntry): void {
    if (this.available(this.active)) this.deliver(this.active, entry);
    else this.drop(entry);
  }

  /**
   * Sorted by priority then name, the consumer at partitionIndex modulo their number; a non-partitioned
   * topic counts as partition 0 (NonPersistentSubscription.addConsumer). Returns true when it changed.
   */
  private pickActive(): boolean {
    const sorted = [...this.consumers].sort((a, b) => a.priorityLevel - b.priorityLevel || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const top = sorted.filter((c) => c.priorityLevel === sorted[0]?.priorityLevel);
    const chosen = this.subType === SubType.Exclusive ? this.consumers[0] : top[Math.max(0, this.partitionIndex) % Math.max(1, top.length)];
    if (chosen === this.active) return false;
    this.active = chosen;
    if (chosen) for (const c of this.consumers) c.sender.sendActiveConsumerChange(c.id, c === chosen);
    return true;
  }
}

/** Shared (NonPersistentDispatcherMultipleConsumers): round robin over the available consumers of the highest priority. */
export class NonPersistentSharedDispatcher extends NonPersistentDispatcher {
  private next = 0;

  send(entry: TransientEntry): void {
    const consumer = this.nextConsumer();
    if (consumer) this.deliver(consumer, entry);
    else this.drop(entry);
  }

  /** AbstractDispatcherMultipleConsumers.getNextConsumer: the lowest priority level with an available consumer wins. */
  private nextConsumer(): Consumer | undefined {
    let best: Consumer | undefined;
    let bestAt = -1;
    const count = this.consumers.length;
    for (let i = 0; i < count; i++) {
      const at = (this.next + i) % count;
      const consumer = this.consumers[at]!;
      if (!this.available(consumer)) continue;
      if (!best || consumer.priorityLevel < best.priorityLevel) {
        best = consumer;
        bestAt = at;
      }
    }
    if (best) this.next = (bestAt + 1) % count;
    return best;
  }
}

/**
 * Key_Shared (NonPersistentStickyKeyDispatcherMultipleConsumers): the consumer the entry's sticky key maps
 * to gets it if it can take it now; otherwise the entry is dropped, never held back.
 */
export class NonPersistentKeySharedDispatcher extends NonPersistentDispatcher {
  readonly meta: KeySharedMeta;
  private readonly selector: StickyKeySelector<Consumer>;

  constructor(partitionIndex: number, meta: KeySharedMeta | undefined) {
    super(SubType.Key_Shared, partitionIndex);
    this.meta = meta ?? DEFAULT_KEY_SHARED_META;
    const describe = (c: Consumer) => `Consumer{consumerId=${c.id}, consumerName=${c.name}}`;
    this.selector = this.meta.mode === KeySharedMode.STICKY
      ? new HashRangeSelector<Consumer>((c) => (c.keySharedMeta ?? DEFAULT_KEY_SHARED_META).hashRanges, describe)
      : new ConsistentHashSelector<Consumer>();
  }

  /** Throws ConsumerAssignError when a STICKY consumer's ranges overlap another's. */
  override addConsumer(consumer: Consumer): void {
    this.selector.addConsumer(consumer);
    super.addConsumer(consumer);
  }

  override removeConsumer(consumer: Consumer): void {
    this.selector.removeConsumer(consumer);
    super.removeConsumer(consumer);
  }

  send(entry: TransientEntry): void {
    const consumer = entry.metadata ? this.selector.select(this.selector.slotOf(stickyKeyOf(entry.metadata))) : undefined;
    if (this.available(consumer)) this.deliver(consumer, entry);
    else this.drop(entry);
  }
}

/** The dispatcher for a subscription type; Key_Shared takes the first consumer's policy. */
export function nonPersistentDispatcherFor(consumer: Consumer, partitionIndex: number): NonPersistentDispatcher {
  switch (consumer.subType) {
    case SubType.Shared:
      return new NonPersistentSharedDispatcher(SubType.Shared, partitionIndex);
    case SubType.Key_Shared:
      return new NonPersistentKeySharedDispatcher(partitionIndex, consumer.keySharedMeta);
    default:
      return new NonPersistentSingleActiveDispatcher(consumer.subType, partitionIndex);
  }
}
