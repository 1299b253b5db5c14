import { BrokerError } from '../errors.js';
import type { Logger } from '../config/logger.js';
import { AckType, SubType, type SubTypeCode } from '../protocol/wire-types.js';
import type { CursorStore, Ledger, Position } from '../storage/types.js';
import type { Consumer } from './consumer.js';
import { Cursor } from './cursor.js';
import type { Dispatcher } from './dispatcher.js';
import { KeySharedDispatcher } from './key-shared-dispatcher.js';
import { DEFAULT_KEY_SHARED_META } from './key-shared-meta.js';
import { previousOf } from './positions.js';
import { SharedDispatcher } from './shared-dispatcher.js';
import { SingleActiveDispatcher } from './single-active-dispatcher.js';

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
}

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

  consumers(): readonly Consumer[] {
    return this.dispatcher?.connectedConsumers() ?? [];
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

  ack(consumer: Consumer, ackType: number, positions: Position[], ackSetPending: boolean[]): void {
    if (ackType === AckType.Cumulative) {
      // Pulsar ignores cumulative acks with more than one id and on Shared subscriptions (Consumer.messageAcked).
      if (positions.length !== 1 || this.type === SubType.Shared || this.type === SubType.Key_Shared) return;
      // A cumulative ack inside a partially acknowledged batch acknowledges only the entries before it.
      const target = ackSetPending[0] ? previousOf(positions[0]!) : positions[0]!;
      this.cursor.ackCumulative(target);
    } else {
      positions.forEach((position, i) => {
        // Batch-index acks (ack_set with bits still set) are ignored, as with Pulsar 4.0's default
        // acknowledgmentAtBatchIndexLevelEnabled=false; the client acks the whole entry when done.
        if (ackSetPending[i]) return;
        if (this.cursor.ackIndividual(position)) this.dispatcher?.acked(consumer, position);
      });
    }
    this.scheduleFlush();
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
      .catch((error) => this.options.logger.error(`persisting cursor ${this.name} failed`, error));
    return this.flushing;
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
    const ctx = { ledger: o.ledger, cursor: this.cursor, partitionIndex: o.partitionIndex, readBatchSize: o.readBatchSize, logger: o.logger };
    const type = consumer.subType;
    this.type = type;
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
