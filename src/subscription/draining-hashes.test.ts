import { describe, expect, it } from 'vitest';
import { DrainingHashes } from './draining-hashes.js';
import { ReplayQueue } from './replay-queue.js';

describe('DrainingHashes', () => {
  it('blocks other consumers until every entry of the slot left its previous owner', () => {
    const draining = new DrainingHashes<string>();
    draining.add('old', 7);
    draining.add('old', 7);
    expect(draining.blocks('new', 7)).toBe(true);
    expect(draining.release('new', 7)).toBe(false);
    expect(draining.release('old', 7)).toBe(false);
    expect(draining.blocks('new', 7)).toBe(true);
    expect(draining.release('old', 7)).toBe(true);
    expect(draining.blocks('new', 7)).toBe(false);
    expect(draining.size).toBe(0);
  });

  it('stops draining when the slot returns to its draining consumer or that consumer leaves', () => {
    const draining = new DrainingHashes<string>();
    draining.add('old', 1);
    draining.add('old', 2);
    draining.add('other', 3);
    expect(draining.blocks('old', 1)).toBe(false);
    expect(draining.has(1)).toBe(false);
    draining.ownersChanged([], (hash) => (hash === 3 ? 'other' : 'someone'));
    expect([...draining.hashes()]).toEqual([2]);
    draining.removeConsumer('old');
    expect(draining.size).toBe(0);
  });

  it('drains each slot a holder lost, once per unacknowledged entry, and leaves draining slots alone', () => {
    const draining = new DrainingHashes<string>();
    draining.add('a', 9);
    const owner = new Map([[1, 'a'], [2, 'b'], [9, 'b']]);
    draining.ownersChanged([['a', [1, 2, 2, 9]], ['b', [2]]], (hash) => owner.get(hash));
    expect(draining.release('a', 2)).toBe(false);
    expect(draining.release('a', 2)).toBe(true);
    expect(draining.release('a', 9)).toBe(true);
    expect(draining.size).toBe(0);
  });

  it('refuses a second consumer on one slot', () => {
    const draining = new DrainingHashes<string>();
    draining.add('a', 1);
    expect(() => draining.add('b', 1)).toThrow();
  });
});

describe('ReplayQueue', () => {
  it('yields entries in position order, tracks slots and skips deleted keys', () => {
    const queue = new ReplayQueue();
    queue.add(30, 1);
    queue.add(10, 2);
    queue.add(20, 1);
    expect([...queue.inOrder()]).toEqual([[10, 2], [20, 1], [30, 1]]);
    expect(queue.delete(20)).toBe(true);
    expect(queue.containsHash(1)).toBe(true);
    queue.delete(30);
    expect(queue.containsHash(1)).toBe(false);
    expect([...queue.inOrder()]).toEqual([[10, 2]]);
    queue.add(5, 3);
    expect([...queue.inOrder()].map(([key]) => key)).toEqual([5, 10]);
    expect(queue.additions).toBe(4);
  });
});
