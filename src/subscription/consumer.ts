import type { AckSetWord } from '../protocol/ack-set-wire.js';
import type { Position } from '../storage/types.js';
import type { SubTypeCode } from '../protocol/wire-types.js';
import type { KeySharedMeta } from './key-shared-meta.js';
import type { UnackedLimit } from './unacked-limit.js';

/** What a subscription needs from the connection a consumer lives on (implemented in broker/). */
export interface ConsumerSender {
  /** `ackSet`: a partly acknowledged batch; the client skips the messages whose bit is cleared. */
  sendMessage(consumerId: number, position: Position, partition: number, redeliveryCount: number, entry: Buffer,
    ackSet?: readonly AckSetWord[]): void;
  sendActiveConsumerChange(consumerId: number, isActive: boolean): void;
  /** Broker-initiated close: the client re-subscribes (seek, unload, subscription deleted). */
  sendCloseConsumer(consumerId: number): void;
  /** REACHED_END_OF_TOPIC: the topic was terminated and the consumer has everything. False if not sent (yet). */
  sendReachedEndOfTopic?(consumerId: number): boolean;
  /** False while the socket's write buffer is over its high-water mark. */
  isWritable(): boolean;
  /** Probes the connection (PING, wait for any reply); a connection that stays silent is closed. */
  isAlive(): Promise<boolean>;
  readonly remoteAddress: string;
}

export interface PendingEntry {
  readonly position: Position;
  /** Messages of the entry still unacknowledged by this consumer (fewer than the batch after batch-index acks). */
  messages: number;
  /** Messages the entry carries (its batch size). */
  readonly batchSize?: number;
}

export interface ConsumerOptions {
  readonly id: number;
  readonly name: string;
  readonly subType: SubTypeCode;
  readonly priorityLevel: number;
  readonly sender: ConsumerSender;
  readonly maxUnackedMessages: number;
  /** Key_Shared only: mode, STICKY ranges, out-of-order policy from SUBSCRIBE. */
  readonly keySharedMeta?: KeySharedMeta;
}

/** One subscriber on one connection: permits granted by FLOW and, for Shared, entries awaiting ack. */
export class Consumer {
  readonly id: number;
  readonly name: string;
  readonly subType: SubTypeCode;
  readonly priorityLevel: number;
  readonly sender: ConsumerSender;
  readonly keySharedMeta: KeySharedMeta | undefined;
  readonly connectedSince = new Date();
  /** May go negative: a whole batch is sent even when it overshoots (Pulsar Consumer.sendMessages). */
  permits = 0;
  /** Entries delivered and not yet acknowledged, by position key (Shared only). */
  readonly pending = new Map<number, PendingEntry>();
  unackedMessages = 0;
  /** maxUnackedMessagesPerConsumer reached; unblocked at half (Pulsar Consumer). */
  private blockedOnOwnUnacked = false;
  /** The subscription-wide limit (Shared/Key_Shared), shared by its consumers. */
  private subscriptionLimit: UnackedLimit | undefined;
  msgOutCounter = 0;
  bytesOutCounter = 0;
  private readonly maxUnackedMessages: number;

  constructor(options: ConsumerOptions) {
    this.id = options.id;
    this.name = options.name;
    this.subType = options.subType;
    this.priorityLevel = options.priorityLevel;
    this.sender = options.sender;
    this.maxUnackedMessages = options.maxUnackedMessages;
    this.keySharedMeta = options.keySharedMeta;
  }

  /** Blocked by its own or by the subscription's unacknowledged-messages limit. */
  get blocked(): boolean {
    return this.blockedOnOwnUnacked || (this.subscriptionLimit?.blocked ?? false);
  }

  set blocked(value: boolean) {
    this.blockedOnOwnUnacked = value;
  }

  attachSubscriptionLimit(limit: UnackedLimit): void {
    this.subscriptionLimit = limit;
  }

  canReceive(): boolean {
    return this.permits > 0 && !this.blocked && this.sender.isWritable();
  }

  trackPending(key: number, entry: PendingEntry): void {
    this.pending.set(key, entry);
    this.addUnacked(entry.messages);
  }

  /** Returns the pending entry removed, if this consumer had it. */
  untrackPending(key: number): PendingEntry | undefined {
    const entry = this.pending.get(key);
    if (!entry) return undefined;
    this.pending.delete(key);
    this.addUnacked(-entry.messages);
    return entry;
  }

  /** Some messages of a pending batch entry were acknowledged (batch-index ack). */
  ackedInPending(key: number, messages: number): void {
    const entry = this.pending.get(key);
    if (!entry || messages <= 0) return;
    const acked = Math.min(messages, entry.messages);
    entry.messages -= acked;
    this.addUnacked(-acked);
  }

  /** Forgets every pending entry (the consumer left, or the subscription was reset). */
  clearPending(): void {
    this.addUnacked(-this.unackedMessages);
    this.pending.clear();
  }

  private addUnacked(delta: number): void {
    this.unackedMessages += delta;
    this.subscriptionLimit?.add(delta);
    if (this.maxUnackedMessages <= 0) return;
    if (this.unackedMessages >= this.maxUnackedMessages) this.blockedOnOwnUnacked = true;
    else if (this.blockedOnOwnUnacked && this.unackedMessages <= this.maxUnackedMessages / 2) this.blockedOnOwnUnacked = false;
  }
}
