import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/config.js';
import { silentLogger } from '../config/logger.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { FakeSender } from '../test-support/fake-sender.js';
import { ManualClock } from '../test-support/manual-clock.js';
import { SubType } from '../protocol/wire-types.js';
import { NonPersistentTopic } from './non-persistent-topic.js';
import { TopicRegistry } from './registry.js';
import { topicSettingsFromConfig } from './settings-from-config.js';
import { parseTopicName } from './topic-name.js';

function newRegistry(clock: ManualClock, overrides: Partial<typeof defaultConfig> = {}): TopicRegistry {
  return new TopicRegistry(createMemoryStorage(), topicSettingsFromConfig({ ...defaultConfig, ...overrides }, clock), silentLogger);
}

describe('TopicRegistry with non-persistent topics and auto-created partitioned topics', () => {
  it('creates a non-persistent topic in memory and drops it after a whole check period without subscriptions or clients', async () => {
    const clock = new ManualClock(0);
    const registry = newRegistry(clock);
    const name = parseTopicName('non-persistent://public/default/gc');
    const topic = await registry.getAnyTopic(name, true);
    expect(topic).toBeInstanceOf(NonPersistentTopic);
    expect(await registry.getAnyTopic(name, false)).toBe(topic);
    expect(await registry.exists(name.full)).toBe(true);
    expect(registry.nonPersistentTopicsOf('public', 'default')).toEqual([name.full]);
    const { subscription, consumer } = await (topic as NonPersistentTopic).subscribe({
      subscription: 'r', subType: SubType.Exclusive, consumerId: 1, consumerName: 'c', priorityLevel: 0, durable: false,
      initialPosition: 0, sender: new FakeSender(),
    });
    clock.advance(180_000);
    expect(registry.loadedNonPersistentTopic(name.full)).toBe(topic);
    await (topic as NonPersistentTopic).unsubscribeConsumer(subscription, consumer);
    clock.advance(130_000);
    expect(registry.loadedNonPersistentTopic(name.full)).toBeUndefined();
    await expect(registry.getAnyTopic(name, false)).rejects.toThrow('does not exist');
  });

  it('honours allowAutoTopicCreation for non-persistent topics', async () => {
    const registry = newRegistry(new ManualClock(0), { allowAutoTopicCreation: false });
    await expect(registry.getAnyTopic(parseTopicName('non-persistent://public/default/no'), true)).rejects.toThrow('does not exist');
  });

  it('creates partitioned metadata with defaultNumPartitions when the broker auto-creates partitioned topics', async () => {
    const registry = newRegistry(new ManualClock(0), { allowAutoTopicCreationType: 'partitioned', defaultNumPartitions: 2 });
    const name = parseTopicName('persistent://public/default/auto');
    expect(await registry.createDefaultPartitioned(name)).toBe(2);
    expect(await registry.partitions(name)).toBe(2);
    expect(await registry.createDefaultPartitioned(parseTopicName('persistent://public/default/auto-partition-1'))).toBe(0);
    // Partitions below the count may be created even without auto-creation of topics.
    const partition = await registry.getAnyTopic(parseTopicName('persistent://public/default/auto-partition-1'), true);
    expect(partition.name).toBe('persistent://public/default/auto-partition-1');
    await registry.closeAll();
  });
});
