import { describe, expect, it } from 'vitest';
import { topicCreationConfig } from './topic-creation-flags.js';

function integer(flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${flag} out of range`);
  return n;
}
const fail = (message: string): never => {
  throw new Error(message);
};

describe('topic creation flags', () => {
  it('defaults to Pulsar: non-partitioned, one partition', () => {
    expect(topicCreationConfig({}, integer, fail)).toEqual({ allowAutoTopicCreationType: 'non-partitioned', defaultNumPartitions: 1 });
  });

  it('takes partitioned with a count and refuses bad values', () => {
    expect(topicCreationConfig({ 'auto-topic-creation-type': 'partitioned', 'default-num-partitions': '4' }, integer, fail))
      .toEqual({ allowAutoTopicCreationType: 'partitioned', defaultNumPartitions: 4 });
    expect(() => topicCreationConfig({ 'auto-topic-creation-type': 'sharded' }, integer, fail)).toThrow('--auto-topic-creation-type');
    expect(() => topicCreationConfig({ 'default-num-partitions': '0' }, integer, fail)).toThrow('--default-num-partitions');
  });
});
