import { BrokerError } from '../errors.js';
import { systemClock, type Clock } from '../clock.js';
import { SubType, type SubTypeCode } from '../protocol/wire-types.js';
import type { Position } from '../storage/types.js';
import { Consumer } from '../subscription/consumer.js';
import { checkKeySharedCompatibility, DEFAULT_KEY_SHARED_META } from '../subscription/key-shared-meta.js';
import {
  NonPersistentKeySharedDispatcher, nonPersistentDispatcherFor, type NonPersistentDispatcher, type TransientEntry,
} from '../subscription/non-persistent-dispatcher.js';
import type { DupStatus, SequenceId } from './deduplication.js';
import type { ProducerHandle } from './producer.js';
import type { SubscribeRequest, PublishOrigin } from './topic.js';
import type { TopicName } from './topic-name.js';

/** Pulsar's Rate is recomputed every statsUpdateFrequencyInSecs (60 s in standalone.conf). */
const RATE_WINDOW_MS = 60_000;
/** Receipts and deliveries of non-persistent messages name entry (0, 0) (NonPersistentTopic.publishMessage). */
const TRANSIENT_POSITION: Position = { ledgerId: 0, entryId: 0 };

/**
 * A subscription of a non-persistent topic (Pulsar's NonPersistentSubscription): consumers and a
 * dispatcher, no cursor. Acks and redelivery requests are accepted and do nothing.
 */
export class NonPersistentSubscription {
  private dispatcher: NonPersistentDispatcher | undefined;
  /** Counts of consumers that left, so the subscription's totals survive them (msgOutFromRemovedConsumer). */
  msgOutFromRemovedConsumers = 0;
  bytesOutFromRemovedConsumers = 0;
  private windowStartMs: number;
  private droppedAtWindowStart = 0;
  private lastDropRate = 0;
  deleted = false;

  constructor(readonly name: string, readonly durable: boolean, private readonly partitionIndex: number, private readonly clock: Clock) {
    this.windowStartMs = clock.now();
  }

  get subType(): SubTypeCode | undefined {
    return this.dispatcher?.subType;
  }

  consumers(): readonly Consumer[] {
    return this.dispatcher?.connectedConsumers() ?? [];
  }

  /** NonPersistentSubscription.addConsumer: a dispatcher with nobody connected is replaced by one of the newcomer's type. */
  addConsumer(consumer: Consumer): void {
    if (this.deleted) throw new BrokerError('SubscriptionNotFound', `Subscription ${this.name} was deleted`);
    const connected = this.consumers();
    if (connected.length > 0) {
      if (this.dispatcher!.subType !== consumer.subType) throw new BrokerError('ConsumerBusy', 'Subscription is of different type');
      if (consumer.subType === SubType.Exclusive) throw new BrokerError('ConsumerBusy', 'Exclusive consumer is already connected');
      if (this.dispatcher instanceof NonPersistentKeySharedDispatcher) {
        checkKeySharedCompatibility(this.dispatcher.meta, consumer.keySharedMeta ?? DEFAULT_KEY_SHARED_META);
      }
    } else if (!this.dispatcher || this.dispatcher.subType !== consumer.subType || consumer.subType === SubType.Key_Shared) {
      this.dispatcher = nonPersistentDispatcherFor(consumer, this.partitionIndex);
      this.windowStartMs = this.clock.now();
      this.droppedAtWindowStart = 0;
    }
    this.dispatcher!.addConsumer(consumer);
  }

  removeConsumer(consumer: Consumer): void {
    if (!this.dispatcher?.connectedConsumers().includes(consumer)) return;
    this.dispatcher.removeConsumer(consumer);
    this.msgOutFromRemovedConsumers += consumer.msgOutCounter;
    this.bytesOutFromRemovedConsumers += consumer.bytesOutCounter;
  }

  /** A message published now: to a consumer of this subscription, or dropped. */
  send(entry: TransientEntry): void {
    this.dispatcher?.send(entry);
  }

  flow(consumer: Consumer, permits: number): void {
    consumer.permits += permits;
  }

  /** Nothing is pending on a non-persistent topic: acks, receipts and redelivery requests change nothing. */
  notify(): void {}
  ack(): void {}
  redeliver(): void {}
  flushForReceipt(): Promise<void> {
    return Promise.resolve();
  }

  /** Messages dropped per second over the last statistics window (msgDropRate). */
  dropRate(): number {
    const now = this.clock.now();
    const dropped = this.dispatcher?.droppedMessages ?? 0;
    const elapsedMs = now - this.windowStartMs;
    if (elapsedMs >= RATE_WINDOW_MS) {
      this.lastDropRate = (dropped - this.droppedAtWindowStart) / (elapsedMs / 1000);
      this.windowStartMs = now;
      this.droppedAtWindowStart = dropped;
    }
    return this.lastDropRate;
  }

  /** Messages dropped since the dispatcher was created. */
  get droppedMessages(): number {
    return this.dispatcher?.droppedMessages ?? 0;
  }
}

/**
 * A non-persistent topic (Pulsar's NonPersistentTopic): a published message goes at once to the consumers
 * connected to its subscriptions and is never stored. The producer gets its receipt either way.
 */
export class NonPersistentTopic {
  readonly name: string;
  readonly producers = new Map<string, ProducerHandle>();
  readonly subscriptions = new Map<string, NonPersistentSubscription>();
  msgInCounter = 0;
  bytesInCounter = 0;
  readonly clock: Clock;
  private closed = false;

  constructor(readonly topicName: TopicName, clock: Clock = systemClock) {
    this.name = topicName.full;
    this.clock = clock;
  }

  /** Resolves at once with message id (0, 0), before any consumer got the message (NonPersistentTopic.publishMessage). */
  publish(entry: Buffer, messages: number, origin?: PublishOrigin): Promise<Position> {
    if (this.closed) return Promise.reject(new BrokerError('ServiceNotReady', `Topic ${this.name} is closing`));
    this.msgInCounter += messages;
    this.bytesInCounter += entry.length;
    const transient: TransientEntry = { data: entry, messages, metadata: origin?.metadata };
    for (const subscription of this.subscriptions.values()) subscription.send(transient);
    return Promise.resolve(TRANSIENT_POSITION);
  }

  /** No deduplication on non-persistent topics (checkMessageDeduplicationInfo is a no-op). */
  checkDuplicate(_origin: PublishOrigin): DupStatus {
    return 'NotDup';
  }

  lastSequenceId(_producerName: string): SequenceId {
    return -1;
  }

  async addProducer(producer: ProducerHandle): Promise<void> {
    if (this.closed) throw new BrokerError('ServiceNotReady', 'Topic is temporarily unavailable');
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

  /** NonPersistentTopic.subscribe: readCompacted is refused; the subscription is created on first use. */
  async subscribe(request: SubscribeRequest & { readCompacted?: boolean }): Promise<{ subscription: NonPersistentSubscription; consumer: Consumer }> {
    if (this.closed) throw new BrokerError('ServiceNotReady', 'Topic is temporarily unavailable');
    if (request.readCompacted) throw new BrokerError('NotAllowedError', 'readCompacted only valid on persistent topics');
    let subscription = this.subscriptions.get(request.subscription);
    if (!subscription) {
      subscription = new NonPersistentSubscription(request.subscription, request.durable, this.topicName.partitionIndex, this.clock);
      this.subscriptions.set(request.subscription, subscription);
    }
    const consumer = new Consumer({
      id: request.consumerId,
      name: request.consumerName,
      subType: request.subType,
      priorityLevel: request.priorityLevel,
      sender: request.sender,
      maxUnackedMessages: 0,
      keySharedMeta: request.keySharedMeta,
    });
    try {
      subscription.addConsumer(consumer);
    } catch (error) {
      if (subscription.consumers().length === 0 && !subscription.durable) this.dropSubscription(subscription);
      throw error;
    }
    return { subscription, consumer };
  }

  /** The consumer left; a reader's (non-durable) subscription goes with it (NonPersistentSubscription.removeConsumer). */
  async unsubscribeConsumer(subscription: NonPersistentSubscription, consumer: Consumer): Promise<void> {
    subscription.removeConsumer(consumer);
    if (!subscription.durable && subscription.consumers().length === 0) this.dropSubscription(subscription);
  }

  /** UNSUBSCRIBE: allowed only for the sole consumer (NonPersistentSubscription.doUnsubscribe). */
  async deleteSubscription(subscription: NonPersistentSubscription, consumer: Consumer | undefined): Promise<void> {
    const consumers = subscription.consumers();
    if (consumer && (consumers.length !== 1 || consumers[0] !== consumer)) {
      throw new BrokerError('MetadataError', 'Unconnected or shared consumer attempting to unsubscribe');
    }
    if (consumer) subscription.removeConsumer(consumer);
    this.dropSubscription(subscription);
  }

  /** Nothing is stored, so nothing is ever trimmed. */
  scheduleTrim(): void {}

  /** Producers plus consumers attached (AbstractTopic.currentUsageCount). */
  usageCount(): number {
    let consumers = 0;
    for (const subscription of this.subscriptions.values()) consumers += subscription.consumers().length;
    return this.producers.size + consumers;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const producer of [...this.producers.values()]) producer.close();
    for (const subscription of this.subscriptions.values()) {
      for (const consumer of [...subscription.consumers()]) consumer.sender.sendCloseConsumer(consumer.id);
      subscription.deleted = true;
    }
  }

  private dropSubscription(subscription: NonPersistentSubscription): void {
    subscription.deleted = true;
    if (this.subscriptions.get(subscription.name) === subscription) this.subscriptions.delete(subscription.name);
  }
}
