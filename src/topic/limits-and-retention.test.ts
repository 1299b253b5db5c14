import { afterEach, describe, expect, it } from 'vitest';
import { AckType, SubType } from '../protocol/wire-types.js';
import { FakeSender } from '../test-support/fake-sender.js';
import { featureEntry, openFeatureTopic, subscribeTo, turns, type FeatureHarness } from '../test-support/topic-harness.js';
import type { ProducerHandle } from './producer.js';
import { STANDALONE_TOPIC_POLICIES, type TopicPolicies } from './topic-policies.js';
import { enforceBacklogQuota, expireMessages } from './topic-upkeep.js';

let h: FeatureHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function policies(overrides: Partial<TopicPolicies>): TopicPolicies {
  return { ...STANDALONE_TOPIC_POLICIES, ...overrides };
}

function producer(name: string, closed: string[]): ProducerHandle {
  return {
    producerId: 1, name, epoch: 0, connectionId: 1, msgInCounter: 0, bytesInCounter: 0,
    isAlive: async () => true, close: () => closed.push(name),
  };
}

async function publishAged(count: number, publishTimeMs: (i: number) => number): Promise<void> {
  for (let i = 0; i < count; i++) await h!.topic.publish(featureEntry({ sequenceId: i, publishTimeMs: publishTimeMs(i) }), 1);
}

describe('unacknowledged-message limits (Shared, Key_Shared)', () => {
  it('stops a subscription at maxUnackedMessagesPerSubscription and resumes at half', async () => {
    h = await openFeatureTopic({ maxUnackedMessagesPerSubscription: 4 });
    await publishAged(10, (i) => 1000 + i);
    const a = await subscribeTo(h.topic, SubType.Shared, 1);
    const b = await subscribeTo(h.topic, SubType.Shared, 2, new FakeSender());
    a.subscription.flow(a.consumer, 100);
    b.subscription.flow(b.consumer, 100);
    await turns();
    const delivered = () => [...a.sender.delivered, ...b.sender.delivered];
    expect(delivered()).toHaveLength(4);
    const first = delivered()[0]!;
    const holder = a.sender.delivered.includes(first) ? a : b;
    holder.subscription.ack(holder.consumer, AckType.Individual, [first.position]);
    await turns();
    expect(delivered()).toHaveLength(4);
    const second = delivered().find((d) => d !== first && (holder.sender.delivered.includes(d)))
      ?? delivered().find((d) => d !== first)!;
    const owner = a.sender.delivered.includes(second) ? a : b;
    owner.subscription.ack(owner.consumer, AckType.Individual, [second.position]);
    await turns();
    expect(delivered()).toHaveLength(6);
  });

  it('blocks a consumer at maxUnackedMessagesPerConsumer until it acks down to half', async () => {
    h = await openFeatureTopic({ maxUnackedMessagesPerConsumer: 4 });
    await publishAged(10, (i) => 1000 + i);
    const { subscription, consumer, sender } = await subscribeTo(h.topic, SubType.Key_Shared, 1);
    subscription.flow(consumer, 100);
    await turns();
    expect(sender.delivered).toHaveLength(4);
    expect(consumer.blocked).toBe(true);
    subscription.ack(consumer, AckType.Individual, [sender.delivered[0]!.position]);
    await turns();
    expect(sender.delivered).toHaveLength(4);
    subscription.ack(consumer, AckType.Individual, [sender.delivered[1]!.position]);
    await turns();
    expect(sender.delivered).toHaveLength(6);
  });
});

describe('message TTL', () => {
  it('moves every subscription past messages older than the TTL and counts them as expired', async () => {
    h = await openFeatureTopic();
    const now = h.clock.now();
    await publishAged(10, (i) => (i < 6 ? now - 120_000 : now - 1000));
    const { subscription } = await subscribeTo(h.topic, SubType.Exclusive, 1);
    expect(await expireMessages(h.topic)).toBe(0);
    await h.topic.applyPolicies(policies({ messageTtlSeconds: 60 }));
    expect(await expireMessages(h.topic)).toBe(6);
    expect(subscription.cursor.backlogEntries()).toBe(4);
    expect(subscription.msgExpiredCounter).toBe(6);
    expect(await expireMessages(h.topic)).toBe(0);
  });
});

describe('retention', () => {
  it('keeps acknowledged segments until they are older than the retention time, then deletes them', async () => {
    h = await openFeatureTopic({}, undefined, undefined, 2);
    const now = h.clock.now();
    await h.topic.applyPolicies(policies({ retentionTimeMinutes: 10, retentionSizeMB: -1 }));
    await publishAged(6, () => now);
    const trim = async () => {
      h!.topic.scheduleTrim();
      h!.clock.advance(1000);
      await turns(10);
    };
    await trim();
    expect(h.topic.ledger.segments().filter((s) => s.entryCount > 0)).toHaveLength(3);
    h.clock.advance(10 * 60_000);
    await trim();
    expect(h.topic.ledger.segments().filter((s) => s.entryCount > 0)).toHaveLength(0);
  });

  it('deletes nothing a durable subscription still needs, whatever the retention', async () => {
    h = await openFeatureTopic({}, undefined, undefined, 2);
    await subscribeTo(h.topic, SubType.Exclusive, 1);
    await publishAged(6, () => 0);
    h.topic.scheduleTrim();
    h.clock.advance(1000);
    await turns(10);
    expect(h.topic.ledger.segments().filter((s) => s.entryCount > 0)).toHaveLength(3);
  });
});

describe('backlog quota', () => {
  it('refuses new producers with Pulsar\'s error for the policy, and disconnects producers when over quota', async () => {
    h = await openFeatureTopic();
    await subscribeTo(h.topic, SubType.Exclusive, 1);
    await publishAged(5, (i) => 1000 + i);
    const closed: string[] = [];
    await h.topic.addProducer(producer('before', closed));
    await h.topic.applyPolicies(policies({ backlogQuota: { limitBytes: 10, limitTimeSeconds: -1, policy: 'producer_request_hold' } }));
    await expect(h.topic.addProducer(producer('p1', closed))).rejects.toMatchObject({ code: 'ProducerBlockedQuotaExceededError' });
    await h.topic.applyPolicies(policies({ backlogQuota: { limitBytes: 10, limitTimeSeconds: -1, policy: 'producer_exception' } }));
    await expect(h.topic.addProducer(producer('p2', closed))).rejects.toMatchObject({ code: 'ProducerBlockedQuotaExceededException' });
    await enforceBacklogQuota(h.topic);
    expect(closed).toEqual(['before']);
  });

  it('refuses producers by the age of the oldest unacknowledged message', async () => {
    h = await openFeatureTopic();
    await subscribeTo(h.topic, SubType.Exclusive, 1);
    await publishAged(1, () => h!.clock.now() - 30_000);
    await h.topic.applyPolicies(policies({ backlogQuota: { limitBytes: -1, limitTimeSeconds: 60, policy: 'producer_exception' } }));
    await h.topic.addProducer(producer('young', []));
    h.clock.advance(30_000);
    await expect(h.topic.addProducer(producer('old', []))).rejects.toMatchObject({ code: 'ProducerBlockedQuotaExceededException' });
  });

  it('consumer_backlog_eviction moves the slowest subscription forward instead', async () => {
    h = await openFeatureTopic();
    const { subscription } = await subscribeTo(h.topic, SubType.Exclusive, 1);
    await publishAged(20, (i) => 1000 + i);
    const perEntry = h.topic.ledger.sizeBytes() / 20;
    await h.topic.applyPolicies(policies({
      backlogQuota: { limitBytes: Math.floor(perEntry * 10), limitTimeSeconds: -1, policy: 'consumer_backlog_eviction' },
    }));
    await h.topic.addProducer(producer('allowed', []));
    await enforceBacklogQuota(h.topic);
    expect(subscription.cursor.backlogEntries()).toBeLessThanOrEqual(9);
    expect(subscription.cursor.backlogEntries()).toBeGreaterThan(0);
  });
});

describe('expiry and pending acks', () => {
  it('an ack for a message the TTL already expired still frees the consumer\'s unacked slot', async () => {
    h = await openFeatureTopic({ maxUnackedMessagesPerConsumer: 2 });
    const now = h.clock.now();
    await publishAged(4, () => now - 120_000);
    const { subscription, consumer, sender } = await subscribeTo(h.topic, SubType.Shared, 1);
    subscription.flow(consumer, 100);
    await turns();
    expect(sender.delivered).toHaveLength(2);
    await h.topic.applyPolicies(policies({ messageTtlSeconds: 60 }));
    expect(await expireMessages(h.topic)).toBe(4);
    for (const d of sender.delivered) subscription.ack(consumer, AckType.Individual, [d.position]);
    expect(consumer.unackedMessages).toBe(0);
    expect(consumer.blocked).toBe(false);
  });
});
