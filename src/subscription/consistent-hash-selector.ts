import { ringSlotOf } from './sticky-key.js';

/** Picks the consumer for a slot; Pulsar's StickyKeyConsumerSelector. */
export interface StickyKeySelector<C> {
  /** The slot of a sticky key in this selector's range. */
  slotOf(key: Uint8Array): number;
  /** Throws BrokerError('ConsumerAssignError') when the consumer cannot be placed. */
  addConsumer(consumer: C): void;
  removeConsumer(consumer: C): void;
  select(slot: number): C | undefined;
}

/** subscriptionKeySharedConsistentHashingReplicaPoints default. */
export const DEFAULT_POINTS_PER_CONSUMER = 100;

interface RingPoint<C> {
  selected: C;
  /** Later consumers whose point landed here; the first takes over when `selected` leaves (HashRingPointEntry). */
  colliding: C[];
}

/**
 * AUTO_SPLIT's default selector (Pulsar 4.x ConsistentHashingStickyKeyConsumerSelector): each consumer
 * puts `points` points on a ring over [1, 65535]; a slot belongs to the first point at or after it,
 * wrapping around. Adding or removing a consumer only moves the slots next to its own points.
 */
export class ConsistentHashSelector<C extends { readonly name: string }> implements StickyKeySelector<C> {
  /** Point slots in ascending order, for binary search. */
  private sorted: number[] = [];
  private readonly ring = new Map<number, RingPoint<C>>();
  private readonly nameIndexes = new ConsumerNameIndexes<C>();
  /** Each consumer's point slots, so leaving does not hash again. */
  private readonly pointsOf = new Map<C, number[]>();

  constructor(private readonly points = DEFAULT_POINTS_PER_CONSUMER) {}

  slotOf(key: Uint8Array): number {
    return ringSlotOf(key);
  }

  addConsumer(consumer: C): void {
    if (this.pointsOf.has(consumer)) return;
    const slots = pointSlots(consumer.name, this.nameIndexes.add(consumer), this.points);
    this.pointsOf.set(consumer, slots);
    const added: number[] = [];
    for (const slot of slots) {
      const existing = this.ring.get(slot);
      if (existing) {
        existing.colliding.push(consumer);
      } else {
        this.ring.set(slot, { selected: consumer, colliding: [] });
        added.push(slot);
      }
    }
    this.sorted = mergeSorted(this.sorted, added.sort((a, b) => a - b));
  }

  removeConsumer(consumer: C): void {
    const slots = this.pointsOf.get(consumer);
    if (!slots) return;
    this.pointsOf.delete(consumer);
    this.nameIndexes.remove(consumer);
    let removed = false;
    for (const slot of slots) {
      const point = this.ring.get(slot);
      if (!point) continue;
      if (point.selected !== consumer) {
        point.colliding = point.colliding.filter((c) => c !== consumer);
        continue;
      }
      const next = point.colliding.shift();
      if (next) {
        point.selected = next;
      } else {
        this.ring.delete(slot);
        removed = true;
      }
    }
    if (removed) this.sorted = this.sorted.filter((slot) => this.ring.has(slot));
  }

  select(slot: number): C | undefined {
    if (this.sorted.length === 0) return undefined;
    const at = lowerBound(this.sorted, slot);
    const point = this.sorted[at < this.sorted.length ? at : 0]!;
    return this.ring.get(point)!.selected;
  }
}

/** Slots of UTF8(name + "\0" + nameIndex + "\0" + i), i < count (calculateHashForConsumerAndIndex). */
function pointSlots(name: string, nameIndex: number, count: number): number[] {
  const prefix = Buffer.from(`${name}\0${nameIndex}\0`, 'utf8');
  const key = Buffer.alloc(prefix.length + 10);
  prefix.copy(key);
  const slots: number[] = [];
  for (let i = 0; i < count; i++) {
    const digits = key.write(String(i), prefix.length, 'latin1');
    slots.push(ringSlotOf(key.subarray(0, prefix.length + digits)));
  }
  return slots;
}

function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const merged: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) merged.push(j >= b.length || (i < a.length && a[i]! < b[j]!) ? a[i++]! : b[j++]!);
  return merged;
}

/** First index whose value is >= target. */
function lowerBound(sorted: readonly number[], target: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < target) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Consumers sharing a name get distinct indexes 0, 1, 2… (lowest free one first), so their ring
 * points differ (Pulsar ConsumerNameIndexTracker).
 */
class ConsumerNameIndexes<C extends { readonly name: string }> {
  private readonly byName = new Map<string, Map<C, number>>();

  add(consumer: C): number {
    let used = this.byName.get(consumer.name);
    if (!used) this.byName.set(consumer.name, (used = new Map()));
    const known = used.get(consumer);
    if (known !== undefined) return known;
    const taken = new Set(used.values());
    let index = 0;
    while (taken.has(index)) index++;
    used.set(consumer, index);
    return index;
  }

  remove(consumer: C): number | undefined {
    const used = this.byName.get(consumer.name);
    const index = used?.get(consumer);
    if (!used || index === undefined) return undefined;
    used.delete(consumer);
    if (used.size === 0) this.byName.delete(consumer.name);
    return index;
  }
}
