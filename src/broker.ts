import { readFileSync } from 'node:fs';
import { AdminServer } from './admin/http-server.js';
import { renderMetrics } from './admin/metrics.js';
import { PulsarServer } from './broker/server.js';
import type { BrokerContext } from './broker/context.js';
import { defaultConfig, type BrokerConfig } from './config/config.js';
import { silentLogger, type Logger } from './config/logger.js';
import { createMemoryStorage, openFileStorage } from './storage/index.js';
import type { Storage } from './storage/types.js';
import { packageFile } from './package-files.js';
import { SchemaRegistry } from './schema/registry.js';
import { NamespaceStore } from './topic/namespaces.js';
import { systemClock } from './clock.js';
import { Housekeeping, housekeepingIntervals } from './topic/housekeeping.js';
import { TopicRegistry } from './topic/registry.js';
import { topicSettingsFromConfig } from './topic/settings-from-config.js';

export interface RunningBroker {
  readonly port: number;
  readonly httpPort: number;
  readonly serviceUrl: string;
  readonly webServiceUrl: string;
  /** Flush cursors, fsync and close everything. */
  close(): Promise<void>;
}

export const VERSION: string = (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;

/** Starts a broker in this process: no globals, everything closable, ports 0 allowed. */
export async function startBroker(overrides: Partial<BrokerConfig> = {}, logger: Logger = silentLogger): Promise<RunningBroker> {
  const config: BrokerConfig = { ...defaultConfig, ...overrides };
  const storage: Storage = config.storage === 'memory' ? createMemoryStorage() : await openFileStorage(config.dataDir);
  const namespaces = new NamespaceStore(storage.metadata, config.clusterName);
  await namespaces.bootstrap(await storage.listLedgers());
  const registry = new TopicRegistry(storage, topicSettingsFromConfig(config, systemClock), logger, namespaces);
  const schemas = new SchemaRegistry(storage.metadata, systemClock);
  const housekeeping = new Housekeeping(registry, systemClock, housekeepingIntervals(config), logger);
  let port = config.port;
  let httpPort = config.httpPort;
  let producerCounter = 0;
  let connectionCounter = 0;
  const serviceUrl = () => `pulsar://${config.advertisedAddress}:${port}`;
  const webServiceUrl = () => `http://${config.advertisedAddress}:${httpPort}`;
  const ctx: BrokerContext = {
    config, registry, schemas, logger,
    serverVersion: `Vela ${VERSION}`,
    brokerServiceUrl: serviceUrl,
    nextProducerName: () => `${config.clusterName}-0-${producerCounter++}`,
    nextConnectionId: () => connectionCounter++,
  };
  const pulsar = new PulsarServer(ctx);
  const admin = new AdminServer({
    registry, namespaces, schemas, clusterName: config.clusterName, version: VERSION,
    allowAutoTopicCreation: config.allowAutoTopicCreation,
    brokerServiceUrl: serviceUrl, webServiceUrl,
    metrics: () => renderMetrics(registry, config.clusterName, pulsar.connectionCount()),
  });
  try {
    port = await pulsar.listen(config.port, config.bindAddress);
    httpPort = await admin.listen(config.httpPort, config.bindAddress);
    housekeeping.start();
  } catch (error) {
    await pulsar.close().catch(() => undefined);
    await storage.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    port, httpPort, serviceUrl: serviceUrl(), webServiceUrl: webServiceUrl(),
    close: () => (closing ??= (async () => {
      housekeeping.stop();
      await Promise.all([pulsar.close(), admin.close()]);
      await registry.closeAll();
      await storage.close();
    })()),
  };
}
