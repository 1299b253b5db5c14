import { describe, expect, it } from 'vitest';
import { ConsistentHashSelector } from './consistent-hash-selector.js';
import { Consumer } from './consumer.js';
import { SubType } from '../protocol/wire-types.js';
import {
  ack, flow, newConsumer, openKeyShared, publish, settle, type KeySharedHarness, type KeyedMessage, type LoggingSender,
} from '../test-support/key-shared-harness.js';
import { KeySharedMode, type KeySharedMeta } from './key-shared-meta.js';
import { positionKey } from './positions.js';
import { rangeSlotOf, ringSlotOf } from './sticky-key.js';

/** Which of `names` owns `key` on the ring, computed independently of the dispatcher. */
function ringOwner(names: string[], key: string): string {
  const selector = new ConsistentHashSelector<{ name: string }>();
  names.forEach((name) => selector.addConsumer({ name }));
  return selector.select(ringSlotOf(Buffer.from(key)))!.name;
}

/** `count` keys `prefix-i` for which `pick` holds. */
function keysWhere(count: number, prefix: string, pick: (key: string) => boolean): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++) if (pick(`${prefix}-${i}`)) keys.push(`${prefix}-${i}`);
  return keys;
}

function messages(keys: string[], firstSequenceId: number): KeyedMessage[] {
  return keys.map((key, i) => ({ sequenceId: firstSequenceId + i, partitionKey: key }));
}

/** Sequence ids delivered to `consumer`, in delivery order. */
function received(h: KeySharedHarness, consumer: Consumer): number[] {
  return h.log.of(consumer.id).map((d) => d.sequenceId);
}

describe('KeySharedDispatcher', () => {
  it('never gives one key to two consumers and keeps per-key order (receiveAndCheckDistribution)', async () => {
    const h = await openKeyShared({ readBatchSize: 50 });
    const consumers = [1, 2, 3].map((id) => newConsumer(h, id, `c${id}`));
    consumers.forEach((c) => { h.dispatcher.addConsumer(c); flow(h, c, 10_000); });
    const batch: KeyedMessage[] = [];
    for (let i = 0; i < 1000; i++) {
      const keyless = i % 10 === 0;
      batch.push({ sequenceId: i, ...(keyless ? {} : { partitionKey: `key-${(i * 7919) % 300}` }), ...(i % 25 === 0 ? { messages: 3 } : {}) });
    }
    const positions = await publish(h, batch);
    await settle();
    const keyOf = new Map(positions.map((p, i) => [positionKey(p), batch[i]!.partitionKey ?? `p-${i}`]));
    const ownerOfKey = new Map<string, number>();
    const lastOfKey = new Map<string, number>();
    for (const d of h.log.deliveries) {
      const key = keyOf.get(positionKey(d.position))!;
      expect(ownerOfKey.get(key) ?? d.consumerId).toBe(d.consumerId);
      ownerOfKey.set(key, d.consumerId);
      expect(positionKey(d.position)).toBeGreaterThan(lastOfKey.get(key) ?? -1);
      lastOfKey.set(key, positionKey(d.position));
    }
    expect(h.log.deliveries).toHaveLength(1000);
    for (const c of consumers) expect(Math.abs(h.log.of(c.id).length - 1000 / 3)).toBeLessThan(1000 / 3 * 0.4);
  });

  it('resumes parked keys when a shared connection drains (socket full mid-read)', async () => {
    const h = await openKeyShared({ readBatchSize: 50 });
    const sender = h.log.sender();
    const consumers = [1, 2, 3].map((id) => new Consumer({
      id, name: `c${id}`, subType: SubType.Key_Shared, priorityLevel: 0, sender, maxUnackedMessages: 0, keySharedMeta: h.dispatcher.meta,
    }));
    consumers.forEach((c) => { h.dispatcher.addConsumer(c); flow(h, c, 10_000); });
    h.log.onDeliver = () => { if (h.log.deliveries.length % 40 === 0) sender.writable = false; };
    await publish(h, Array.from({ length: 300 }, (_, i) => ({ sequenceId: i, partitionKey: `k-${i % 100}` })));
    for (let turn = 0; turn < 50 && h.log.deliveries.length < 300; turn++) {
      await settle();
      sender.writable = true;
      h.dispatcher.trigger();
    }
    expect(h.log.deliveries).toHaveLength(300);
  });

  it('holds keys moved to a newcomer until the old owner closes (testOrderingWhenAddingConsumers)', async () => {
    const h = await openKeyShared();
    const c1 = newConsumer(h, 1, 'c1');
    h.dispatcher.addConsumer(c1);
    flow(h, c1, 100);
    const moving = keysWhere(10, 'k', (key) => ringOwner(['c1', 'c2'], key) === 'c2');
    await publish(h, messages(moving, 0));
    await settle();
    expect(received(h, c1)).toEqual([...Array(10).keys()]);
    const c2 = newConsumer(h, 2, 'c2');
    h.dispatcher.addConsumer(c2);
    flow(h, c2, 100);
    await publish(h, messages(moving, 10));
    await settle();
    expect(received(h, c2)).toEqual([]);
    h.dispatcher.removeConsumer(c1);
    await settle();
    expect(received(h, c2)).toEqual([...Array(20).keys()]);
    // What c1 left unacked counts as redelivered (issue 5; Pulsar 4.0 keeps 0); the rest is new to c2.
    expect(h.log.of(2).map((d) => d.redeliveryCount)).toEqual([...Array(20).keys()].map((i) => (i < 10 ? 1 : 0)));
  });

  it('releases a draining key once the old owner acknowledges it', async () => {
    const h = await openKeyShared();
    const c1 = newConsumer(h, 1, 'c1');
    h.dispatcher.addConsumer(c1);
    flow(h, c1, 100);
    const [key] = keysWhere(1, 'k', (k) => ringOwner(['c1', 'c2'], k) === 'c2');
    const [first] = await publish(h, messages([key!, key!], 0));
    await settle();
    const c2 = newConsumer(h, 2, 'c2');
    h.dispatcher.addConsumer(c2);
    flow(h, c2, 100);
    await publish(h, messages([key!], 2));
    await settle();
    ack(h, c1, first!);
    await settle();
    expect(received(h, c2)).toEqual([]);
    ack(h, c1, h.log.of(1)[1]!.position);
    await settle();
    expect(received(h, c2)).toEqual([2]);
    expect(h.dispatcher.keyState().draining).toBe(0);
  });

  it('gives moved keys to the newcomer at once with allowOutOfOrderDelivery', async () => {
    const meta: KeySharedMeta = { mode: KeySharedMode.AUTO_SPLIT, hashRanges: [], allowOutOfOrderDelivery: true };
    const h = await openKeyShared({ meta });
    const c1 = newConsumer(h, 1, 'c1');
    h.dispatcher.addConsumer(c1);
    flow(h, c1, 100);
    const moving = keysWhere(3, 'k', (key) => ringOwner(['c1', 'c2'], key) === 'c2');
    await publish(h, messages(moving, 0));
    await settle();
    const c2 = newConsumer(h, 2, 'c2');
    h.dispatcher.addConsumer(c2);
    flow(h, c2, 100);
    await publish(h, messages(moving, 3));
    await settle();
    expect(received(h, c2)).toEqual([3, 4, 5]);
  });

  it('redelivers a negatively acknowledged entry before newer entries of its key', async () => {
    const h = await openKeyShared();
    const c1 = newConsumer(h, 1, 'c1');
    h.dispatcher.addConsumer(c1);
    flow(h, c1, 100);
    const positions = await publish(h, messages(['a', 'a', 'a', 'b'], 0));
    await settle();
    h.dispatcher.redeliver(c1, [positions[1]!]);
    await publish(h, messages(['a', 'b'], 4));
    await settle();
    expect(received(h, c1)).toEqual([0, 1, 2, 3, 1, 4, 5]);
    expect(h.log.of(1)[4]!.redeliveryCount).toBe(1);
    h.dispatcher.redeliver(c1, undefined);
    await settle();
    expect(received(h, c1).slice(7)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('replays to a consumer whose socket drained, without new permits', async () => {
    const h = await openKeyShared();
    const c1 = newConsumer(h, 1, 'c1');
    const c2 = newConsumer(h, 2, 'c2');
    h.dispatcher.addConsumer(c1);
    flow(h, c1, 10);
    await publish(h, messages(['a', 'a'], 0));
    await settle();
    const sender = c2.sender as LoggingSender;
    sender.writable = false;
    h.dispatcher.addConsumer(c2);
    flow(h, c2, 10);
    h.dispatcher.removeConsumer(c1);
    await settle();
    expect(received(h, c2)).toEqual([]);
    sender.writable = true;
    h.dispatcher.trigger();
    await settle();
    expect(received(h, c2)).toEqual([0, 1]);
  });

  it('keeps other keys moving while one consumer is stuck (testMakingProgressWithSlowerConsumer)', async () => {
    const h = await openKeyShared({ readBatchSize: 10 });
    const slow = newConsumer(h, 1, 'slow');
    const fast = newConsumer(h, 2, 'fast');
    h.dispatcher.addConsumer(slow);
    h.dispatcher.addConsumer(fast);
    flow(h, slow, 1);
    flow(h, fast, 1000);
    const slowKeys = keysWhere(3, 's', (k) => ringOwner(['slow', 'fast'], k) === 'slow');
    const fastKeys = keysWhere(9, 'f', (k) => ringOwner(['slow', 'fast'], k) === 'fast');
    const keys = [...Array(300).keys()].map((i) => (i % 4 === 0 ? slowKeys[i % 3]! : fastKeys[i % 9]!));
    await publish(h, messages(keys, 0));
    await settle();
    expect(h.log.of(1)).toHaveLength(1);
    expect(h.log.of(2)).toHaveLength(225);
  });

  it('stops reading ahead when the replay queue reaches the look-ahead limit', async () => {
    const h = await openKeyShared({ readBatchSize: 5, lookAheadPerConsumer: 5, lookAheadPerSubscription: 8 });
    const stuck = newConsumer(h, 1, 'slow');
    const fast = newConsumer(h, 2, 'fast');
    h.dispatcher.addConsumer(stuck);
    h.dispatcher.addConsumer(fast);
    flow(h, fast, 1000);
    const [slowKey] = keysWhere(1, 's', (k) => ringOwner(['slow', 'fast'], k) === 'slow');
    const [fastKey] = keysWhere(1, 'f', (k) => ringOwner(['slow', 'fast'], k) === 'fast');
    const keys = [...Array(40).keys()].map((i) => (i % 2 === 0 ? slowKey! : fastKey!));
    await publish(h, messages(keys, 0));
    await settle();
    expect(h.dispatcher.keyState().replay).toBe(8);
    expect(h.log.of(2).length).toBeLessThan(20);
    flow(h, stuck, 1000);
    await settle();
    expect(received(h, stuck)).toEqual(keys.flatMap((k, i) => (k === slowKey ? [i] : [])));
    expect(received(h, fast)).toEqual(keys.flatMap((k, i) => (k === fastKey ? [i] : [])));
  });

  it('STICKY: a slot nobody covers waits for a covering consumer, then goes in order', async () => {
    const sticky = (start: number, end: number): KeySharedMeta => ({ mode: KeySharedMode.STICKY, hashRanges: [{ start, end }], allowOutOfOrderDelivery: false });
    const h = await openKeyShared({ meta: sticky(0, 0) });
    const slot = rangeSlotOf(Buffer.from('key-1'));
    const low = newConsumer(h, 1, 'low', sticky(slot + 1, 65535));
    h.dispatcher.addConsumer(low);
    flow(h, low, 100);
    await publish(h, messages(['key-1', 'key-1', 'p-7'], 0));
    await settle();
    expect(received(h, low)).toEqual([2]);
    expect(() => h.dispatcher.addConsumer(newConsumer(h, 9, 'bad', sticky(slot, slot + 5)))).toThrow(/Range conflict with consumer/);
    const exact = newConsumer(h, 2, 'exact', sticky(slot, slot));
    h.dispatcher.addConsumer(exact);
    flow(h, exact, 100);
    await settle();
    expect(received(h, exact)).toEqual([0, 1]);
  });

  it('counts permits per message and routes a batch by its key', async () => {
    const h = await openKeyShared();
    const c1 = newConsumer(h, 1, 'c1');
    h.dispatcher.addConsumer(c1);
    flow(h, c1, 5);
    await publish(h, [{ sequenceId: 0, partitionKey: 'a', messages: 10 }, { sequenceId: 1, partitionKey: 'a' }]);
    await settle();
    expect(received(h, c1)).toEqual([0]);
    expect(c1.permits).toBe(-5);
    expect(c1.unackedMessages).toBe(10);
    flow(h, c1, 6);
    await settle();
    expect(received(h, c1)).toEqual([0, 1]);
  });

  it('keeps per-key state only while messages are in flight', async () => {
    const h = await openKeyShared();
    const consumers = [1, 2].map((id) => newConsumer(h, id, `c${id}`));
    consumers.forEach((c) => { h.dispatcher.addConsumer(c); flow(h, c, 1000); });
    await publish(h, messages([...Array(200).keys()].map((i) => `k${i % 50}`), 0));
    await settle();
    h.dispatcher.removeConsumer(consumers[0]!);
    const c3 = newConsumer(h, 3, 'c3');
    h.dispatcher.addConsumer(c3);
    flow(h, c3, 1000);
    for (let round = 0; round < 5; round++) {
      await settle();
      for (const d of [...h.log.deliveries]) ack(h, [consumers[1]!, c3].find((c) => c.id === d.consumerId) ?? c3, d.position);
    }
    expect(h.cursor.backlogEntries()).toBe(0);
    expect(h.dispatcher.keyState()).toEqual({ inFlight: 0, replay: 0, draining: 0, redeliveryCounts: 0 });
  });
});
