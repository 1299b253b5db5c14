import type { BrokerContext } from '../broker/context.js';
import { defaultConfig, type BrokerConfig } from '../config/config.js';
import { silentLogger } from '../config/logger.js';
import { systemClock } from '../clock.js';
import { SchemaRegistry } from '../schema/registry.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { TopicRegistry } from '../topic/registry.js';
import { topicSettingsFromConfig } from '../topic/settings-from-config.js';

/** A BrokerContext over memory storage, for connection-level tests. */
export function newTestContext(overrides: Partial<BrokerConfig> = {}): BrokerContext {
  const config: BrokerConfig = { ...defaultConfig, storage: 'memory', cursorFlushIntervalMs: 10, ...overrides };
  const storage = createMemoryStorage();
  const registry = new TopicRegistry(storage, {
    ...topicSettingsFromConfig(config),
    readBatchSize: 100, failoverDelayMs: 0, cursorFlushIntervalMs: config.cursorFlushIntervalMs,
    allowAutoSubscriptionCreation: true, allowAutoTopicCreation: true,
  }, silentLogger);
  let producers = 0;
  let connections = 0;
  return {
    config, registry, schemas: new SchemaRegistry(storage.metadata, systemClock), logger: silentLogger, serverVersion: 'Vela test',
    brokerServiceUrl: () => 'pulsar://localhost:6650',
    nextProducerName: () => `standalone-0-${producers++}`,
    nextConnectionId: () => connections++,
  };
}
