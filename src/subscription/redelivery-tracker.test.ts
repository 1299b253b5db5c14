import { describe, expect, it } from 'vitest';
import { positionKey } from './positions.js';
import { RedeliveryTracker } from './redelivery-tracker.js';

const key = (entryId: number) => positionKey({ ledgerId: 3, entryId });

describe('RedeliveryTracker', () => {
  it('counts 1, 2, … per entry and forgets an entry once removed', () => {
    const tracker = new RedeliveryTracker();
    expect(tracker.countOf(key(1))).toBe(0);
    expect(tracker.increment(key(1))).toBe(1);
    expect(tracker.increment(key(1))).toBe(2);
    expect(tracker.increment(key(2))).toBe(1);
    expect(tracker.countOf(key(1))).toBe(2);
    tracker.remove(key(1));
    expect(tracker.countOf(key(1))).toBe(0);
    expect(tracker.size).toBe(1);
  });

  it('drops every entry at or before a mark-delete position', () => {
    const tracker = new RedeliveryTracker();
    for (const e of [1, 2, 5, 9]) tracker.increment(key(e));
    tracker.removeUpTo({ ledgerId: 3, entryId: 5 });
    expect([1, 2, 5, 9].map((e) => tracker.countOf(key(e)))).toEqual([0, 0, 0, 1]);
    tracker.clear();
    expect(tracker.size).toBe(0);
  });
});
