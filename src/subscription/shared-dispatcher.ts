import type { Entry, Position } from '../storage/types.js';
import type { Consumer } from './consumer.js';
import type { DelayedDeliveryTracker } from './delayed-delivery-tracker.js';
import { Dispatcher, nextPositionAfter, type DispatchContext } from './dispatcher.js';
import { isBefore, positionFromKey, positionKey } from './positions.js';
import { RedeliveryTracker } from './redelivery-tracker.js';

/**
 * Shared: entries go round-robin to consumers with permits, highest priority level (lowest number)
 * first. Entries to deliver again (redelivery, a consumer that left) are replayed before new ones.
 */
export class SharedDispatcher extends Dispatcher {
  /** Position keys to deliver again, replayed in position order. */
  private readonly replay = new Set<number>();
  private readonly redeliveries = new RedeliveryTracker();
  /** Which consumer holds each unacknowledged entry. */
  private readonly owner = new Map<number, Consumer>();
  private readonly delayed: DelayedDeliveryTracker | undefined;
  private nextConsumer = 0;

  constructor(ctx: DispatchContext) {
    super(ctx);
    this.delayed = this.createDelayedTracker('s');
  }

  addConsumer(consumer: Consumer): void {
    this.consumers.push(consumer);
    this.trigger();
  }

  removeConsumer(consumer: Consumer): void {
    const at = this.consumers.indexOf(consumer);
    if (at < 0) return;
    this.consumers.splice(at, 1);
    // Its unacknowledged entries go to the others first. They count as redelivered: the issue asks for
    // it so that a consumer crashing on a message sends it to the DLQ in the end; Pulsar 4.0 does not
    // count them (PersistentDispatcherMultipleConsumers.removeConsumer leaves the redelivery tracker alone).
    for (const key of consumer.pending.keys()) {
      this.owner.delete(key);
      this.replay.add(key);
      this.redeliveries.increment(key);
    }
    consumer.clearPending();
    this.trigger();
  }

  redeliver(consumer: Consumer, positions: Position[] | undefined): void {
    const keys = positions ? positions.map(positionKey) : [...consumer.pending.keys()];
    for (const key of keys) {
      if (!consumer.untrackPending(key)) continue;
      this.owner.delete(key);
      this.redeliveries.increment(key);
      this.replay.add(key);
    }
    this.trigger();
  }

  acked(consumer: Consumer | undefined, position: Position): void {
    const key = positionKey(position);
    const holder = this.owner.get(key) ?? consumer;
    const wasBlocked = holder?.blocked ?? false;
    holder?.untrackPending(key);
    this.owner.delete(key);
    this.redeliveries.remove(key);
    this.replay.delete(key);
    // Acks do not add permits; they only matter to dispatch when they lift an unacked-messages limit.
    if (holder && wasBlocked && !holder.blocked) this.trigger();
  }

  override ackedPartially(consumer: Consumer, position: Position, messages: number): void {
    const key = positionKey(position);
    const holder = this.owner.get(key) ?? consumer;
    const wasBlocked = holder.blocked;
    holder.ackedInPending(key, messages);
    if (wasBlocked && !holder.blocked) this.trigger();
  }

  override forgetUpTo(markDelete: Position): void {
    this.redeliveries.removeUpTo(markDelete);
  }

  reset(): void {
    this.clearConsumersPending();
    this.owner.clear();
    this.replay.clear();
    this.redeliveries.clear();
    this.delayed?.clear();
    this.trigger();
  }

  override close(): void {
    super.close();
    this.delayed?.close();
  }

  unackedOf(consumer: Consumer): number {
    return consumer.unackedMessages;
  }

  protected async dispatchOnce(): Promise<void> {
    while (!this.closed && this.pickConsumer()) {
      this.releaseDueDelayed();
      const progressed = this.replay.size > 0 ? await this.dispatchReplay() : await this.dispatchNew();
      if (!progressed) return;
    }
  }

  /** Delayed entries whose time came are replayed first, like redeliveries (getMessagesToReplayNow). */
  private releaseDueDelayed(): void {
    const room = this.ctx.readBatchSize - this.replay.size;
    if (!this.delayed || room <= 0 || !this.delayed.hasDue()) return;
    for (const { key } of this.delayed.takeDue(room)) this.replay.add(key);
  }

  private async dispatchReplay(): Promise<boolean> {
    const { cursor } = this.ctx;
    const keys = [...this.replay].sort((a, b) => a - b).slice(0, this.ctx.readBatchSize);
    for (const key of keys) this.replay.delete(key);
    const generation = cursor.generation;
    const entries = await this.readPositions(keys.filter((key) => !cursor.isAcked(positionFromKey(key))));
    if (this.closed || generation !== cursor.generation) return true;
    for (const entry of entries) {
      if (!entry) continue;
      const key = positionKey(entry.position);
      if (cursor.isAcked(entry.position) || this.owner.has(key)) continue;
      const fields = this.dispatchFieldsOf(entry);
      if (this.holdIfDelayed(this.delayed, entry, fields, 0)) continue;
      const consumer = this.pickConsumer();
      if (!consumer) {
        // Not sent: back to the replay set, still ahead of new entries.
        for (const left of keys) if (!cursor.isAcked(positionFromKey(left)) && !this.owner.has(left)) this.replay.add(left);
        return true;
      }
      this.send(consumer, entry, key, fields?.messages ?? 1);
    }
    return true;
  }

  private async dispatchNew(): Promise<boolean> {
    const { cursor, ledger, readBatchSize } = this.ctx;
    const from = cursor.readPosition;
    // While the delayed index is behind with its writes, reading on would only pile up more of them.
    if (!this.hasEntriesFrom(from) || this.delayed?.congested()) return false;
    const generation = cursor.generation;
    const entries = await ledger.read(from, Math.min(readBatchSize, Math.max(1, this.totalPermits())));
    if (generation !== cursor.generation || this.closed) return true;
    if (entries.length === 0) return false;
    for (const entry of entries) {
      const key = positionKey(entry.position);
      if (!cursor.isAcked(entry.position) && !this.owner.has(key)) {
        const fields = this.dispatchFieldsOf(entry);
        if (!this.holdIfDelayed(this.delayed, entry, fields, 0)) {
          const consumer = this.pickConsumer();
          if (!consumer) return false;
          this.send(consumer, entry, key, fields?.messages ?? 1);
        }
      }
      if (isBefore(cursor.readPosition, nextPositionAfter(entry))) cursor.readPosition = nextPositionAfter(entry);
    }
    return true;
  }

  private send(consumer: Consumer, entry: Entry, key: number, knownMessages?: number): void {
    const { messages, batchSize } = this.deliver(consumer, entry, this.redeliveries.countOf(key), knownMessages);
    consumer.trackPending(key, { position: entry.position, messages, batchSize });
    this.owner.set(key, consumer);
  }

  private totalPermits(): number {
    return this.consumers.reduce((sum, c) => sum + (c.canReceive() ? c.permits : 0), 0);
  }

  /** Round-robin among the highest-priority consumers that can receive. */
  private pickConsumer(): Consumer | undefined {
    let bestLevel = Infinity;
    for (const c of this.consumers) if (c.canReceive() && c.priorityLevel < bestLevel) bestLevel = c.priorityLevel;
    if (bestLevel === Infinity) return undefined;
    for (let i = 0; i < this.consumers.length; i++) {
      const index = (this.nextConsumer + i) % this.consumers.length;
      const c = this.consumers[index]!;
      if (c.canReceive() && c.priorityLevel === bestLevel) {
        this.nextConsumer = index + 1;
        return c;
      }
    }
    return undefined;
  }
}
