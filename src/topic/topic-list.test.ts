import { describe, expect, it } from 'vitest';
import {
  compileTopicsPattern, filterSystemTopics, filterTopics, removeTopicDomainScheme, TopicListEvents, topicsHash,
  UnsafeTopicsPatternError,
} from './topic-list.js';

const NS = 'persistent://public/default';

describe('topic lists for regex subscriptions', () => {
  it('removes the domain scheme from patterns like TopicList.removeTopicDomainScheme', () => {
    expect(removeTopicDomainScheme('persistent://public/default/rx-.*')).toBe('public/default/rx-.*');
    expect(removeTopicDomainScheme('non-persistent://public/default/rx')).toBe('public/default/rx');
    expect(removeTopicDomainScheme('^persistent://public/default/rx')).toBe('^public/default/rx');
    expect(removeTopicDomainScheme('public/default/rx.*')).toBe('public/default/rx.*');
    expect(() => removeTopicDomainScheme('http://public/default/rx')).toThrow(/Does not support topic domain/);
  });

  it('matches whole base names, keeping partitions of matching topics (TopicList.filterTopics)', () => {
    const topics = [`${NS}/rx-a`, `${NS}/rx-b-partition-0`, `${NS}/rx-b-partition-1`, `${NS}/other`, `${NS}/xrx-a`];
    const pattern = compileTopicsPattern(`${NS}/rx-.*`);
    expect(filterTopics(topics, pattern)).toEqual([`${NS}/rx-a`, `${NS}/rx-b-partition-0`, `${NS}/rx-b-partition-1`]);
    // A pattern naming a partition suffix does not match: the base name is what is matched.
    expect(filterTopics(topics, compileTopicsPattern(`${NS}/rx-b-partition-0`))).toEqual([]);
    // `matches()` is anchored at both ends.
    expect(filterTopics(topics, compileTopicsPattern(`${NS}/rx`))).toEqual([]);
    expect(filterTopics(topics, compileTopicsPattern('.*'))).toEqual(topics);
    expect(compileTopicsPattern('(?i)public/default/RX-A').matches('public/default/rx-a')).toBe(true);
  });

  it('runs client patterns without catastrophic backtracking, and refuses those only a backtracking engine runs riskily', () => {
    const longName = `public/default/${'a'.repeat(3000)}!`;
    const started = Date.now();
    expect(compileTopicsPattern('public/default/(a|a)*b').matches(longName)).toBe(false);
    expect(compileTopicsPattern('public/default/(a*)*b').matches(longName)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
    // Backreferences and case folding need backtracking: run when harmless, refused when not.
    expect(compileTopicsPattern('public/default/(ab)-\\1').matches('public/default/ab-ab')).toBe(true);
    expect(() => compileTopicsPattern('(?i)public/default/(a+)+b')).toThrow(UnsafeTopicsPatternError);
    expect(() => compileTopicsPattern('public/default/rx-(')).toThrow(SyntaxError);
  });

  it('drops system topics, partitions of them included (SystemTopicNames.isSystemTopic)', () => {
    const topics = [
      `${NS}/__change_events`, `${NS}/__change_events-partition-0`, `${NS}/user`,
      'persistent://pulsar/system/transaction_coordinator_assign-partition-0', `${NS}/t-sub__transaction_pending_ack`,
      `${NS}/__transaction_buffer_snapshot`,
    ];
    expect(filterSystemTopics(topics)).toEqual([`${NS}/user`]);
  });

  it('hashes the sorted names joined by commas with CRC32C, as Guava renders it (TopicList.calculateHash)', () => {
    // Reference values from java.util.zip.CRC32C with Guava's little-endian hex rendering.
    expect(topicsHash([`${NS}/b-partition-0`, `${NS}/a`])).toBe('abd2b52b');
    expect(topicsHash([])).toBe('00000000');
  });

  it('tells listeners of a namespace about created and deleted topics, and stops when asked', () => {
    const events = new TopicListEvents();
    const seen: string[] = [];
    const stop = events.listen('public/default', (topic, change) => seen.push(`${change} ${topic}`));
    events.emit(`${NS}/a`, 'created');
    events.emit('persistent://public/other/a', 'created');
    events.emit(`${NS}/a`, 'deleted');
    stop();
    events.emit(`${NS}/b`, 'created');
    expect(seen).toEqual([`created ${NS}/a`, `deleted ${NS}/a`]);
    expect(events.count('public/default')).toBe(0);
  });
});
