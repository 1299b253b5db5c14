import { describe, expect, it } from 'vitest';
import { silentLogger } from '../config/logger.js';
import { AckType, InitialPosition, SubType } from '../protocol/wire-types.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { FakeSender, settle } from '../test-support/fake-sender.js';
import { TopicRegistry } from '../topic/registry.js';
import type { Topic } from '../topic/topic.js';
import { parseTopicName } from '../topic/topic-name.js';
import { keyedEntry } from '../test-support/key-shared-harness.js';
import { KeySharedMode, keySharedMetaFromWire, type KeySharedMeta } from './key-shared-meta.js';

const TOPIC = 'persistent://public/default/ks';

async function openTopic(): Promise<Topic> {
  const registry = new TopicRegistry(createMemoryStorage(), {
    readBatchSize: 10, failoverDelayMs: 0, cursorFlushIntervalMs: 5, maxUnackedMessagesPerConsumer: 50_000,
    allowAutoSubscriptionCreation: true, allowAutoTopicCreation: true,
  }, silentLogger);
  return registry.getTopic(parseTopicName(TOPIC), true);
}

function join(topic: Topic, id: number, meta: KeySharedMeta | undefined, sender = new FakeSender()) {
  return topic.subscribe({
    subscription: 'sub', subType: SubType.Key_Shared, consumerId: id, consumerName: `c${id}`, priorityLevel: 0,
    durable: true, initialPosition: InitialPosition.Earliest, sender, keySharedMeta: meta,
  });
}

const sticky = (...ranges: Array<[number, number]>): KeySharedMeta => ({
  mode: KeySharedMode.STICKY, hashRanges: ranges.map(([start, end]) => ({ start, end })), allowOutOfOrderDelivery: false,
});
const autoSplit = (allowOutOfOrderDelivery = false): KeySharedMeta => ({ mode: KeySharedMode.AUTO_SPLIT, hashRanges: [], allowOutOfOrderDelivery });

describe('Key_Shared subscriptions', () => {
  it('reads key_shared_meta from SUBSCRIBE, defaulting to AUTO_SPLIT', () => {
    expect(keySharedMetaFromWire(undefined)).toEqual(autoSplit());
    expect(keySharedMetaFromWire({ keySharedMode: 1, hashRanges: [{ start: 0, end: 9 }], allowOutOfOrderDelivery: true }))
      .toEqual({ mode: KeySharedMode.STICKY, hashRanges: [{ start: 0, end: 9 }], allowOutOfOrderDelivery: true });
  });

  it('refuses bad STICKY ranges with ConsumerAssignError and Pulsar\'s messages', async () => {
    const topic = await openTopic();
    await expect(join(topic, 1, sticky())).rejects.toMatchObject({ code: 'ConsumerAssignError', message: 'Ranges for KeyShared policy must not be empty.' });
    await expect(join(topic, 2, sticky([5, 1]))).rejects.toMatchObject({ code: 'ConsumerAssignError', message: 'Fixed hash range start > end for range: [5,1]' });
    await join(topic, 3, sticky([0, 99], [400, 65535]));
    await expect(join(topic, 4, sticky([50, 100]))).rejects.toMatchObject({
      code: 'ConsumerAssignError',
      message: `Range conflict with consumer Consumer{subscription=PersistentSubscription{topic=${TOPIC}, name=sub}, consumerId=3, consumerName=c3, address=test:1}`,
    });
    expect(topic.subscriptions.get('sub')!.consumers().map((c) => c.id)).toEqual([3]);
  });

  it('evicts a conflicting STICKY consumer whose connection is dead', async () => {
    const topic = await openTopic();
    const dead = new FakeSender();
    dead.isAlive = async () => false;
    await join(topic, 1, sticky([0, 65535]), dead);
    const { subscription } = await join(topic, 2, sticky([0, 65535]));
    expect(subscription.consumers().map((c) => c.id)).toEqual([2]);
  });

  it('requires the same mode and out-of-order policy while consumers are connected', async () => {
    const topic = await openTopic();
    const first = await join(topic, 1, autoSplit());
    await expect(join(topic, 2, sticky([0, 10]))).rejects.toMatchObject({
      code: 'ConsumerBusy',
      message: "Subscription is of different type. Active subscription key_shared mode of 'AUTO_SPLIT' is different than the connecting consumer's key_shared mode 'STICKY'.",
    });
    await expect(join(topic, 3, autoSplit(true))).rejects.toMatchObject({
      code: 'ConsumerBusy',
      message: 'Subscription is of different type. Active subscription does not allow out of order delivery while the connecting consumer allows it.',
    });
    await topic.unsubscribeConsumer(first.subscription, first.consumer);
    await join(topic, 4, autoSplit(true));
    await expect(join(topic, 5, autoSplit(false))).rejects.toMatchObject({
      code: 'ConsumerBusy',
      message: 'Subscription is of different type. Active subscription allows out of order delivery while the connecting consumer does not allow it.',
    });
  });

  it('delivers by key through the subscription, ignores cumulative acks and honours redelivery', async () => {
    const topic = await openTopic();
    const sender = new FakeSender();
    const { subscription, consumer } = await join(topic, 1, undefined, sender);
    for (let i = 0; i < 4; i++) await topic.publish(keyedEntry({ sequenceId: i, partitionKey: `k${i % 2}` }), 1);
    subscription.flow(consumer, 10);
    await settle();
    expect(sender.sequenceIds()).toEqual([0, 1, 2, 3]);
    subscription.ack(consumer, AckType.Cumulative, [sender.delivered[3]!.position], [false]);
    expect(subscription.cursor.backlogEntries()).toBe(4);
    subscription.ack(consumer, AckType.Individual, [sender.delivered[0]!.position], [false]);
    subscription.redeliver(consumer, [sender.delivered[1]!.position]);
    await settle();
    expect(sender.delivered.slice(4).map((d) => [d.sequenceId, d.redeliveryCount])).toEqual([[1, 1]]);
    expect(consumer.unackedMessages).toBe(3);
  });
});
