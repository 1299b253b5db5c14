import { messagesInEntry, readEntryMetadata } from '../protocol/peek.js';
import type { MessageMetadata } from '../protocol/wire-types.js';
import type { Entry, Position } from '../storage/types.js';
import { ConsistentHashSelector, type StickyKeySelector } from './consistent-hash-selector.js';
import type { Consumer } from './consumer.js';
import type { DelayedDeliveryTracker } from './delayed-delivery-tracker.js';
import { Dispatcher, nextPositionAfter, type DispatchContext } from './dispatcher.js';
import { DrainingHashes } from './draining-hashes.js';
import { HashRangeSelector } from './hash-range-selector.js';
import {
  DEFAULT_KEY_SHARED_META, KeySharedMode, checkKeySharedCompatibility, sameKeySharedPolicy, type KeySharedMeta,
} from './key-shared-meta.js';
import { isBefore, positionKey } from './positions.js';
import { RedeliveryTracker } from './redelivery-tracker.js';
import { ReplayQueue } from './replay-queue.js';
import { stickyKeyOf } from './sticky-key.js';

export interface KeySharedOptions {
  /** The policy of the consumer that created the dispatcher; every later consumer must match it. */
  readonly meta: KeySharedMeta;
  /** keySharedLookAheadMsgInReplayThresholdPerConsumer (Pulsar 4.0 default). */
  readonly lookAheadPerConsumer?: number;
  /** keySharedLookAheadMsgInReplayThresholdPerSubscription (Pulsar 4.0 default). */
  readonly lookAheadPerSubscription?: number;
  /** How a consumer is named in "Range conflict with consumer …". */
  readonly describeConsumer?: (consumer: Consumer) => string;
}

const DEFAULT_LOOK_AHEAD_PER_CONSUMER = 2_000;
const DEFAULT_LOOK_AHEAD_PER_SUBSCRIPTION = 20_000;
/** Used when both look-ahead limits are disabled: maxUnackedMessagesPerSubscription's default. */
const LOOK_AHEAD_FALLBACK = 200_000;
const NONE_KEY = Buffer.from('NONE_KEY', 'utf8');

interface InFlight {
  readonly consumer: Consumer;
  readonly hash: number;
}

/** What one pass over freshly read entries saw (filterAndGroupEntriesForDispatching). */
interface ReadRound {
  readonly lookAheadAllowed: boolean;
  /** Slots held back in this read: later entries of them are held back too, to keep order. */
  readonly blockedHashes: Set<number>;
  /** Consumers with permits that got nothing because their slot was draining or waiting in replay. */
  readonly blockedByHash: Set<Consumer>;
  readonly seen: Set<Consumer>;
  sent: number;
}

type Outcome = 'idle' | 'sent' | 'retry' | 'lookAhead' | 'stalled';

/** What a consumer could take when the replay queue was last scanned. */
interface Checkpoint {
  /** Permits granted by FLOW so far: only grows, and only with FLOW (deliveries move permits to msgOut). */
  readonly granted: number;
  readonly ready: boolean;
}

function metaOf(consumer: Consumer): KeySharedMeta {
  return consumer.keySharedMeta ?? DEFAULT_KEY_SHARED_META;
}

function checkpointOf(consumer: Consumer): Checkpoint {
  return { granted: consumer.permits + consumer.msgOutCounter, ready: !consumer.blocked && consumer.sender.isWritable() };
}

/**
 * Key_Shared (Pulsar 4.x PersistentStickyKeyDispatcherMultipleConsumers): every entry goes to the
 * consumer its sticky key's slot maps to. Entries that cannot go now (no permits, no covering consumer,
 * an older entry of the slot waiting, the slot draining at its previous owner) wait in the replay
 * queue, which is served first and in position order. Normal reads may run ahead of blocked slots
 * ("look-ahead") until the replay queue reaches its limit, so one stuck consumer stalls only its keys.
 */
export class KeySharedDispatcher extends Dispatcher {
  readonly meta: KeySharedMeta;
  private readonly selector: StickyKeySelector<Consumer>;
  private readonly drainingRequired: boolean;
  private readonly draining = new DrainingHashes<Consumer>();
  private readonly replay = new ReplayQueue();
  private readonly inFlight = new Map<number, InFlight>();
  private readonly redeliveries = new RedeliveryTracker();
  /** Holds entries with a future deliver_at_time; the tag it keeps is the entry's hash slot. */
  private readonly delayed: DelayedDeliveryTracker | undefined;
  private readonly lookAheadPerConsumer: number;
  private readonly lookAheadPerSubscription: number;
  /**
   * Whether a replay scan can find something: it is skipped after a scan until something that can
   * unblock a waiting entry happens (new owners, redelivery, an ack that ends draining, more permits).
   * New entries alone cannot, and scanning a full queue on every publish would cost O(queue) each.
   */
  private replayStale = true;
  private readonly replayCheckpoints = new Map<Consumer, Checkpoint>();
  private skipNextReplay = false;

  constructor(ctx: DispatchContext, options: KeySharedOptions) {
    super(ctx);
    this.meta = options.meta;
    this.lookAheadPerConsumer = options.lookAheadPerConsumer ?? DEFAULT_LOOK_AHEAD_PER_CONSUMER;
    this.lookAheadPerSubscription = options.lookAheadPerSubscription ?? DEFAULT_LOOK_AHEAD_PER_SUBSCRIPTION;
    const describe = options.describeConsumer ?? ((c: Consumer) => `Consumer{consumerId=${c.id}, consumerName=${c.name}}`);
    // Ranges are exclusive in STICKY, so only AUTO_SPLIT needs draining (drainingHashesRequired).
    this.drainingRequired = this.meta.mode === KeySharedMode.AUTO_SPLIT && !this.meta.allowOutOfOrderDelivery;
    this.selector = this.meta.mode === KeySharedMode.STICKY
      ? new HashRangeSelector<Consumer>((c) => metaOf(c).hashRanges, describe)
      : new ConsistentHashSelector<Consumer>();
    // Tags are hash slots, which differ between selectors: one index space per mode.
    this.delayed = this.createDelayedTracker(this.meta.mode === KeySharedMode.STICKY ? 'ks' : 'ka');
  }

  /** Throws ConsumerBusy when `consumer` asks for another mode or out-of-order policy. */
  checkCompatible(consumer: Consumer): void {
    checkKeySharedCompatibility(this.meta, metaOf(consumer));
  }

  hasSamePolicy(consumer: Consumer): boolean {
    return sameKeySharedPolicy(this.meta, metaOf(consumer));
  }

  /** STICKY: a consumer whose ranges conflict is probed first; a dead one loses its ranges (Pulsar checkConnectionLiveness). */
  async evictDeadRangeOwners(consumer: Consumer): Promise<void> {
    const selector = this.selector;
    if (!(selector instanceof HashRangeSelector) || metaOf(consumer).mode !== KeySharedMode.STICKY) return;
    for (let probes = 0; probes < this.consumers.length; probes++) {
      const conflict = selector.findConflict(metaOf(consumer).hashRanges);
      if (!conflict || (await conflict.sender.isAlive())) return;
      this.removeConsumer(conflict);
    }
  }

  addConsumer(consumer: Consumer): void {
    this.selector.addConsumer(consumer);
    this.consumers.push(consumer);
    this.ownersChanged(consumer);
    this.replayStale = true;
    this.trigger();
  }

  removeConsumer(consumer: Consumer): void {
    const at = this.consumers.indexOf(consumer);
    if (at < 0) return;
    this.consumers.splice(at, 1);
    this.selector.removeConsumer(consumer);
    // Its unacknowledged entries are delivered again first, and count as redelivered: the issue asks for
    // it (a consumer crashing on a message sends it to the DLQ in the end); Pulsar 4.0 does not count them.
    for (const key of consumer.pending.keys()) {
      const flight = this.inFlight.get(key);
      this.inFlight.delete(key);
      this.redeliveries.increment(key);
      if (flight) this.replay.add(key, flight.hash);
    }
    consumer.clearPending();
    this.draining.removeConsumer(consumer);
    this.replayCheckpoints.delete(consumer);
    this.replayStale = true;
    if (this.consumers.length === 0) {
      // Like Pulsar with no consumers left: forget per-key state and read again from the first unacked entry.
      this.replay.clear();
      this.draining.clear();
      this.ctx.cursor.rewind();
    } else {
      this.ownersChanged(undefined);
    }
    this.trigger();
  }

  redeliver(consumer: Consumer, positions: Position[] | undefined): void {
    const keys = positions ? positions.map(positionKey) : [...consumer.pending.keys()];
    for (const key of keys) {
      const flight = this.inFlight.get(key);
      if (!flight || flight.consumer !== consumer) continue;
      this.inFlight.delete(key);
      consumer.untrackPending(key);
      this.draining.release(consumer, flight.hash);
      this.redeliveries.increment(key);
      this.replay.add(key, flight.hash);
    }
    this.replayStale = true;
    this.trigger();
  }

  acked(_consumer: Consumer | undefined, position: Position): void {
    const key = positionKey(position);
    let wake = this.replay.delete(key);
    this.redeliveries.remove(key);
    const flight = this.inFlight.get(key);
    if (flight) {
      this.inFlight.delete(key);
      const wasBlocked = flight.consumer.blocked;
      flight.consumer.untrackPending(key);
      if (this.draining.release(flight.consumer, flight.hash)) wake = true;
      if (wasBlocked && !flight.consumer.blocked) wake = true;
    }
    // Acks elsewhere change nothing a blocked entry waits for, so they do not wake the dispatcher.
    if (!wake) return;
    this.replayStale = true;
    this.trigger();
  }

  override ackedPartially(consumer: Consumer, position: Position, messages: number): void {
    const key = positionKey(position);
    const holder = this.inFlight.get(key)?.consumer ?? consumer;
    const wasBlocked = holder.blocked;
    holder.ackedInPending(key, messages);
    if (wasBlocked && !holder.blocked) {
      this.replayStale = true;
      this.trigger();
    }
  }

  override forgetUpTo(markDelete: Position): void {
    this.redeliveries.removeUpTo(markDelete);
  }

  reset(): void {
    this.clearConsumersPending();
    this.inFlight.clear();
    this.replay.clear();
    this.draining.clear();
    this.redeliveries.clear();
    this.delayed?.clear();
    this.replayStale = true;
    this.trigger();
  }

  override close(): void {
    super.close();
    this.delayed?.close();
  }

  /** Sizes of the per-key state, all bounded by what is in flight (stats and tests). */
  keyState(): { inFlight: number; replay: number; draining: number; redeliveryCounts: number } {
    return { inFlight: this.inFlight.size, replay: this.replay.size, draining: this.draining.size, redeliveryCounts: this.redeliveries.size };
  }

  protected async dispatchOnce(): Promise<void> {
    while (!this.closed && this.consumers.length > 0) {
      this.releaseDueDelayed();
      if (this.replay.size > 0 && !this.skipNextReplay && this.replayMayProgress()) {
        if ((await this.replayRound()) !== 'stalled') continue;
      }
      this.skipNextReplay = false;
      if (!this.normalReadAllowed()) return;
      const outcome = await this.normalRound();
      if (outcome === 'idle' || outcome === 'stalled') return;
      // Everything read was held back while a consumer could take more: read further, not replay.
      this.skipNextReplay = outcome === 'lookAhead';
    }
  }

  /** Delayed entries whose time came join the replay queue with their cached slot, within the look-ahead limit. */
  private releaseDueDelayed(): void {
    const room = Math.min(this.ctx.readBatchSize, this.lookAheadLimit() - this.replay.size);
    if (!this.delayed || room <= 0 || !this.delayed.hasDue()) return;
    for (const { key, tag } of this.delayed.takeDue(room)) this.replay.add(key, tag);
    this.replayStale = true;
  }

  /** PIP-379: slots that moved away from a consumer still holding entries of them start draining. */
  private ownersChanged(joined: Consumer | undefined): void {
    if (!this.drainingRequired) return;
    const holders = this.consumers.filter((c) => c !== joined).map((c): [Consumer, number[]] => [c, this.pendingHashes(c)]);
    this.draining.ownersChanged(holders, (hash) => this.selector.select(hash));
  }

  private pendingHashes(consumer: Consumer): number[] {
    const hashes: number[] = [];
    for (const key of consumer.pending.keys()) {
      const flight = this.inFlight.get(key);
      if (flight) hashes.push(flight.hash);
    }
    return hashes;
  }

  private async normalRound(): Promise<Outcome> {
    const { cursor, ledger } = this.ctx;
    const from = cursor.readPosition;
    if (!this.hasEntriesFrom(from)) return 'idle';
    const generation = cursor.generation;
    const limit = this.lookAheadLimit();
    const maxEntries = Math.max(1, Math.min(this.ctx.readBatchSize, this.totalPermits(), limit - this.replay.size));
    const round: ReadRound = {
      lookAheadAllowed: this.replay.size < limit, blockedHashes: new Set(), blockedByHash: new Set(), seen: new Set(), sent: 0,
    };
    const entries = await ledger.read(from, maxEntries);
    if (this.closed || generation !== cursor.generation) return 'retry';
    if (entries.length === 0) return 'idle';
    for (const entry of entries) {
      this.route(entry, round);
      const next = nextPositionAfter(entry);
      if (isBefore(cursor.readPosition, next)) cursor.readPosition = next;
    }
    if (round.sent > 0) return 'sent';
    return round.lookAheadAllowed && this.lookAheadUseful(round) ? 'lookAhead' : 'stalled';
  }

  /** Sends a freshly read entry to its slot's consumer, or parks it in the replay queue. */
  private route(entry: Entry, round: ReadRound): void {
    const key = positionKey(entry.position);
    if (this.ctx.cursor.isAcked(entry.position) || this.inFlight.has(key) || this.replay.has(key)) return;
    const { hash, messages, metadata } = this.inspect(entry);
    const delay = metadata ? { deliverAt: Number(metadata.deliver_at_time ?? 0), markerType: metadata.marker_type ?? 0 } : undefined;
    if (this.holdIfDelayed(this.delayed, entry, delay, hash)) return;
    if (!round.blockedHashes.has(hash)) {
      const consumer = this.selector.select(hash);
      if (consumer) {
        round.seen.add(consumer);
        if (consumer.canReceive()) {
          if (this.mayDeliverNew(consumer, hash)) {
            this.send(consumer, entry, key, hash, messages);
            round.sent++;
            return;
          }
          round.blockedByHash.add(consumer);
        } else {
          // Parked because this consumer could not take it: its next FLOW or drained socket must rescan replay.
          this.replayCheckpoints.set(consumer, checkpointOf(consumer));
        }
      }
      round.blockedHashes.add(hash);
    }
    this.replay.add(key, hash);
  }

  /** canDispatchEntry for a normal read: an older entry of the slot waiting, or the slot draining elsewhere, blocks it. */
  private mayDeliverNew(consumer: Consumer, hash: number): boolean {
    if (!this.meta.allowOutOfOrderDelivery && this.replay.containsHash(hash)) return false;
    return !(this.drainingRequired && this.draining.blocks(consumer, hash));
  }

  /** Look-ahead helps when a consumer with permits got nothing from this read. */
  private lookAheadUseful(round: ReadRound): boolean {
    for (const consumer of round.blockedByHash) if (consumer.canReceive()) return true;
    return this.consumers.some((c) => !round.seen.has(c) && c.canReceive());
  }

  private replayMayProgress(): boolean {
    if (this.replayStale) return true;
    return this.consumers.some((c) => {
      const before = this.replayCheckpoints.get(c);
      const now = checkpointOf(c);
      return !before || now.granted > before.granted || (now.ready && !before.ready);
    });
  }

  /** Replays waiting entries in position order; a slot blocked once stays blocked for the pass. */
  private async replayRound(): Promise<Outcome> {
    const { cursor } = this.ctx;
    this.replayStale = false;
    for (const consumer of this.consumers) this.replayCheckpoints.set(consumer, checkpointOf(consumer));
    const picked = this.pickReplayable();
    if (picked.length === 0) return 'stalled';
    if (picked.length >= this.ctx.readBatchSize) this.replayStale = true;
    const additions = this.replay.additions;
    const generation = cursor.generation;
    const entries = await this.readPositions(picked.map(([key]) => key));
    // An older entry may have joined the queue during the read: start over to keep order (Pulsar minReplayedPosition).
    if (this.closed || generation !== cursor.generation || additions !== this.replay.additions) {
      this.replayStale = true;
      return 'retry';
    }
    const sent = this.sendReplayed(picked, entries);
    // A consumer that stopped being ready during the read may have blocked entries: its return must rescan.
    for (const [consumer, before] of this.replayCheckpoints) {
      if (before.ready && !checkpointOf(consumer).ready) this.replayCheckpoints.set(consumer, { ...before, ready: false });
    }
    return sent > 0 ? 'sent' : 'stalled';
  }

  private sendReplayed(picked: Array<[number, number]>, entries: Array<Entry | undefined>): number {
    const blocked = new Set<number>();
    let sent = 0;
    picked.forEach(([key, hash], i) => {
      const entry = entries[i];
      if (!this.replay.has(key)) return;
      if (!entry || this.ctx.cursor.isAcked(entry.position)) {
        this.replay.delete(key);
        return;
      }
      const consumer = blocked.has(hash) ? undefined : this.selector.select(hash);
      if (!consumer || !consumer.canReceive() || (this.drainingRequired && this.draining.blocks(consumer, hash))) {
        blocked.add(hash);
        return;
      }
      this.replay.delete(key);
      this.send(consumer, entry, key, hash, undefined);
      sent++;
    });
    return sent;
  }

  /** Which waiting entries could go now, filtered by owner and its permits before reading (ReplayPositionFilter). */
  private pickReplayable(): Array<[number, number]> {
    const picked: Array<[number, number]> = [];
    const blocked = new Set<number>();
    const budget = new Map<Consumer, number>();
    for (const [key, hash] of this.replay.inOrder()) {
      if (picked.length >= this.ctx.readBatchSize) break;
      if (blocked.has(hash)) continue;
      const consumer = this.selector.select(hash);
      const permits = consumer ? budget.get(consumer) ?? (consumer.canReceive() ? consumer.permits : 0) : 0;
      if (!consumer || permits <= 0 || (this.drainingRequired && this.draining.blocks(consumer, hash))) {
        blocked.add(hash);
        continue;
      }
      budget.set(consumer, permits - 1);
      picked.push([key, hash]);
    }
    return picked;
  }

  private send(consumer: Consumer, entry: Entry, key: number, hash: number, messages: number | undefined): void {
    const { messages: sent, batchSize } = this.deliver(consumer, entry, this.redeliveries.countOf(key), messages);
    consumer.trackPending(key, { position: entry.position, messages: sent, batchSize });
    this.inFlight.set(key, { consumer, hash });
  }

  /** The entry's slot, computed once (then cached with the entry in flight or in replay), and its message count. */
  private inspect(entry: Entry): { hash: number; messages: number | undefined; metadata?: MessageMetadata } {
    try {
      const metadata = readEntryMetadata(entry.data);
      return { hash: this.selector.slotOf(stickyKeyOf(metadata)), messages: messagesInEntry(metadata), metadata };
    } catch {
      // deliver() logs the unreadable metadata when it counts the messages.
      return { hash: this.selector.slotOf(NONE_KEY), messages: undefined };
    }
  }

  /** Also waits while the delayed index is behind with its writes (reading on would pile up more). */
  private normalReadAllowed(): boolean {
    if (this.delayed?.congested()) return false;
    return this.replay.size < this.lookAheadLimit() && this.consumers.some((c) => c.canReceive());
  }

  private totalPermits(): number {
    return this.consumers.reduce((sum, c) => sum + (c.canReceive() ? c.permits : 0), 0);
  }

  /** getEffectiveLookAheadLimit: per consumer × consumers, capped per subscription. */
  private lookAheadLimit(): number {
    const perConsumer = this.lookAheadPerConsumer;
    const perSubscription = this.lookAheadPerSubscription;
    let limit = perConsumer <= 0 ? perSubscription : perConsumer * this.consumers.length;
    if (perConsumer > 0 && perSubscription > 0 && perSubscription < limit) limit = perSubscription;
    return limit > 0 ? limit : LOOK_AHEAD_FALLBACK;
  }
}
