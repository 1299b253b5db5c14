import type { Position } from '../storage/types.js';
import type { SubTypeCode } from '../protocol/wire-types.js';
import type { KeySharedMeta } from './key-shared-meta.js';

/** What a subscription needs from the connection a consumer lives on (implemented in broker/). */
export interface ConsumerSender {
  sendMessage(consumerId: number, position: Position, partition: number, redeliveryCount: number, entry: Buffer): void;
  sendActiveConsumerChange(consumerId: number, isActive: boolean): void;
  /** Broker-initiated close: the client re-subscribes (seek, unload, subscription deleted). */
  sendCloseConsumer(consumerId: number): void;
  /** False while the socket's write buffer is over its high-water mark. */
  isWritable(): boolean;
  /** Probes the connection (PING, wait for any reply); a connection that stays silent is closed. */
  isAlive(): Promise<boolean>;
  readonly remoteAddress: string;
}

export interface PendingEntry {
  readonly position: Position;
  readonly messages: number;
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
  blocked = false;
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

  canReceive(): boolean {
    return this.permits > 0 && !this.blocked && this.sender.isWritable();
  }

  trackPending(key: number, entry: PendingEntry): void {
    this.pending.set(key, entry);
    this.unackedMessages += entry.messages;
    if (this.maxUnackedMessages > 0 && this.unackedMessages >= this.maxUnackedMessages) this.blocked = true;
  }

  /** Returns the pending entry removed, if this consumer had it. */
  untrackPending(key: number): PendingEntry | undefined {
    const entry = this.pending.get(key);
    if (!entry) return undefined;
    this.pending.delete(key);
    this.unackedMessages -= entry.messages;
    if (this.blocked && this.unackedMessages <= this.maxUnackedMessages / 2) this.blocked = false;
    return entry;
  }
}
