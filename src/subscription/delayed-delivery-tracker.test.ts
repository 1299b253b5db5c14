import { describe, expect, it } from 'vitest';
import { silentLogger } from '../config/logger.js';
import { createMemoryStorage, createMemoryStorageData } from '../storage/memory-storage.js';
import { ManualClock } from '../test-support/manual-clock.js';
import { seededRandom } from '../test-support/key-shared-harness.js';
import { DelayedDeliveryTracker, type DelayedIndex } from './delayed-delivery-tracker.js';
import { createDelayedIndex } from './delayed-index.js';

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

function open(clock: ManualClock, index?: DelayedIndex, maxInMemory = 1000, tickMs = 1000) {
  let wakeups = 0;
  const tracker = new DelayedDeliveryTracker(clock, { tickMs, maxInMemory }, index, () => wakeups++, silentLogger);
  return { tracker, wakeups: () => wakeups };
}

describe('DelayedDeliveryTracker', () => {
  it('holds only future entries and never releases one before its time', () => {
    const clock = new ManualClock(10_000);
    const { tracker, wakeups } = open(clock);
    expect(tracker.hold(1, 10_000, 0)).toBe(false);
    expect(tracker.hold(2, 12_500, 7)).toBe(true);
    expect(tracker.hold(2, 12_500, 7)).toBe(true);
    expect(tracker.hold(3, 11_000, 0)).toBe(true);
    clock.advance(999);
    expect(tracker.hasDue()).toBe(false);
    expect(tracker.takeDue(10)).toEqual([]);
    clock.advance(1);
    expect(wakeups()).toBe(1);
    expect(tracker.takeDue(10)).toEqual([{ key: 3, tag: 0 }]);
    clock.advance(1499);
    expect(tracker.takeDue(10)).toEqual([]);
    clock.advance(1);
    expect(tracker.takeDue(10)).toEqual([{ key: 2, tag: 7 }]);
    expect(tracker.inMemoryCount).toBe(0);
  });

  it('counts the entries it holds (msgDelayed), in memory and in the index, once each', async () => {
    const clock = new ManualClock(0);
    const storage = createMemoryStorage();
    const index = createDelayedIndex(storage.indexes, 'delayed/t/count', silentLogger);
    const { tracker } = open(clock, index, 20, 10);
    await settle();
    expect(tracker.heldCount).toBe(0);
    for (let key = 0; key < 100; key++) tracker.hold(key, 1000 + key, 0);
    tracker.hold(5, 1005, 0);
    expect(tracker.hold(100, 0, 0)).toBe(false);
    await settle();
    expect(tracker.inMemoryCount).toBeLessThanOrEqual(20);
    expect(tracker.heldCount).toBe(100);
    let released = 0;
    while (released < 100 && clock.now() < 5000) {
      clock.advance(10);
      await settle();
      released += tracker.takeDue(1000).length;
      expect(tracker.heldCount).toBe(100 - released);
    }
    expect(released).toBe(100);
    expect(tracker.heldCount).toBe(0);
  });

  it('wakes the dispatcher at most once per tick, and within one tick of an entry\'s time', () => {
    const clock = new ManualClock(0);
    const { tracker, wakeups } = open(clock, undefined, 1000, 1000);
    for (let i = 0; i < 10; i++) tracker.hold(i, 100 + i * 100, 0);
    clock.advance(100);
    expect(wakeups()).toBe(1);
    expect(tracker.takeDue(100)).toHaveLength(1);
    // The next tick is one tick after the last run (t=1100): entry 1 (t=200) waits at most one tick.
    clock.advance(999);
    expect(wakeups()).toBe(1);
    clock.advance(1);
    expect(wakeups()).toBe(2);
    expect(tracker.takeDue(100).map((d) => d.key)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('keeps at most maxInMemory entries, pages the rest from the index, and releases all in time order', async () => {
    const clock = new ManualClock(0);
    const storage = createMemoryStorage();
    const index = createDelayedIndex(storage.indexes, 'delayed/t/s', silentLogger);
    const { tracker } = open(clock, index, 20, 10);
    await settle();
    const random = seededRandom(5);
    const times = new Map<number, number>();
    for (let key = 0; key < 300; key++) {
      const at = 1 + Math.floor(random() * 10_000);
      times.set(key, at);
      tracker.hold(key, at, key % 7);
      expect(tracker.inMemoryCount).toBeLessThanOrEqual(20);
      if (key % 50 === 0) await settle();
    }
    await settle();
    const released: Array<[number, number]> = [];
    while (released.length < 300 && clock.now() < 20_000) {
      clock.advance(10);
      await settle();
      for (const due of tracker.takeDue(1000)) {
        expect(due.tag).toBe(due.key % 7);
        const at = times.get(due.key)!;
        expect(at).toBeLessThanOrEqual(clock.now());
        expect(clock.now() - at).toBeLessThan(10 + 10);
        released.push([at, due.key]);
      }
      expect(tracker.inMemoryCount).toBeLessThanOrEqual(20);
    }
    expect(released).toHaveLength(300);
    expect(new Set(released.map(([, key]) => key)).size).toBe(300);
    expect(released.map(([at]) => at)).toEqual([...released.map(([at]) => at)].sort((a, b) => a - b));
  });

  it('finds spilled entries again after a restart from the persistent index', async () => {
    const data = createMemoryStorageData();
    const clock = new ManualClock(0);
    let storage = createMemoryStorage({ data });
    const first = open(clock, createDelayedIndex(storage.indexes, 'delayed/t/s', silentLogger), 4).tracker;
    await settle();
    for (let key = 0; key < 12; key++) first.hold(key, 1000 + key, 0);
    await settle();
    const keptInMemory = first.inMemoryCount;
    first.close();
    await storage.close();
    storage = createMemoryStorage({ data });
    const second = open(clock, createDelayedIndex(storage.indexes, 'delayed/t/s', silentLogger), 4).tracker;
    await settle();
    clock.advance(2000);
    const keys: number[] = [];
    for (let round = 0; round < 10; round++) {
      keys.push(...second.takeDue(100).map((d) => d.key));
      await settle();
    }
    // The first half stayed in memory and is gone with it: the dispatcher re-reads those from the backlog.
    expect(keys).toEqual([...keys].sort((a, b) => a - b));
    expect(keys).toContain(11);
    expect(keys).toHaveLength(12 - keptInMemory);
  });
});
