import { afterEach, describe, expect, it } from 'vitest';
import type { AckSetWord } from '../protocol/ack-set-wire.js';
import { AckType, SubType } from '../protocol/wire-types.js';
import { FakeSender } from '../test-support/fake-sender.js';
import { featureEntry, openFeatureTopic, subscribeTo, turns, type FeatureHarness } from '../test-support/topic-harness.js';

let h: FeatureHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** What a client sends (BitSet.set(0, size); clear(acked…); toLongArray): bit i set = message i still unacked. */
function ackSet(size: number, acked: number[]): AckSetWord[] {
  const words: AckSetWord[] = [];
  for (let w = 0; w < Math.ceil(size / 64); w++) {
    let low = 0;
    let high = 0;
    for (let b = 0; b < 64 && w * 64 + b < size; b++) {
      if (acked.includes(w * 64 + b)) continue;
      if (b < 32) low |= 1 << b;
      else high |= 1 << (b - 32);
    }
    words.push({ low: low >>> 0, high: high >>> 0 });
  }
  return words;
}

describe('batch index acknowledgement', () => {
  it('merges partial acks, redelivers the batch with the ack set, and charges permits for the rest only', async () => {
    h = await openFeatureTopic();
    await h.topic.publish(featureEntry({ sequenceId: 0, messages: 5 }), 5);
    const { subscription, consumer, sender } = await subscribeTo(h.topic, SubType.Shared, 1);
    subscription.flow(consumer, 10);
    await turns();
    const position = sender.delivered[0]!.position;
    expect(consumer.permits).toBe(5);
    expect(consumer.unackedMessages).toBe(5);
    subscription.ack(consumer, AckType.Individual, [position], [ackSet(5, [1])]);
    subscription.ack(consumer, AckType.Individual, [position], [ackSet(5, [3])]);
    expect(consumer.unackedMessages).toBe(3);
    subscription.redeliver(consumer, [position]);
    await turns();
    expect(sender.delivered[1]!.ackSet).toEqual(ackSet(5, [1, 3]));
    expect(consumer.permits).toBe(2);
    expect(consumer.unackedMessages).toBe(3);
    subscription.ack(consumer, AckType.Individual, [position], [ackSet(5, [0, 2, 4])]);
    expect(subscription.cursor.isAcked(position)).toBe(true);
    expect(consumer.unackedMessages).toBe(0);
    expect(subscription.cursor.backlogEntries()).toBe(0);
  });

  it('persists the ack set with the cursor: after a restart the batch comes back with it', async () => {
    h = await openFeatureTopic();
    await h.topic.publish(featureEntry({ sequenceId: 0, messages: 70 }), 70);
    const first = await subscribeTo(h.topic, SubType.Shared, 1);
    first.subscription.flow(first.consumer, 100);
    await turns();
    const position = first.sender.delivered[0]!.position;
    first.subscription.ack(first.consumer, AckType.Individual, [position], [ackSet(70, [0, 63, 64])]);
    await first.subscription.flush();
    h = await h.restart();
    const again = await subscribeTo(h.topic, SubType.Shared, 2, new FakeSender());
    again.subscription.flow(again.consumer, 100);
    await turns();
    expect(again.sender.delivered[0]!.ackSet).toEqual(ackSet(70, [0, 63, 64]));
    expect(again.consumer.permits).toBe(100 - 67);
  });

  it('ignores ack sets when batch-index acks are disabled (Pulsar 4.0 default)', async () => {
    h = await openFeatureTopic({ batchIndexAck: false });
    await h.topic.publish(featureEntry({ sequenceId: 0, messages: 3 }), 3);
    const { subscription, consumer, sender } = await subscribeTo(h.topic, SubType.Shared, 1);
    subscription.flow(consumer, 10);
    await turns();
    subscription.ack(consumer, AckType.Individual, [sender.delivered[0]!.position], [ackSet(3, [0])]);
    subscription.redeliver(consumer, undefined);
    await turns();
    expect(sender.delivered[1]!.ackSet).toBeUndefined();
    expect(consumer.unackedMessages).toBe(3);
  });

  it('a cumulative ack with an ack set acknowledges the entries before it and those messages of the batch', async () => {
    h = await openFeatureTopic();
    await h.topic.publish(featureEntry({ sequenceId: 0 }), 1);
    await h.topic.publish(featureEntry({ sequenceId: 1, messages: 4 }), 4);
    const { subscription, consumer, sender } = await subscribeTo(h.topic, SubType.Exclusive, 1);
    subscription.flow(consumer, 10);
    await turns();
    subscription.ack(consumer, AckType.Cumulative, [sender.delivered[1]!.position], [ackSet(4, [0, 1])]);
    expect(subscription.cursor.isAcked(sender.delivered[0]!.position)).toBe(true);
    subscription.redeliver(consumer, undefined);
    await turns();
    expect(sender.delivered.slice(2).map((d) => [d.sequenceId, d.ackSet])).toEqual([[1, ackSet(4, [0, 1])]]);
  });
});
