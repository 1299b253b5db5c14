import type { Entry, Position } from '../storage/types.js';
import type { Consumer } from './consumer.js';
import { Dispatcher, nextPositionAfter, type DispatchContext } from './dispatcher.js';
import { isBefore, positionFromKey, positionKey } from './positions.js';

/**
 * Shared: entries go round-robin to consumers with permits, highest priority level (lowest number)
 * first. Entries to deliver again (redelivery, a consumer that left) are replayed before new ones.
 */
export class SharedDispatcher extends Dispatcher {
  /** Position keys to deliver again, replayed in position order. */
  private readonly replay = new Set<number>();
  /** Redelivery count per entry, incremented on explicit redelivery only (Pulsar InMemoryRedeliveryTracker). */
  private readonly redeliveryCounts = new Map<number, number>();
  /** Which consumer holds each unacknowledged entry. */
  private readonly owner = new Map<number, Consumer>();
  private nextConsumer = 0;

  constructor(ctx: DispatchContext) {
    super(ctx);
  }

  addConsumer(consumer: Consumer): void {
    this.consumers.push(consumer);
    this.trigger();
  }

  removeConsumer(consumer: Consumer): void {
    const at = this.consumers.indexOf(consumer);
    if (at < 0) return;
    this.consumers.splice(at, 1);
    // Its unacknowledged entries go to the others first, without counting as a redelivery.
    for (const key of consumer.pending.keys()) {
      this.owner.delete(key);
      this.replay.add(key);
    }
    consumer.pending.clear();
    consumer.unackedMessages = 0;
    this.trigger();
  }

  redeliver(consumer: Consumer, positions: Position[] | undefined): void {
    const keys = positions ? positions.map(positionKey) : [...consumer.pending.keys()];
    for (const key of keys) {
      if (!consumer.untrackPending(key)) continue;
      this.owner.delete(key);
      this.redeliveryCounts.set(key, (this.redeliveryCounts.get(key) ?? 0) + 1);
      this.replay.add(key);
    }
    this.trigger();
  }

  acked(consumer: Consumer | undefined, position: Position): void {
    const key = positionKey(position);
    const holder = this.owner.get(key) ?? consumer;
    holder?.untrackPending(key);
    this.owner.delete(key);
    this.redeliveryCounts.delete(key);
    this.replay.delete(key);
    if (holder && !holder.blocked) this.trigger();
  }

  reset(): void {
    for (const consumer of this.consumers) {
      consumer.pending.clear();
      consumer.unackedMessages = 0;
      consumer.blocked = false;
    }
    this.owner.clear();
    this.replay.clear();
    this.redeliveryCounts.clear();
    this.trigger();
  }

  unackedOf(consumer: Consumer): number {
    return consumer.unackedMessages;
  }

  protected async dispatchOnce(): Promise<void> {
    while (!this.closed && this.pickConsumer()) {
      const progressed = this.replay.size > 0 ? await this.dispatchReplay() : await this.dispatchNew();
      if (!progressed) return;
    }
  }

  private async dispatchReplay(): Promise<boolean> {
    const { cursor, ledger } = this.ctx;
    const keys = [...this.replay].sort((a, b) => a - b).slice(0, this.ctx.readBatchSize);
    let progressed = false;
    for (const key of keys) {
      this.replay.delete(key);
      const position = positionFromKey(key);
      if (cursor.isAcked(position)) continue;
      const [entry] = await ledger.read(position, 1);
      if (!entry || entry.position.ledgerId !== position.ledgerId || entry.position.entryId !== position.entryId) continue;
      if (cursor.isAcked(position) || this.owner.has(key)) continue;
      const consumer = this.pickConsumer();
      if (!consumer) {
        this.replay.add(key);
        return progressed;
      }
      this.send(consumer, entry, key);
      progressed = true;
    }
    return true;
  }

  private async dispatchNew(): Promise<boolean> {
    const { cursor, ledger, readBatchSize } = this.ctx;
    const from = cursor.readPosition;
    if (!this.hasEntriesFrom(from)) return false;
    const generation = cursor.generation;
    const entries = await ledger.read(from, Math.min(readBatchSize, Math.max(1, this.totalPermits())));
    if (generation !== cursor.generation || this.closed) return true;
    if (entries.length === 0) return false;
    for (const entry of entries) {
      const key = positionKey(entry.position);
      if (!cursor.isAcked(entry.position) && !this.owner.has(key)) {
        const consumer = this.pickConsumer();
        if (!consumer) return false;
        this.send(consumer, entry, key);
      }
      if (isBefore(cursor.readPosition, nextPositionAfter(entry))) cursor.readPosition = nextPositionAfter(entry);
    }
    return true;
  }

  private send(consumer: Consumer, entry: Entry, key: number): void {
    const messages = this.deliver(consumer, entry, this.redeliveryCounts.get(key) ?? 0);
    consumer.trackPending(key, { position: entry.position, messages });
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
