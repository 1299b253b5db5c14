import net from 'node:net';
import { startBroker, type RunningBroker } from '../broker.js';
import type { BrokerConfig } from '../config/config.js';
import { FakeClient } from './fake-client.js';

export interface AdminReply {
  status: number;
  body: any;
}

export interface TestBroker {
  readonly broker: RunningBroker;
  /** An admin request; a non-string body is sent as JSON. */
  call(method: string, path: string, body?: unknown): Promise<AdminReply>;
  /** A scripted client on a real TCP connection to the broker, already CONNECTED. */
  client(): Promise<FakeClient>;
  close(): Promise<void>;
}

/** An in-process broker on free ports with memory storage, for HTTP and wire tests. */
export async function startTestBroker(overrides: Partial<BrokerConfig> = {}): Promise<TestBroker> {
  const broker = await startBroker({ storage: 'memory', port: 0, httpPort: 0, cursorFlushIntervalMs: 10, ...overrides });
  const base = `http://127.0.0.1:${broker.httpPort}`;
  const sockets: net.Socket[] = [];
  return {
    broker,
    async call(method, path, body) {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const res = await fetch(base + path, { method, body: payload, headers: { 'Content-Type': 'application/json' } });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // plain text (health, version, metrics)
      }
      return { status: res.status, body: parsed };
    },
    async client() {
      const client = new FakeClient();
      const socket = net.connect(broker.port, '127.0.0.1');
      sockets.push(socket);
      socket.on('data', (data) => client.brokerSide.write(data));
      socket.on('close', () => client.brokerSide.destroy());
      socket.on('error', () => undefined);
      client.brokerSide.on('data', (data: Buffer) => socket.write(data));
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      await client.connect();
      return client;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await broker.close();
    },
  };
}
