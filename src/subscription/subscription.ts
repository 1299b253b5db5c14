import { BrokerError } from '../errors.js';
import type { Logger } from '../config/logger.js';
import type { AckSetWord } from '../protocol/ack-set-wire.js';
import { AckType, SubType, type SubTypeCode } from '../protocol/wire-types.js';
import type { CursorStore, Ledger, Position } from '../storage/types.js';
import { ackBitsFromWire } from './batch-ack-sets.js';
import type { Consumer } from './consumer.js';
import { Cursor } from './cursor.js';
import type { DelayedDeliverySetup, Dispatcher } from './dispatcher.js';
import { KeySharedDispatcher } from './key-shared-dispatcher.js';
import { DEFAULT_KEY_SHARED_META } from './key-shared-meta.js';
import { isBefore, positionKey, previousOf } from './positions.js';
import { SharedDispatcher } from './shared-dispatcher.js';
import { SingleActiveDispatcher } from './single-active-dispatcher.js';
import { UnackedLimit } from './unacked-limit.js';

export interface SubscriptionOptions {
  readonly topicName: string;
  readonly name: string;
  readonly durable: boolean;
  readonly ledger: Ledger;
  readonly cursor: Cursor;
  readonly cursorStore: CursorStore;
  readonly partitionIndex: number;
  readonly readBatchSize: number;
  readonly failoverDelayMs: number;
  readonly flushIntervalMs: number;
  readonly logger: Logger;
  readonly properties?: Record<string, string>;
  /** acknowledgmentAtBatchIndexLevelEnabled: honour ack_set in ACK (default true here, false in Pulsar 4.0). */
  readonly batchIndexAck?: boolean;
  /** maxUnackedMessagesPerSubscription for Shared/Key_Shared (Pulsar 200000; 0 = no limit). */
  readonly maxUnackedMessagesPerSubscription?: number;
  /** Delayed delivery for Shared/Key_Shared; absent: deliver_at_time is ignored. */
  readonly delayedDelivery?: DelayedDeliverySetup;
}

/** One acknowledged id: the entry, and for a batch-index ack the messages still unacknowledged. */
export type AckSetOf = readonly AckSetWord[] | false | undefined;

export interface AckResult {
  /** Acks must be durable before this resolves (receipt requested or consumer closing). */
  readonly persisted: Promise<void>;
}

/**
 * A named cursor on a topic plus the consumers attached to it (Pulsar's PersistentSubscription).
 * Its type is fixed while consumers are connected; the dispatcher is recreated when it changes.
 */
export class Subscription {
  readonly name: string;
  readonly durable: boolean;
  readonly cursor: Cursor;
  private dispatcher: Dispatcher | undefined;
  private type: SubTypeCode | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly properties: Record<string, string>;
  private unackedLimit = new UnackedLimit(0);
  private flushFailures = 0;
  /** Entries skipped by message TTL or backlog eviction since load (stats: expired messages). */
  msgExpiredCounter = 0;
  deleted = false;

  constructor(private readonly options: SubscriptionOptions) {
    this.name = options.name;
    this.durable = options.durable;
    this.cursor = options.cursor;
    this.properties = { ...(options.properties ?? {}) };
  }

  get subType(): SubTypeCode | undefined {
    return this.type;
  }

  /** maxUnackedMessagesPerSubscription reached (stats: blockedSubscriptionOnUnackedMsgs). */
  get blockedOnUnackedMessages(): boolean {
    return this.unackedLimit.blocked;
  }

  consumers(): readonly Consumer[] {
    return this.dispatcher?.connectedConsumers() ?? [];
  }

  /** Delayed messages the dispatcher holds back now (stats: msgDelayed). */
  get delayedMessages(): number {
    return this.dispatcher?.delayedMessageCount() ?? 0;
  }

  /**
   * Pulsar AbstractSubscription.checkForConsumerCompatibilityErrorWithDispatcher plus the dispatcher's
   * add rules. A connected Exclusive consumer is probed first: a dead connection loses its place.
   */
  async addConsumer(consumer: Consumer): Promise<void> {
    if (this.deleted) throw new BrokerError('SubscriptionNotFound', `Subscription ${this.name} was deleted`);
    if (this.type === SubType.Exclusive && consumer.subType === SubType.Exclusive) {
      for (const existing of [...this.consumers()]) {
        if (!(await existing.sender.isAlive())) this.removeConsumer(existing);
      }
    }
    if (this.dispatcher instanceof KeySharedDispatcher) await this.dispatcher.evictDeadRangeOwners(consumer);
    const connected = this.consumers();
    if (connected.length > 0 && this.type !== consumer.subType) {
      throw new BrokerError('ConsumerBusy', 'Subscription is of different type');
    }
    if (connected.length > 0 && consumer.subType === SubType.Exclusive) {
      throw new BrokerError('ConsumerBusy', 'Exclusive consumer is already connected');
    }
    const keyShared = this.dispatcher instanceof KeySharedDispatcher ? this.dispatcher : undefined;
    if (connected.length > 0 && keyShared) keyShared.checkCompatible(consumer);
    // With nobody connected a Key_Shared subscription takes the newcomer's policy (Pulsar recreates the dispatcher).
    const policyChanged = keyShared !== undefined && !keyShared.hasSamePolicy(consumer);
    if (!this.dispatcher || this.type !== consumer.subType || policyChanged) this.replaceDispatcher(consumer);
    this.properties.type = String(consumer.subType);
    if (consumer.subType === SubType.Shared || consumer.subType === SubType.Key_Shared) {
      consumer.attachSubscriptionLimit(this.unackedLimit);
    }
    this.dispatcher!.addConsumer(consumer);
  }

  removeConsumer(consumer: Consumer): void {
    this.dispatcher?.removeConsumer(consumer);
  }

  flow(consumer: Consumer, permits: number): void {
    consumer.permits += permits;
    this.dispatcher?.trigger();
  }

  /** Wakes the dispatcher (new entries were published, a socket drained). */
  notify(): void {
    this.dispatcher?.trigger();
  }

  /**
   * ACK. `ackSets[i]` is the ack_set sent with positions[i]: bits still set are messages of the batch not
   * acknowledged yet. They are honoured when batch-index acks are enabled (ManagedCursorImpl at batch index
   * level), and otherwise ignored, the client then acking the whole entry when done (Pulsar 4.0's default).
   */
  ack(consumer: Consumer, ackType: number, positions: Position[], ackSets: readonly AckSetOf[] = []): void {
    if (ackType === AckType.Cumulative) {
      // Pulsar ignores cumulative acks with more than one id and on Shared subscriptions (Consumer.messageAcked).
      if (positions.length !== 1 || this.type === SubType.Shared || this.type === SubType.Key_Shared) return;
      this.ackCumulative(consumer, positions[0]!, pendingBits(ackSets[0]));
    } else {
      positions.forEach((position, i) => this.ackOne(consumer, position, pendingBits(ackSets[i])));
    }
    this.scheduleFlush();
  }

  /** A cumulative ack inside a partly acknowledged batch acknowledges the entries before it, and those messages of it. */
  private ackCumulative(consumer: Consumer, position: Position, ackSet: readonly AckSetWord[] | undefined): void {
    if (!ackSet) {
      this.cursor.ackCumulative(position);
    } else {
      this.cursor.ackCumulative(previousOf(position));
      if (this.options.batchIndexAck !== false) this.ackOne(consumer, position, ackSet);
    }
    this.dispatcher?.forgetUpTo(this.cursor.markDelete);
  }

  private ackOne(consumer: Consumer, position: Position, ackSet: readonly AckSetWord[] | undefined): void {
    if (!ackSet) {
      // Also when the cursor had it already (expired by TTL, acked twice): the consumer must forget it as
      // pending, or its unacked count never comes down (Consumer.messageAcked removes the pending ack).
      this.cursor.ackIndividual(position);
      this.dispatcher?.acked(consumer, position);
      return;
    }
    if (this.options.batchIndexAck === false) return;
    const batchSize = consumer.pending.get(positionKey(position))?.batchSize;
    const { acked, entryAcked } = this.cursor.ackBatchIndexes(position, ackBitsFromWire(ackSet, batchSize), batchSize);
    if (entryAcked) this.dispatcher?.acked(consumer, position);
    else if (acked > 0) this.dispatcher?.ackedPartially(consumer, position, acked);
  }

  /**
   * Message expiry (TTL, backlog eviction): everything up to `position` counts as acknowledged, as
   * PersistentMessageExpiryMonitor marks it deleted. Returns how many entries expired.
   */
  expireUpTo(position: Position): number {
    if (!isBefore(this.cursor.markDelete, position)) return 0;
    const before = this.cursor.backlogEntries();
    this.cursor.ackCumulative(position);
    this.dispatcher?.forgetUpTo(this.cursor.markDelete);
    const expired = Math.max(0, before - this.cursor.backlogEntries());
    this.msgExpiredCounter += expired;
    this.scheduleFlush();
    return expired;
  }

  redeliver(consumer: Consumer, positions: Position[] | undefined): void {
    this.dispatcher?.redeliver(consumer, positions);
  }

  /** Reset so that `next` is the next entry delivered; Pulsar disconnects the consumers first. */
  async resetCursor(next: Position): Promise<void> {
    for (const consumer of [...this.consumers()]) {
      consumer.sender.sendCloseConsumer(consumer.id);
      this.removeConsumer(consumer);
    }
    this.cursor.resetTo(next, previousOf(next));
    this.dispatcher?.reset();
    await this.flush();
  }

  activeConsumer(): Consumer | undefined {
    const d = this.dispatcher;
    if (d instanceof SingleActiveDispatcher) return d.activeConsumer();
    return undefined;
  }

  /** Persist the cursor now if anything changed (no-op for non-durable subscriptions). */
  flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (!this.durable || this.deleted || !this.cursor.takeDirty()) return this.flushing;
    const state = this.cursor.state(this.properties);
    this.flushing = this.flushing
      .then(() => this.options.cursorStore.save(this.options.topicName, this.name, state))
      .catch((error) => {
        this.flushFailures++;
        this.options.logger.error(`persisting cursor ${this.name} failed`, error);
      });
    return this.flushing;
  }

  /** flush(), failing when the state could not be persisted: an ACK_RESPONSE then reports the error. */
  async flushForReceipt(): Promise<void> {
    const failuresBefore = this.flushFailures;
    await this.flush();
    if (this.flushFailures !== failuresBefore) throw new BrokerError('PersistenceError', 'Failed to persist the acknowledgement');
  }

  close(): void {
    clearTimeout(this.flushTimer);
    this.dispatcher?.close();
  }

  private scheduleFlush(): void {
    if (!this.durable || this.flushTimer) return;
    this.flushTimer = setTimeout(() => void this.flush(), this.options.flushIntervalMs);
    this.flushTimer.unref();
  }

  private replaceDispatcher(consumer: Consumer): void {
    this.dispatcher?.close();
    const o = this.options;
    const type = consumer.subType;
    const multiple = type === SubType.Shared || type === SubType.Key_Shared;
    const ctx = {
      ledger: o.ledger, cursor: this.cursor, partitionIndex: o.partitionIndex, readBatchSize: o.readBatchSize, logger: o.logger,
      // Only Shared and Key_Shared hold delayed messages (Dispatcher.trackDelayedDelivery); the others deliver at once.
      ...(multiple && o.delayedDelivery ? { delayedDelivery: o.delayedDelivery } : {}),
    };
    this.type = type;
    this.unackedLimit = new UnackedLimit(multiple ? o.maxUnackedMessagesPerSubscription ?? 0 : 0);
    this.cursor.rewind();
    if (type === SubType.Key_Shared) {
      const describeConsumer = (c: Consumer) => `Consumer{subscription=PersistentSubscription{topic=${o.topicName}, name=${this.name}}, `
        + `consumerId=${c.id}, consumerName=${c.name}, address=${c.sender.remoteAddress}}`;
      this.dispatcher = new KeySharedDispatcher(ctx, { meta: consumer.keySharedMeta ?? DEFAULT_KEY_SHARED_META, describeConsumer });
      return;
    }
    this.dispatcher = type === SubType.Shared
      ? new SharedDispatcher(ctx)
      : new SingleActiveDispatcher(ctx, o.topicName, o.failoverDelayMs);
  }
}

/** The ack set when it leaves messages unacknowledged; an absent or all-clear set acknowledges the entry. */
function pendingBits(ackSet: AckSetOf): readonly AckSetWord[] | undefined {
  if (!ackSet || !ackSet.some((word) => word.low !== 0 || word.high !== 0)) return undefined;
  return ackSet;
}
