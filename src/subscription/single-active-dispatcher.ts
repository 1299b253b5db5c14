import { SubType } from '../protocol/wire-types.js';
import type { Consumer } from './consumer.js';
import { Dispatcher, nextPositionAfter, type DispatchContext } from './dispatcher.js';
import { murmur3Positive } from './murmur3.js';

/** Points per consumer on the Failover hash ring (Pulsar CONSUMER_CONSISTENT_HASH_REPLICAS). */
const RING_POINTS_PER_CONSUMER = 100;

/**
 * Exclusive and Failover: one active consumer gets everything, in order. A consumer that becomes
 * active starts again from the first unacknowledged entry (Pulsar rewinds the cursor).
 */
export class SingleActiveDispatcher extends Dispatcher {
  private active: Consumer | undefined;
  private switchTimer: NodeJS.Timeout | undefined;

  constructor(ctx: DispatchContext, private readonly topicName: string, private readonly failoverDelayMs: number) {
    super(ctx);
  }

  activeConsumer(): Consumer | undefined {
    return this.active;
  }

  addConsumer(consumer: Consumer): void {
    this.consumers.push(consumer);
    if (!this.pickActive()) {
      // Pulsar tells a newcomer who is active when the choice did not change.
      if (this.active) consumer.sender.sendActiveConsumerChange(consumer.id, consumer === this.active);
    }
  }

  removeConsumer(consumer: Consumer): void {
    const at = this.consumers.indexOf(consumer);
    if (at < 0) return;
    this.consumers.splice(at, 1);
    if (this.active === consumer) this.active = undefined;
    this.pickActive();
  }

  redeliver(consumer: Consumer): void {
    // Exclusive/Failover ignore the ids and resend everything unacknowledged, in order.
    if (consumer !== this.active) return;
    this.ctx.cursor.rewind();
    this.trigger();
  }

  acked(): void {}

  reset(): void {
    this.trigger();
  }

  override close(): void {
    super.close();
    clearTimeout(this.switchTimer);
  }

  protected async dispatchOnce(): Promise<void> {
    const { cursor, ledger, readBatchSize } = this.ctx;
    for (;;) {
      const consumer = this.active;
      if (!consumer || this.switchTimer || !consumer.canReceive() || this.closed) return;
      const from = cursor.readPosition;
      if (!this.hasEntriesFrom(from)) return;
      const generation = cursor.generation;
      const entries = await ledger.read(from, Math.min(readBatchSize, Math.max(1, consumer.permits)));
      if (generation !== cursor.generation || consumer !== this.active || this.closed) continue;
      if (entries.length === 0) return;
      for (const entry of entries) {
        if (!cursor.isAcked(entry.position)) this.deliver(consumer, entry, 0);
      }
      cursor.readPosition = nextPositionAfter(entries[entries.length - 1]!);
    }
  }

  /** Returns true when the active consumer changed. */
  private pickActive(): boolean {
    const chosen = this.choose();
    const previous = this.active;
    if (chosen === previous) return false;
    this.active = chosen;
    if (!chosen) return true;
    for (const c of this.consumers) c.sender.sendActiveConsumerChange(c.id, c === chosen);
    this.ctx.cursor.rewind();
    // A previous active consumer may still be working through its queue: give it time to ack
    // before the newcomer receives the same messages (activeConsumerFailoverDelayTimeMillis).
    if (previous && this.consumers.includes(previous) && this.failoverDelayMs > 0) {
      clearTimeout(this.switchTimer);
      this.switchTimer = setTimeout(() => {
        this.switchTimer = undefined;
        this.ctx.cursor.rewind();
        this.trigger();
      }, this.failoverDelayMs);
      this.switchTimer.unref();
    } else {
      this.trigger();
    }
    return true;
  }

  private choose(): Consumer | undefined {
    if (this.consumers.length === 0) return undefined;
    if (this.consumers[0]!.subType === SubType.Exclusive) return this.consumers[0];
    const sorted = [...this.consumers].sort((a, b) => a.priorityLevel - b.priorityLevel || compareNames(a.name, b.name));
    const top = sorted.filter((c) => c.priorityLevel === sorted[0]!.priorityLevel);
    if (this.ctx.partitionIndex >= 0) return top[this.ctx.partitionIndex % top.length];
    return top[this.ringIndex(top)];
  }

  /** Non-partitioned topics pick the consumer on a consistent-hash ring of consumer names (Pulsar ≥ 3.0). */
  private ringIndex(candidates: Consumer[]): number {
    const ring: Array<[number, number]> = [];
    candidates.forEach((c, index) => {
      for (let j = 0; j < RING_POINTS_PER_CONSUMER; j++) ring.push([murmur3Positive(c.name + j), index]);
    });
    ring.sort((a, b) => a[0] - b[0]);
    const point = murmur3Positive(this.topicName);
    const found = ring.find(([hash]) => hash >= point) ?? ring[0]!;
    return found[1];
  }
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
