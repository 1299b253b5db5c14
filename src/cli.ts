#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startBroker, VERSION } from './broker.js';
import { defaultConfig, type BrokerConfig, type LogLevel } from './config/config.js';
import { featureConfig, featureOptions, featureUsage } from './config/feature-flags.js';
import { createLogger } from './config/logger.js';
import { topicCreationConfig, topicCreationOptions, topicCreationUsage } from './config/topic-creation-flags.js';

const usage = `Usage: vela [options]

Starts a broker that speaks the Apache Pulsar binary protocol.

Options:
  --port <n>                 binary protocol port (default ${defaultConfig.port}; 0 picks a free port)
  --http-port <n>            admin and lookup HTTP port (default ${defaultConfig.httpPort}; 0 picks a free port)
  --data-dir <path>          where messages, cursors and metadata live (default ${defaultConfig.dataDir})
  --storage <file|memory>    durable files (default) or memory only
  --bind-address <host>      interface to listen on (default ${defaultConfig.bindAddress}; 0.0.0.0 for all)
  --advertised-address <h>   host returned to clients by lookups (default ${defaultConfig.advertisedAddress})
  --max-message-size <bytes> largest message accepted (default ${defaultConfig.maxMessageSizeBytes})
  --keep-alive-seconds <n>   keep-alive interval (default ${defaultConfig.keepAliveIntervalMs / 1000})
  --log-level <level>        error, warn, info or debug (default ${defaultConfig.logLevel})${featureUsage}${topicCreationUsage}
  --version                  print the version
  --help                     print this help
`;

function fail(message: string): never {
  process.stderr.write(`vela: ${message}\n`);
  process.exit(1);
}

function integer(flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) fail(`${flag} must be an integer between ${min} and ${max}, got '${value}'`);
  return n;
}

function parseConfig(argv: string[]): Partial<BrokerConfig> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' }, 'http-port': { type: 'string' }, 'data-dir': { type: 'string' },
        storage: { type: 'string' }, 'bind-address': { type: 'string' }, 'advertised-address': { type: 'string' },
        'max-message-size': { type: 'string' }, 'keep-alive-seconds': { type: 'string' }, 'log-level': { type: 'string' },
        help: { type: 'boolean' }, version: { type: 'boolean' },
        ...featureOptions,
        ...topicCreationOptions,
      },
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n\n${usage}`);
  }
  if (values.help) {
    process.stdout.write(usage);
    process.exit(0);
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    process.exit(0);
  }
  const logLevel = values['log-level'] ?? defaultConfig.logLevel;
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel)) fail(`--log-level must be error, warn, info or debug`);
  const storage = values.storage ?? defaultConfig.storage;
  if (storage !== 'file' && storage !== 'memory') fail(`--storage must be file or memory`);
  return {
    port: integer('--port', values.port, defaultConfig.port, 0, 65535),
    httpPort: integer('--http-port', values['http-port'], defaultConfig.httpPort, 0, 65535),
    dataDir: values['data-dir'] ?? defaultConfig.dataDir,
    storage,
    bindAddress: values['bind-address'] ?? defaultConfig.bindAddress,
    advertisedAddress: values['advertised-address'] ?? defaultConfig.advertisedAddress,
    maxMessageSizeBytes: integer('--max-message-size', values['max-message-size'], defaultConfig.maxMessageSizeBytes, 1024, 1 << 30),
    keepAliveIntervalMs: 1000 * integer('--keep-alive-seconds', values['keep-alive-seconds'], defaultConfig.keepAliveIntervalMs / 1000, 1, 3600),
    logLevel: logLevel as LogLevel,
    ...featureConfig(values, integer, fail),
    ...topicCreationConfig(values, integer, fail),
  };
}

function explain(error: unknown, config: Partial<BrokerConfig>): string {
  const e = error as NodeJS.ErrnoException & { port?: number };
  if (e.code === 'EADDRINUSE') return `port ${e.port ?? ''} is already in use (choose another with --port/--http-port)`;
  if (e.code === 'EACCES' && e.syscall === 'listen') return `not allowed to listen on port ${e.port ?? ''}`;
  if (['EACCES', 'EROFS', 'ENOTDIR', 'ENOSPC', 'EEXIST', 'EPERM'].includes(e.code ?? '')) {
    return `data directory '${config.dataDir}' is unusable: ${e.message}`;
  }
  return e.message ?? String(error);
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const config = parseConfig(process.argv.slice(2));
  const logger = createLogger(config.logLevel ?? 'info', (line) => process.stderr.write(`${line}\n`));
  let broker;
  try {
    broker = await startBroker(config, logger);
  } catch (error) {
    fail(explain(error, config));
  }
  const elapsedMs = Math.round(performance.now() - startedAt);
  const host = config.advertisedAddress;
  process.stdout.write(`vela ready pulsar://${host}:${broker.port} http://${host}:${broker.httpPort} (${elapsedMs} ms)\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received, shutting down`);
    broker.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

void main();
