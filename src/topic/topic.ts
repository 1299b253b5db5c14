import { BrokerError } from '../errors.js';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { defaultConfig } from '../config/config.js';
import type { Logger } from '../config/logger.js';
import { readEntryMetadata, messagesInEntry } from '../protocol/peek.js';
import { InitialPosition, SubType, type MessageMetadata, type SubTypeCode } from '../protocol/wire-types.js';
import type { CursorState, CursorStore, IndexStore, Ledger, MetadataStore, Position } from '../storage/types.js';
import { Consumer, type ConsumerSender } from '../subscription/consumer.js';
import { Cursor } from '../subscription/cursor.js';
import { createDelayedIndex, delayedIndexSpace } from '../subscription/delayed-index.js';
import type { DelayedDeliverySetup } from '../subscription/dispatcher.js';
import type { KeySharedMeta } from '../subscription/key-shared-meta.js';
import { isBefore, previousOf } from '../subscription/positions.js';
import { Subscription } from '../subscription/subscription.js';
import {
  DEFAULT_DEDUPLICATION_SETTINGS, MessageDeduplication, type DeduplicationSettings, type DupStatus, type SequenceId,
} from './deduplication.js';
import type { ProducerHandle } from './producer.js';
import type { TopicName } from './topic-name.js';
import { STANDALONE_TOPIC_POLICIES, type TopicPolicies } from './topic-policies.js';
import { backlogQuotaError, trimPosition } from './topic-upkeep.js';

export interface TopicSettings {
  readonly readBatchSize: number;
  readonly failoverDelayMs: number;
  readonly cursorFlushIntervalMs: number;
  readonly maxUnackedMessagesPerConsumer: number;
  readonly allowAutoSubscriptionCreation: boolean;
  /** Time for delayed delivery, expiry, retention and snapshots (default: the system clock). */
  readonly clock?: Clock;
  /** acknowledgmentAtBatchIndexLevelEnabled (default true here; false in Pulsar 4.0). */
  readonly batchIndexAck?: boolean;
  /** maxUnackedMessagesPerSubscription (Pulsar 200000; 0 = no limit). */
  readonly maxUnackedMessagesPerSubscription?: number;
  /** delayedDeliveryEnabled, delayedDeliveryTickTimeMillis, and how many delayed entries a subscription keeps in memory. */
  readonly delayedDelivery?: { readonly enabled: boolean; readonly tickMs: number; readonly maxInMemory: number };
  readonly deduplication?: DeduplicationSettings;
  /** Broker-level policies (namespace policies override them); default: Pulsar's standalone.conf. */
  readonly defaultPolicies?: TopicPolicies;
}

/** Stores beside the ledger that some features need; absent ones switch those features off (unit tests). */
export interface TopicServices {
  readonly metadata?: MetadataStore;
  readonly indexes?: IndexStore;
}

/** Who published an entry: what deduplication checks and records. */
export interface PublishOrigin {
  readonly producerName: string;
  readonly sequenceId: SequenceId;
  readonly highestSequenceId: SequenceId;
  readonly metadata: MessageMetadata | undefined;
}

const DEFAULT_DELAYED_DELIVERY = {
  enabled: defaultConfig.delayedDeliveryEnabled,
  tickMs: defaultConfig.delayedDeliveryTickTimeMillis,
  maxInMemory: defaultConfig.delayedDeliveryMaxIndexesInMemory,
};

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

/** Metadata key of a terminated topic's last position. */
export const terminatedKey = (topic: string): string => `terminated/${topic}`;

/** How often a terminated topic checks whether consumers reached its end. */
const REACHED_END_CHECK_MS = 200;

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
  /** Entries appended since the topic was loaded (ManagedLedger entriesAddedCounter). */
  entriesAddedCounter = 0;
  /** When this topic was loaded: Pulsar opens a new ledger then (lastLedgerCreatedTimestamp). */
  readonly loadedAtMs: number;
  /** The last entry of a terminated topic (PersistentTopic.terminate); undefined while it takes messages. */
  terminatedAt: Position | undefined;
  private terminating: Promise<Position> | undefined;
  /** The latest append: appends resolve in order, so awaiting it waits for every append under way. */
  private lastAppend: Promise<unknown> = Promise.resolve();
  private reachedEndTimer: TimerHandle | undefined;
  private readonly notifiedEnd = new WeakSet<Consumer>();
  /** What this topic acts on: the namespace's policies over the broker's (applyPolicies()). */
  policies: TopicPolicies = STANDALONE_TOPIC_POLICIES;
  readonly deduplication: MessageDeduplication | undefined;
  readonly clock: Clock;
  private trimScheduled = false;
  private closed = false;

  constructor(
    readonly topicName: TopicName,
    readonly ledger: Ledger,
    private readonly cursorStore: CursorStore,
    private readonly settings: TopicSettings,
    private readonly logger: Logger,
    persistedCursors: Map<string, CursorState>,
    private readonly services: TopicServices = {},
  ) {
    this.name = topicName.full;
    this.clock = settings.clock ?? systemClock;
    this.loadedAtMs = this.clock.now();
    this.deduplication = services.metadata
      ? new MessageDeduplication(this.name, ledger, services.metadata, settings.deduplication ?? DEFAULT_DEDUPLICATION_SETTINGS,
        this.clock, logger)
      : undefined;
    for (const [name, state] of persistedCursors) this.subscriptions.set(name, this.newSubscription(name, true, state));
  }

  /** Takes on new policies; enabling deduplication recovers its state before it resolves. */
  async applyPolicies(policies: TopicPolicies): Promise<void> {
    this.policies = policies;
    await this.deduplication?.setEnabled(policies.deduplicationEnabled);
  }

  /** Durable append; resolves after fsync. Wakes every subscription. */
  async publish(entry: Buffer, messages: number, origin?: PublishOrigin): Promise<Position> {
    if (this.closed) throw new BrokerError('ServiceNotReady', `Topic ${this.name} is closing`);
    if (this.terminatedAt || this.terminating) throw new BrokerError('TopicTerminatedError', `Topic ${this.name} has been terminated`);
    let position: Position;
    try {
      const append = this.ledger.append(entry);
      this.lastAppend = append;
      position = await append;
    } catch (error) {
      this.deduplication?.writeFailed();
      throw error;
    }
    if (origin) {
      this.deduplication?.persisted(origin.producerName, origin.sequenceId, origin.highestSequenceId, origin.metadata, position);
    }
    this.msgInCounter += messages;
    this.bytesInCounter += entry.length;
    this.entriesAddedCounter++;
    for (const sub of this.subscriptions.values()) sub.notify();
    return position;
  }

  /** MessageDeduplication.isDuplicate for a SEND about to be published. */
  checkDuplicate(origin: PublishOrigin): DupStatus {
    return this.deduplication?.check(origin.producerName, origin.sequenceId, origin.highestSequenceId, origin.metadata) ?? 'NotDup';
  }

  /** PRODUCER_SUCCESS.last_sequence_id: -1 unless deduplication is on. */
  lastSequenceId(producerName: string): SequenceId {
    return this.deduplication?.lastSequenceId(producerName) ?? -1;
  }

  async addProducer(producer: ProducerHandle): Promise<void> {
    if (this.terminatedAt || this.terminating) throw new BrokerError('TopicTerminatedError', 'Topic was already terminated');
    // A new producer is refused while the backlog is over quota (PersistentTopic.checkBacklogQuotaExceeded).
    const refusal = await backlogQuotaError(this);
    if (refusal) throw refusal;
    const existing = this.producers.get(producer.name);
    if (existing) {
      const reconnect = existing.connectionId === producer.connectionId && existing.producerId === producer.producerId;
      if (!reconnect && (await existing.isAlive()) && this.producers.get(producer.name) === existing) {
        throw new BrokerError('ProducerBusy', `Producer with name '${producer.name}' is already connected to topic '${this.name}'`);
      }
      existing.close();
    }
    this.producers.set(producer.name, producer);
    this.deduplication?.producerAdded(producer.name);
  }

  removeProducer(producer: ProducerHandle): void {
    if (this.producers.get(producer.name) !== producer) return;
    this.producers.delete(producer.name);
    this.deduplication?.producerRemoved(producer.name);
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
    await this.services.indexes?.removeSpaces(delayedIndexSpace(this.name, subscription.name));
    this.scheduleTrim();
  }

  /**
   * Admin: a durable subscription without consumers whose next entry is `next`
   * (PersistentTopicsBase.internalCreateSubscription). The caller checks the name is free.
   */
  async createDurableSubscription(name: string, next: Position): Promise<Subscription> {
    const markDelete = previousOf(next);
    const subscription = this.newSubscription(name, true, { markDelete, individuallyDeleted: [], properties: {} });
    this.subscriptions.set(name, subscription);
    subscription.cursor.resetTo(next, markDelete); // marks the cursor dirty, so flush persists it
    await subscription.flush();
    return subscription;
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

  /** Reads the persisted termination (a terminated topic stays terminated across restarts). */
  async recoverTermination(): Promise<void> {
    const stored = await this.services.metadata?.get<Position>(terminatedKey(this.name));
    if (stored) this.terminatedAt = { ledgerId: stored.ledgerId, entryId: stored.entryId };
    if (this.terminatedAt) this.watchReachedEnd();
  }

  /**
   * PersistentTopic.terminate: no more messages are accepted (producers are disconnected and refused with
   * TopicTerminatedError when they come back), and consumers that acknowledged everything get
   * REACHED_END_OF_TOPIC. Answers the last entry; terminating again answers the same.
   */
  async terminate(): Promise<Position> {
    if (this.terminatedAt) return this.terminatedAt;
    // A failed termination (its state could not be persisted) leaves the topic open again.
    this.terminating ??= this.terminateAfterAppends().catch((error: unknown) => {
      this.terminating = undefined;
      throw error;
    });
    return this.terminating;
  }

  /** New publishes are refused already; appends under way complete first, as ManagedLedger.asyncTerminate waits for them. */
  private async terminateAfterAppends(): Promise<Position> {
    await this.lastAppend.catch(() => undefined);
    const last = this.ledger.lastPosition() ?? previousOf(this.ledger.nextPosition());
    await this.services.metadata?.put(terminatedKey(this.name), last);
    this.terminatedAt = last;
    for (const producer of [...this.producers.values()]) producer.close();
    this.watchReachedEnd();
    return last;
  }

  /**
   * Pulsar's dispatchers tell consumers of a terminated topic that they reached the end once their
   * subscription has no backlog left (PersistentDispatcherMultipleConsumers/SingleActiveConsumer on
   * NoMoreEntriesToReadException); here a light periodic check does it for every dispatcher alike.
   */
  private watchReachedEnd(): void {
    this.reachedEndTimer?.cancel();
    if (this.closed) return;
    this.notifyReachedEnd();
    this.reachedEndTimer = this.clock.schedule(() => this.watchReachedEnd(), REACHED_END_CHECK_MS);
  }

  private notifyReachedEnd(): void {
    for (const subscription of this.subscriptions.values()) {
      if (subscription.cursor.backlogEntries() > 0) continue;
      for (const consumer of subscription.consumers()) {
        if (!this.notifiedEnd.has(consumer) && consumer.sender.sendReachedEndOfTopic?.(consumer.id)) this.notifiedEnd.add(consumer);
      }
    }
  }

  /** After acks, delete whole segments that every durable subscription has passed. */
  scheduleTrim(): void {
    if (this.trimScheduled || this.closed) return;
    this.trimScheduled = true;
    this.clock.schedule(() => {
      this.trimScheduled = false;
      void this.trim();
    }, 1000);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reachedEndTimer?.cancel();
    for (const producer of this.producers.values()) producer.close();
    for (const sub of this.subscriptions.values()) {
      for (const consumer of [...sub.consumers()]) consumer.sender.sendCloseConsumer(consumer.id);
      await sub.flush();
      sub.close();
    }
    await this.deduplication?.close().catch((error) => this.logger.warn(`closing deduplication of ${this.name}`, error));
    await this.ledger.close();
  }

  /** The first unacknowledged entry of the slowest durable subscription, if there is one. */
  slowestFirstUnacked(): Position | undefined {
    let slowest: Position | undefined;
    for (const sub of this.subscriptions.values()) {
      if (!sub.durable) continue;
      const next = sub.cursor.firstUnacked();
      if (!slowest || isBefore(next, slowest)) slowest = next;
    }
    return slowest;
  }

  /** Deletes the segments no subscription, deduplication or retention needs any more. */
  private async trim(): Promise<void> {
    try {
      const cut = await trimPosition(this);
      if (cut) await this.ledger.trimBefore(cut);
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
      batchIndexAck: this.settings.batchIndexAck ?? true,
      maxUnackedMessagesPerSubscription: this.settings.maxUnackedMessagesPerSubscription ?? 200_000,
      delayedDelivery: this.delayedSetup(name, durable),
    });
  }

  private delayedSetup(subscription: string, durable: boolean): DelayedDeliverySetup | undefined {
    const delayed = this.settings.delayedDelivery ?? DEFAULT_DELAYED_DELIVERY;
    if (!delayed.enabled) return undefined;
    const indexes = this.services.indexes;
    const space = delayedIndexSpace(this.name, subscription);
    return {
      clock: this.clock,
      options: { tickMs: delayed.tickMs, maxInMemory: delayed.maxInMemory },
      ...(durable && indexes ? { index: (kind: string) => createDelayedIndex(indexes, `${space}${kind}.`, this.logger) } : {}),
    };
  }
}
