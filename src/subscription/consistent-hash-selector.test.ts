import { describe, expect, it } from 'vitest';
import { ConsistentHashSelector } from './consistent-hash-selector.js';
import { seededRandom } from '../test-support/key-shared-harness.js';
import { ringSlotOf } from './sticky-key.js';

interface C { readonly name: string; readonly tag: string }
const consumer = (name: string, tag = name): C => ({ name, tag });
const point = (name: string, index: number, i: number) => ringSlotOf(Buffer.from(`${name}\0${index}\0${i}`, 'utf8'));

/** Owner of every slot 1..65535. */
function owners(selector: ConsistentHashSelector<C>): Array<C | undefined> {
  const result: Array<C | undefined> = [];
  for (let slot = 1; slot <= 65535; slot++) result.push(selector.select(slot));
  return result;
}

describe('ConsistentHashSelector (AUTO_SPLIT ring)', () => {
  it('selects the first point at or after the slot, wrapping to the smallest', () => {
    const selector = new ConsistentHashSelector<C>();
    const a = consumer('a');
    const b = consumer('b');
    selector.addConsumer(a);
    selector.addConsumer(b);
    const ring = [...Array(100).keys()].flatMap((i) => [[point('a', 0, i), a], [point('b', 0, i), b]] as Array<[number, C]>);
    ring.sort((x, y) => x[0] - y[0]);
    for (const slot of [1, 2, 1000, 30000, 65534, 65535, ...ring.map(([p]) => p), ...ring.map(([p]) => p + 1)]) {
      if (slot > 65535) continue;
      const expected = (ring.find(([p]) => p >= slot) ?? ring[0]!)[1];
      expect(selector.select(slot)).toBe(expected);
    }
  });

  it('is empty without consumers', () => {
    expect(new ConsistentHashSelector<C>().select(5)).toBeUndefined();
  });

  it('never moves a slot between two other consumers when one joins or leaves', () => {
    const selector = new ConsistentHashSelector<C>();
    const members = [0, 1, 2, 3, 4].map((i) => consumer(`consumer-${i}`));
    members.forEach((c) => selector.addConsumer(c));
    const before = owners(selector);
    const newcomer = consumer('consumer-5');
    selector.addConsumer(newcomer);
    const afterAdd = owners(selector);
    expect(afterAdd.filter((owner, slot) => owner !== before[slot] && owner !== newcomer)).toEqual([]);
    expect(afterAdd.filter((o) => o === newcomer).length).toBeGreaterThan(0);
    selector.removeConsumer(members[2]!);
    const afterRemove = owners(selector);
    const moved = afterRemove.filter((owner, slot) => (afterAdd[slot] === members[2] ? owner === members[2] : owner !== afterAdd[slot]));
    expect(moved).toEqual([]);
    selector.removeConsumer(newcomer);
    selector.addConsumer(members[2]!);
    expect(owners(selector)).toEqual(before);
  });

  it('spreads random keys within ±20 % of the mean over 4 consumers', () => {
    const selector = new ConsistentHashSelector<C>();
    const members = [1, 2, 3, 4].map((i) => consumer(`consumer-${i}`));
    members.forEach((c) => selector.addConsumer(c));
    const random = seededRandom(7);
    const counts = new Map<C, number>();
    const keys = 40_000;
    for (let i = 0; i < keys; i++) {
      const owner = selector.select(ringSlotOf(Buffer.from(`key-${Math.floor(random() * 1e9)}`)))!;
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    for (const c of members) expect(Math.abs(counts.get(c)! - keys / 4)).toBeLessThan(keys / 4 * 0.2);
  });

  it('gives consumers that share a name the lowest free name index', () => {
    const selector = new ConsistentHashSelector<C>();
    const [x0, x1, x2] = ['0', '1', '2'].map((t) => consumer('same', t)) as [C, C, C];
    [x0, x1, x2].forEach((c) => selector.addConsumer(c));
    expect(selector.select(point('same', 1, 7))).toBe(x1);
    selector.removeConsumer(x1);
    const again = consumer('same', 'again');
    selector.addConsumer(again);
    expect(selector.select(point('same', 1, 7))).toBe(again);
    expect(selector.select(point('same', 2, 7))).toBe(x2);
  });

  it('keeps a taken point with its owner; the colliding newcomer takes over when the owner leaves', () => {
    const names = [...Array(40).keys()].map((i) => `c${i}`);
    const firstClaim = new Map<number, string>();
    let collision: { slot: number; owner: string; newcomer: string } | undefined;
    for (const name of names) {
      for (let i = 0; i < 100 && !collision; i++) {
        const slot = point(name, 0, i);
        const owner = firstClaim.get(slot);
        if (owner !== undefined && owner !== name) collision = { slot, owner, newcomer: name };
        else firstClaim.set(slot, name);
      }
      if (collision) break;
    }
    expect(collision).toBeDefined();
    const { slot, owner, newcomer } = collision!;
    const selector = new ConsistentHashSelector<C>();
    const byName = new Map(names.slice(0, names.indexOf(newcomer) + 1).map((n) => [n, consumer(n)]));
    for (const c of byName.values()) selector.addConsumer(c);
    expect(selector.select(slot)!.name).toBe(owner);
    selector.removeConsumer(byName.get(owner)!);
    expect(selector.select(slot)!.name).toBe(newcomer);
  });
});
