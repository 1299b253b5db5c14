import { describe, expect, it } from 'vitest';
import { readEntryMetadata } from '../protocol/peek.js';
import { SubType, type SubTypeCode } from '../protocol/wire-types.js';
import { FakeSender, makeEntry } from '../test-support/fake-sender.js';
import { keyedEntry } from '../test-support/key-shared-harness.js';
import { ManualClock } from '../test-support/manual-clock.js';
import { KeySharedMode } from '../subscription/key-shared-meta.js';
import { NonPersistentTopic } from './non-persistent-topic.js';
import { parseTopicName } from './topic-name.js';

function newTopic(name = 'non-persistent://public/default/t', clock = new ManualClock(0)): NonPersistentTopic {
  return new NonPersistentTopic(parseTopicName(name), clock);
}

let nextConsumerId = 1;
async function subscribe(topic: NonPersistentTopic, sender: FakeSender, subType: SubTypeCode, options: {
  subscription?: string; name?: string; durable?: boolean; keySharedMeta?: { mode: 0 | 1; hashRanges: Array<{ start: number; end: number }>; allowOutOfOrderDelivery: boolean };
} = {}) {
  return topic.subscribe({
    subscription: options.subscription ?? 'sub', subType, consumerId: nextConsumerId++, consumerName: options.name ?? `c${nextConsumerId}`,
    priorityLevel: 0, durable: options.durable ?? true, initialPosition: 0, sender, keySharedMeta: options.keySharedMeta,
  });
}

async function publish(topic: NonPersistentTopic, entry: Buffer) {
  return topic.publish(entry, 1, { producerName: 'p', sequenceId: 0, highestSequenceId: 0, metadata: readEntryMetadata(entry) });
}

describe('NonPersistentTopic', () => {
  it('delivers to the consumer connected now with message id (0, 0) and answers the producer with (0, 0)', async () => {
    const topic = newTopic();
    const sender = new FakeSender();
    const { subscription, consumer } = await subscribe(topic, sender, SubType.Exclusive);
    subscription.flow(consumer, 10);
    expect(await publish(topic, makeEntry(1))).toEqual({ ledgerId: 0, entryId: 0 });
    expect(sender.delivered).toEqual([{ consumerId: consumer.id, position: { ledgerId: 0, entryId: 0 }, redeliveryCount: 0, sequenceId: 1 }]);
    expect(consumer.permits).toBe(9);
    expect(topic.msgInCounter).toBe(1);
  });

  it('keeps nothing: a message published before the subscription exists is never delivered', async () => {
    const topic = newTopic();
    await publish(topic, makeEntry(1));
    const sender = new FakeSender();
    const { subscription, consumer } = await subscribe(topic, sender, SubType.Exclusive);
    subscription.flow(consumer, 10);
    await publish(topic, makeEntry(2));
    expect(sender.sequenceIds()).toEqual([2]);
  });

  it('drops what a consumer without permits cannot take, and counts it', async () => {
    const topic = newTopic();
    const sender = new FakeSender();
    const { subscription, consumer } = await subscribe(topic, sender, SubType.Failover);
    subscription.flow(consumer, 1);
    await publish(topic, makeEntry(1));
    await publish(topic, makeEntry(2));
    sender.writable = false;
    subscription.flow(consumer, 5);
    await publish(topic, makeEntry(3));
    expect(sender.sequenceIds()).toEqual([1]);
    expect(subscription.droppedMessages).toBe(2);
  });

  it('reports msgDropRate per second over the last 60 s window, like Pulsar\'s Rate', async () => {
    const clock = new ManualClock(0);
    const topic = newTopic('non-persistent://public/default/rate', clock);
    const { subscription } = await subscribe(topic, new FakeSender(), SubType.Shared);
    for (let i = 0; i < 30; i++) await publish(topic, makeEntry(i));
    expect(subscription.dropRate()).toBe(0);
    clock.advance(60_000);
    expect(subscription.dropRate()).toBe(0.5);
    clock.advance(60_000);
    expect(subscription.dropRate()).toBe(0);
  });

  it('serves the lowest priority level first in Shared, and a partition\'s Failover consumer by index', async () => {
    const shared = newTopic();
    const sender = new FakeSender();
    const low = await shared.subscribe({
      subscription: 's', subType: SubType.Shared, consumerId: 500, consumerName: 'low', priorityLevel: 1, durable: true, initialPosition: 0, sender,
    });
    const high = await shared.subscribe({
      subscription: 's', subType: SubType.Shared, consumerId: 501, consumerName: 'high', priorityLevel: 0, durable: true, initialPosition: 0, sender,
    });
    low.subscription.flow(low.consumer, 10);
    high.subscription.flow(high.consumer, 2);
    for (let i = 1; i <= 4; i++) await publish(shared, makeEntry(i));
    expect(sender.sequenceIds(501)).toEqual([1, 2]);
    expect(sender.sequenceIds(500)).toEqual([3, 4]);
    const partition = newTopic('non-persistent://public/default/f-partition-1');
    const failover = new FakeSender();
    const a = await subscribe(partition, failover, SubType.Failover, { name: 'a' });
    const b = await subscribe(partition, failover, SubType.Failover, { name: 'b' });
    a.subscription.flow(a.consumer, 5);
    b.subscription.flow(b.consumer, 5);
    await publish(partition, makeEntry(7));
    expect(failover.sequenceIds(b.consumer.id)).toEqual([7]);
  });

  it('drops messages for a durable subscription whose consumers left, and forgets a reader subscription', async () => {
    const topic = newTopic();
    const durable = await subscribe(topic, new FakeSender(), SubType.Shared, { subscription: 'd' });
    const reader = await subscribe(topic, new FakeSender(), SubType.Exclusive, { subscription: 'r', durable: false });
    await topic.unsubscribeConsumer(durable.subscription, durable.consumer);
    await topic.unsubscribeConsumer(reader.subscription, reader.consumer);
    expect([...topic.subscriptions.keys()]).toEqual(['d']);
    await publish(topic, makeEntry(1));
    expect(topic.usageCount()).toBe(0);
  });

  it('splits a Shared subscription round robin over consumers with permits', async () => {
    const topic = newTopic();
    const sender = new FakeSender();
    const a = await subscribe(topic, sender, SubType.Shared);
    const b = await subscribe(topic, sender, SubType.Shared);
    a.subscription.flow(a.consumer, 10);
    b.subscription.flow(b.consumer, 1);
    for (let i = 1; i <= 4; i++) await publish(topic, makeEntry(i));
    expect(sender.sequenceIds(a.consumer.id)).toEqual([1, 3, 4]);
    expect(sender.sequenceIds(b.consumer.id)).toEqual([2]);
  });

  it('picks the Failover consumer by priority and name and tells every consumer', async () => {
    const topic = newTopic();
    const sender = new FakeSender();
    const z = await subscribe(topic, sender, SubType.Failover, { name: 'z' });
    const a = await subscribe(topic, sender, SubType.Failover, { name: 'a' });
    a.subscription.flow(a.consumer, 5);
    z.subscription.flow(z.consumer, 5);
    await publish(topic, makeEntry(1));
    expect(sender.sequenceIds()).toEqual([1]);
    expect(sender.delivered[0]!.consumerId).toBe(a.consumer.id);
    expect(sender.activeChanges.slice(-2)).toEqual([[z.consumer.id, false], [a.consumer.id, true]]);
  });

  it('routes Key_Shared by sticky key, dropping keys whose consumer has no permits', async () => {
    const topic = newTopic();
    const sender = new FakeSender();
    const sticky = (start: number, end: number) => ({ mode: KeySharedMode.STICKY, hashRanges: [{ start, end }], allowOutOfOrderDelivery: false });
    const low = await subscribe(topic, sender, SubType.Key_Shared, { keySharedMeta: sticky(0, 32767) });
    const high = await subscribe(topic, sender, SubType.Key_Shared, { keySharedMeta: sticky(32768, 65535) });
    low.subscription.flow(low.consumer, 100);
    for (let i = 0; i < 20; i++) await publish(topic, keyedEntry({ sequenceId: i, partitionKey: `k${i}` }));
    const toLow = sender.sequenceIds(low.consumer.id);
    expect(toLow.length).toBeGreaterThan(0);
    expect(toLow.length).toBeLessThan(20);
    expect(sender.sequenceIds(high.consumer.id)).toEqual([]);
    expect(low.subscription.droppedMessages).toBe(20 - toLow.length);
  });

  it('refuses a second Exclusive consumer, another type, readCompacted and a taken producer name', async () => {
    const topic = newTopic();
    await subscribe(topic, new FakeSender(), SubType.Exclusive);
    await expect(subscribe(topic, new FakeSender(), SubType.Exclusive)).rejects.toThrow('Exclusive consumer is already connected');
    await expect(subscribe(topic, new FakeSender(), SubType.Shared)).rejects.toThrow('Subscription is of different type');
    await expect(topic.subscribe({
      subscription: 'x', subType: SubType.Exclusive, consumerId: 99, consumerName: 'x', priorityLevel: 0, durable: true,
      initialPosition: 0, sender: new FakeSender(), readCompacted: true,
    })).rejects.toThrow('readCompacted only valid on persistent topics');
    const producer = { producerId: 1, name: 'p', epoch: 0, connectionId: 1, isAlive: async () => true, close: () => undefined, msgInCounter: 0, bytesInCounter: 0 };
    await topic.addProducer(producer);
    await expect(topic.addProducer({ ...producer, connectionId: 2 })).rejects.toThrow("Producer with name 'p' is already connected");
  });
});
