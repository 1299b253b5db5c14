import { afterEach, describe, expect, it } from 'vitest';
import { SubType } from '../protocol/wire-types.js';
import { featureEntry, openFeatureTopic, subscribeTo, turns, type FeatureHarness } from '../test-support/topic-harness.js';
import { topicStats } from './topic-stats.js';

let h: FeatureHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type SubStats = { msgDelayed: number; msgBacklog: number; msgBacklogNoDelayed: number };
const subStats = (name: string) => (topicStats(h!.topic, 'localhost:8080').subscriptions as Record<string, SubStats>)[name]!;

describe('topicStats msgDelayed', () => {
  it('counts the delayed messages a Shared dispatcher holds and leaves them out of msgBacklogNoDelayed', async () => {
    h = await openFeatureTopic({ delayedDelivery: { enabled: true, tickMs: 1000, maxInMemory: 1000 } });
    const now = h.clock.now();
    const { subscription, consumer } = await subscribeTo(h.topic, SubType.Shared, 1);
    for (let i = 0; i < 3; i++) await h.topic.publish(featureEntry({ sequenceId: i, deliverAtMs: now + 60_000 }), 1);
    await h.topic.publish(featureEntry({ sequenceId: 3 }), 1);
    subscription.flow(consumer, 10);
    await turns(10);
    expect(subStats(subscription.name)).toMatchObject({ msgDelayed: 3, msgBacklog: 4, msgBacklogNoDelayed: 1 });
    h.clock.advance(60_000);
    await turns(10);
    expect(subStats(subscription.name)).toMatchObject({ msgDelayed: 0, msgBacklog: 4, msgBacklogNoDelayed: 4 });
  });

  it('is 0 on an Exclusive subscription, which delivers delayed messages at once', async () => {
    h = await openFeatureTopic({ delayedDelivery: { enabled: true, tickMs: 1000, maxInMemory: 1000 } });
    const { subscription, consumer } = await subscribeTo(h.topic, SubType.Exclusive, 1);
    await h.topic.publish(featureEntry({ sequenceId: 0, deliverAtMs: h.clock.now() + 60_000 }), 1);
    subscription.flow(consumer, 10);
    await turns(10);
    expect(subStats(subscription.name)).toMatchObject({ msgDelayed: 0, msgBacklog: 1, msgBacklogNoDelayed: 1 });
  });
});
