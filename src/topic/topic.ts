import { BrokerError } from '../errors.js';
import type { Logger } from '../config/logger.js';
import { readEntryMetadata, messagesInEntry } from '../protocol/peek.js';
import { InitialPosition, SubType, type SubTypeCode } from '../protocol/wire-types.js';
import type { CursorState, CursorStore, Ledger, Position } from '../storage/types.js';
import { Consumer, type ConsumerSender } from '../subscription/consumer.js';
import { Cursor } from '../subscription/cursor.js';
import type { KeySharedMeta } from '../subscription/key-shared-meta.js';
import { isBefore, previousOf } from '../subscription/positions.js';
import { Subscription } from '../subscription/subscription.js';
import type { ProducerHandle } from './producer.js';
import type { TopicName } from './topic-name.js';

export interface TopicSettings {
  readonly readBatchSize: number;
  readonly failoverDelayMs: number;
  readonly cursorFlushIntervalMs: number;
  readonly maxUnackedMessagesPerConsumer: number;
  readonly allowAutoSubscriptionCreation: boolean;
}

export interface SubscribeRequest {
  readonly subscription: string;
  readonly subType: SubTypeCode;
  readonly consumerId: number;
  readonly consumerName: string;
  readonly priorityLevel: number;
  readonly durable: boolean;
  readonly initialPosition: number;
  /** Readers: the entry to start at (delivered again; the client filters). */
  readonly startMessageId?: { ledgerId: number; entryId: number };
  readonly sender: ConsumerSender;
  /** Key_Shared only; absent means AUTO_SPLIT. */
  readonly keySharedMeta?: KeySharedMeta;
}

/** Client sentinels decode as huge numbers: earliest is (2^64-1, 2^64-1), latest (2^63-1, 2^63-1). */
const EARLIEST_LEDGER_ID = 1.8e19;
const LATEST_LEDGER_ID = 9.2e18;

/** A persistent topic: its ledger, producers and subscriptions (Pulsar's PersistentTopic). */
export class Topic {
  readonly name: string;
  readonly producers = new Map<string, ProducerHandle>();
  readonly subscriptions = new Map<string, Subscription>();
  msgInCounter = 0;
  bytesInCounter = 0;
  private trimScheduled = false;
  private closed = false;

  constructor(
    readonly topicName: TopicName,
    readonly ledger: Ledger,
    private readonly cursorStore: CursorStore,
    private readonly settings: TopicSettings,
    private readonly logger: Logger,
    persistedCursors: Map<string, CursorState>,
  ) {
    this.name = topicName.full;
    for (const [name, state] of persistedCursors) this.subscriptions.set(name, this.newSubscription(name, true, state));
  }

  /** Durable append; resolves after fsync. Wakes every subscription. */
  async publish(entry: Buffer, messages: number): Promise<Position> {
    if (this.closed) throw new BrokerError('ServiceNotReady', `Topic ${this.name} is closing`);
    const position = await this.ledger.append(entry);
    this.msgInCounter += messages;
    this.bytesInCounter += entry.length;
    for (const sub of this.subscriptions.values()) sub.notify();
    return position;
  }

  async addProducer(producer: ProducerHandle): Promise<void> {
    const existing = this.producers.get(producer.name);
    if (existing) {
      const reconnect = existing.connectionId === producer.connectionId && existing.producerId === producer.producerId;
      if (!reconnect && (await existing.isAlive()) && this.producers.get(producer.name) === existing) {
        throw new BrokerError('ProducerBusy', `Producer with name '${producer.name}' is already connected to topic '${this.name}'`);
      }
      existing.close();
    }
    this.producers.set(producer.name, producer);
  }

  removeProducer(producer: ProducerHandle): void {
    if (this.producers.get(producer.name) === producer) this.producers.delete(producer.name);
  }

  async subscribe(request: SubscribeRequest): Promise<{ subscription: Subscription; consumer: Consumer }> {
    let subscription = this.subscriptions.get(request.subscription);
    if (subscription && !request.durable && subscription.durable) {
      throw new BrokerError('NotAllowedError', `Durable subscription with the same name already exists.`);
    }
    if (!subscription) {
      if (request.durable && !this.settings.allowAutoSubscriptionCreation) {
        throw new BrokerError('SubscriptionNotFound', 'Subscription does not exist');
      }
      subscription = this.createSubscription(request);
      this.subscriptions.set(request.subscription, subscription);
      await subscription.flush();
    }
    const consumer = new Consumer({
      id: request.consumerId,
      name: request.consumerName,
      subType: request.subType,
      priorityLevel: request.priorityLevel,
      sender: request.sender,
      maxUnackedMessages: request.subType === SubType.Shared || request.subType === SubType.Key_Shared
        ? this.settings.maxUnackedMessagesPerConsumer : 0,
      keySharedMeta: request.keySharedMeta,
    });
    await subscription.addConsumer(consumer);
    return { subscription, consumer };
  }

  /** The consumer left; a non-durable subscription goes with its last consumer. */
  async unsubscribeConsumer(subscription: Subscription, consumer: Consumer): Promise<void> {
    subscription.removeConsumer(consumer);
    await subscription.flush();
    if (!subscription.durable && subscription.consumers().length === 0) this.dropSubscription(subscription);
  }

  /** UNSUBSCRIBE: allowed only for the sole consumer (Pulsar PersistentSubscription.doUnsubscribe). */
  async deleteSubscription(subscription: Subscription, consumer: Consumer | undefined): Promise<void> {
    const consumers = subscription.consumers();
    if (consumer && (consumers.length !== 1 || consumers[0] !== consumer)) {
      throw new BrokerError('MetadataError', 'Unconnected or shared consumer attempting to unsubscribe');
    }
    if (consumer) subscription.removeConsumer(consumer);
    this.dropSubscription(subscription);
    if (subscription.durable) await this.cursorStore.remove(this.name, subscription.name);
    this.scheduleTrim();
  }

  /** Last entry's id, with the batch index of its last message (ServerCnx.getLargestBatchIndexWhenPossible). */
  async lastMessageId(): Promise<{ ledgerId: number; entryId: number; batchIndex: number } | undefined> {
    const last = this.ledger.lastPosition();
    if (!last) return undefined;
    const [entry] = await this.ledger.read(last, 1);
    let batchIndex = -1;
    if (entry) {
      const metadata = readEntryMetadata(entry.data);
      if (metadata.num_messages_in_batch !== undefined && Object.prototype.hasOwnProperty.call(metadata, 'num_messages_in_batch')) {
        batchIndex = messagesInEntry(metadata) - 1;
      }
    }
    return { ledgerId: last.ledgerId, entryId: last.entryId, batchIndex };
  }

  /** First position whose publish time is >= timestampMs (PersistentSubscription.resetCursor by time). */
  async positionForPublishTime(timestampMs: number): Promise<Position> {
    const first = this.ledger.firstPosition();
    const last = this.ledger.lastPosition();
    if (!last) return this.ledger.nextPosition();
    const total = this.ledger.countEntries(previousOf(first), last);
    let low = 0;
    let high = total; // answer index in [0, total]; total means "after the last entry"
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      const position = this.ledger.positionAfter(previousOf(first), mid + 1);
      const [entry] = await this.ledger.read(position, 1);
      const publishTime = entry ? readEntryMetadata(entry.data).publish_time : Infinity;
      if (publishTime < timestampMs) low = mid + 1;
      else high = mid;
    }
    return this.ledger.positionAfter(previousOf(first), low + 1);
  }

  /** After acks, delete whole segments that every durable subscription has passed. */
  scheduleTrim(): void {
    if (this.trimScheduled || this.closed) return;
    this.trimScheduled = true;
    setTimeout(() => {
      this.trimScheduled = false;
      void this.trim();
    }, 1000).unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const producer of this.producers.values()) producer.close();
    for (const sub of this.subscriptions.values()) {
      for (const consumer of [...sub.consumers()]) consumer.sender.sendCloseConsumer(consumer.id);
      await sub.flush();
      sub.close();
    }
    await this.ledger.close();
  }

  private async trim(): Promise<void> {
    let slowest: Position | undefined;
    for (const sub of this.subscriptions.values()) {
      if (!sub.durable) continue;
      const next = sub.cursor.firstUnacked();
      if (!slowest || isBefore(next, slowest)) slowest = next;
    }
    // Without any durable subscription nothing is retained (Pulsar's default retention of 0).
    const keepFrom = slowest ?? this.ledger.nextPosition();
    try {
      await this.ledger.trimBefore(keepFrom);
    } catch (error) {
      this.logger.warn(`trimming ${this.name} failed`, error);
    }
  }

  private dropSubscription(subscription: Subscription): void {
    subscription.deleted = true;
    subscription.close();
    if (this.subscriptions.get(subscription.name) === subscription) this.subscriptions.delete(subscription.name);
  }

  private createSubscription(request: SubscribeRequest): Subscription {
    const state: CursorState = { markDelete: this.initialMarkDelete(request), individuallyDeleted: [], properties: {} };
    return this.newSubscription(request.subscription, request.durable, state);
  }

  private initialMarkDelete(request: SubscribeRequest): Position {
    const beforeFirst = previousOf(this.ledger.firstPosition());
    const last = this.ledger.lastPosition();
    const latest = last ?? beforeFirst;
    const start = request.durable ? undefined : request.startMessageId;
    if (start) {
      if (start.ledgerId >= EARLIEST_LEDGER_ID) return beforeFirst;
      if (start.ledgerId < LATEST_LEDGER_ID && last && !isBefore(last, start)) {
        // The start entry is delivered again; the client drops it unless the reader is inclusive.
        const candidate = previousOf(start);
        return isBefore(candidate, beforeFirst) ? beforeFirst : candidate;
      }
    }
    return request.initialPosition === InitialPosition.Earliest ? beforeFirst : latest;
  }

  private newSubscription(name: string, durable: boolean, state: CursorState): Subscription {
    return new Subscription({
      topicName: this.name,
      name,
      durable,
      ledger: this.ledger,
      cursor: new Cursor(this.ledger, state),
      cursorStore: this.cursorStore,
      partitionIndex: this.topicName.partitionIndex,
      readBatchSize: this.settings.readBatchSize,
      failoverDelayMs: this.settings.failoverDelayMs,
      flushIntervalMs: this.settings.cursorFlushIntervalMs,
      logger: this.logger,
      properties: { ...state.properties },
    });
  }
}
