import { afterEach, describe, expect, it } from 'vitest';
import { SubType } from '../protocol/wire-types.js';
import { FakeSender } from '../test-support/fake-sender.js';
import { featureEntry, openFeatureTopic, subscribeTo, turns, type FeatureHarness } from '../test-support/topic-harness.js';

let h: FeatureHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function publish(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await h!.topic.publish(featureEntry({ sequenceId: i }), 1);
}

describe('redelivery counts', () => {
  for (const [name, subType] of [['Shared', SubType.Shared], ['Key_Shared', SubType.Key_Shared]] as const) {
    it(`${name}: each redelivery request adds one, sent in MESSAGE.redelivery_count`, async () => {
      h = await openFeatureTopic();
      await publish(1);
      const { subscription, consumer, sender } = await subscribeTo(h.topic, subType, 1);
      subscription.flow(consumer, 10);
      await turns();
      for (let round = 0; round < 3; round++) {
        subscription.redeliver(consumer, [sender.delivered[0]!.position]);
        await turns();
      }
      expect(sender.delivered.map((d) => d.redeliveryCount)).toEqual([0, 1, 2, 3]);
    });

    it(`${name}: a consumer leaving with unacked messages counts as a redelivery, acked ones do not come back`, async () => {
      h = await openFeatureTopic();
      await publish(2);
      const first = await subscribeTo(h.topic, subType, 1);
      first.subscription.flow(first.consumer, 10);
      await turns();
      first.subscription.ack(first.consumer, 0, [first.sender.delivered[1]!.position]);
      first.subscription.redeliver(first.consumer, [first.sender.delivered[0]!.position]);
      await turns();
      expect(first.sender.delivered.map((d) => [d.sequenceId, d.redeliveryCount])).toEqual([[0, 0], [1, 0], [0, 1]]);
      await h.topic.unsubscribeConsumer(first.subscription, first.consumer);
      const second = await subscribeTo(h.topic, subType, 2, new FakeSender());
      second.subscription.flow(second.consumer, 10);
      await turns();
      expect(second.sender.delivered.map((d) => [d.sequenceId, d.redeliveryCount])).toEqual([[0, 2]]);
    });
  }

  for (const [name, subType] of [['Exclusive', SubType.Exclusive], ['Failover', SubType.Failover]] as const) {
    it(`${name}: redelivered messages keep redelivery_count 0 (RedeliveryTrackerDisabled)`, async () => {
      h = await openFeatureTopic();
      await publish(1);
      const { subscription, consumer, sender } = await subscribeTo(h.topic, subType, 1);
      subscription.flow(consumer, 10);
      await turns();
      subscription.redeliver(consumer, undefined);
      await turns();
      await h.topic.unsubscribeConsumer(subscription, consumer);
      const again = await subscribeTo(h.topic, subType, 2, sender);
      again.subscription.flow(again.consumer, 10);
      await turns();
      expect(sender.delivered.map((d) => d.redeliveryCount)).toEqual([0, 0, 0]);
    });
  }
});
