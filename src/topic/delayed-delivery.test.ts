import { afterEach, describe, expect, it } from 'vitest';
import { SubType } from '../protocol/wire-types.js';
import { FakeSender } from '../test-support/fake-sender.js';
import { seededRandom } from '../test-support/key-shared-harness.js';
import { featureEntry, openFeatureTopic, subscribeTo, turns, type FeatureHarness } from '../test-support/topic-harness.js';

let h: FeatureHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const TICK = { enabled: true, tickMs: 1000, maxInMemory: 1000 };

describe('delayed delivery', () => {
  for (const [name, subType] of [['Shared', SubType.Shared], ['Key_Shared', SubType.Key_Shared]] as const) {
    it(`${name}: holds a message until its deliver_at_time, never earlier, and lets others pass`, async () => {
      h = await openFeatureTopic({ delayedDelivery: TICK });
      const now = h.clock.now();
      await h.topic.publish(featureEntry({ sequenceId: 0, deliverAtMs: now + 3000 }), 1);
      await h.topic.publish(featureEntry({ sequenceId: 1 }), 1);
      const { subscription, consumer, sender } = await subscribeTo(h.topic, subType, 1);
      subscription.flow(consumer, 10);
      await turns();
      expect(sender.sequenceIds()).toEqual([1]);
      h.clock.advance(2999);
      await turns();
      expect(sender.sequenceIds()).toEqual([1]);
      h.clock.advance(1);
      await turns();
      expect(sender.sequenceIds()).toEqual([1, 0]);
    });
  }

  for (const [name, subType] of [['Exclusive', SubType.Exclusive], ['Failover', SubType.Failover]] as const) {
    it(`${name}: delivers delayed messages at once, as Pulsar does`, async () => {
      h = await openFeatureTopic({ delayedDelivery: TICK });
      await h.topic.publish(featureEntry({ sequenceId: 0, deliverAtMs: h.clock.now() + 60_000 }), 1);
      const { subscription, consumer, sender } = await subscribeTo(h.topic, subType, 1);
      subscription.flow(consumer, 10);
      await turns();
      expect(sender.sequenceIds()).toEqual([0]);
    });
  }

  it('keeps delayed messages across a restart and delivers them at their time', async () => {
    h = await openFeatureTopic({ delayedDelivery: { enabled: true, tickMs: 100, maxInMemory: 4 } });
    const start = h.clock.now();
    const first = await subscribeTo(h.topic, SubType.Shared, 1);
    first.subscription.flow(first.consumer, 100);
    for (let i = 0; i < 12; i++) await h.topic.publish(featureEntry({ sequenceId: i, deliverAtMs: start + 10_000 + i * 100 }), 1);
    await turns(10);
    expect(first.sender.delivered).toHaveLength(0);
    h = await h.restart();
    const again = await subscribeTo(h.topic, SubType.Shared, 2, new FakeSender());
    again.subscription.flow(again.consumer, 100);
    await turns(10);
    expect(again.sender.delivered).toHaveLength(0);
    h.clock.advance(10_000 - 1);
    await turns(10);
    expect(again.sender.delivered).toHaveLength(0);
    for (let i = 0; i < 30; i++) {
      h.clock.advance(100);
      await turns(5);
    }
    expect(again.sender.sequenceIds()).toEqual([...Array(12).keys()]);
  });

  it('drops the subscription\'s index when the subscription is deleted', async () => {
    h = await openFeatureTopic({ delayedDelivery: { enabled: true, tickMs: 100, maxInMemory: 4 } });
    const { subscription, consumer } = await subscribeTo(h.topic, SubType.Shared, 1);
    subscription.flow(consumer, 100);
    for (let i = 0; i < 20; i++) await h.topic.publish(featureEntry({ sequenceId: i, deliverAtMs: h.clock.now() + 60_000 + i }), 1);
    await turns(20);
    const indexKeys = () => [...h!.data.kv.keys()].filter((key) => key.startsWith('idx/'));
    expect(indexKeys().length).toBeGreaterThan(0);
    await h.topic.deleteSubscription(subscription, consumer);
    await turns(20);
    expect(indexKeys()).toEqual([]);
  });

  it('with little memory for the index, delivers every message in time order and none early', async () => {
    h = await openFeatureTopic({ delayedDelivery: { enabled: true, tickMs: 50, maxInMemory: 10 } });
    const start = h.clock.now();
    const random = seededRandom(11);
    const due = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const at = start + 100 + Math.floor(random() * 5000);
      due.set(i, at);
      await h.topic.publish(featureEntry({ sequenceId: i, deliverAtMs: at }), 1);
    }
    const { subscription, consumer, sender } = await subscribeTo(h.topic, SubType.Shared, 1);
    subscription.flow(consumer, 1000);
    await turns(20);
    const seenAt = new Map<number, number>();
    for (let t = 0; t < 6000 && seenAt.size < 200; t += 10) {
      h.clock.advance(10);
      await turns(4);
      for (const d of sender.delivered) if (!seenAt.has(d.sequenceId)) seenAt.set(d.sequenceId, h.clock.now());
    }
    expect(seenAt.size).toBe(200);
    for (const [sequenceId, at] of seenAt) {
      expect(at).toBeGreaterThanOrEqual(due.get(sequenceId)!);
      expect(at - due.get(sequenceId)!).toBeLessThanOrEqual(50 + 10);
    }
  });
});
