import type { BrokerConfig } from '../config/config.js';
import type { Logger } from '../config/logger.js';
import type { SchemaRegistry } from '../schema/registry.js';
import type { TopicRegistry } from '../topic/registry.js';

/** What every connection shares: settings, the topic registry, and broker-wide id generators. */
export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly registry: TopicRegistry;
  readonly schemas: SchemaRegistry;
  readonly logger: Logger;
  readonly serverVersion: string;
  /** pulsar://<advertised-address>:<bound port>, answered to LOOKUP. */
  brokerServiceUrl(): string;
  /** Pulsar-style unique producer name: `<cluster>-<instance>-<counter>`. */
  nextProducerName(): string;
  nextConnectionId(): number;
}
