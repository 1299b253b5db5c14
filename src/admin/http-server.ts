import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TopicRegistry } from '../topic/registry.js';
import { InvalidTopicNameError, parseTopicName } from '../topic/topic-name.js';

export interface AdminContext {
  readonly registry: TopicRegistry;
  readonly clusterName: string;
  readonly version: string;
  brokerServiceUrl(): string;
  webServiceUrl(): string;
  metrics(): string;
}

type Route = (ctx: AdminContext, match: RegExpMatchArray, url: URL) => Promise<Reply> | Reply;
interface Reply { status: number; body: unknown; contentType?: string }

const json = (body: unknown, status = 200): Reply => ({ status, body });
const text = (body: string, contentType = 'text/plain'): Reply => ({ status: 200, body, contentType });

/**
 * The HTTP side Vela has today: health and readiness probes, clusters (Testcontainers waits for
 * ["standalone"]), what clients with an http:// service URL call (lookup, partitions, namespace
 * topics; PROTOCOL.md §6.1) and /metrics. The admin issue widens it.
 */
const routes: Array<[string, RegExp, Route]> = [
  ['GET', /^\/admin\/v2\/brokers\/(health|ready)$/, () => text('ok')],
  ['GET', /^\/admin\/v2\/brokers\/version$/, (ctx) => text(ctx.version)],
  ['GET', /^\/admin\/v2\/clusters$/, (ctx) => json([ctx.clusterName])],
  ['GET', /^\/admin\/v2\/tenants$/, () => json(['public', 'pulsar'])],
  ['GET', /^\/admin\/v2\/namespaces\/([^/]+)$/, (_ctx, m) => json(m[1] === 'public' ? ['public/default'] : m[1] === 'pulsar' ? ['pulsar/system'] : [])],
  ['GET', /^\/admin\/v2\/namespaces\/([^/]+)\/([^/]+)\/topics$/, async (ctx, m) => json(await ctx.registry.topicsOfNamespace(m[1]!, m[2]!))],
  ['GET', /^\/admin\/v2\/persistent\/([^/]+)\/([^/]+)$/, async (ctx, m) => json(await ctx.registry.topicsOfNamespace(m[1]!, m[2]!))],
  ['GET', /^\/admin\/v2\/(persistent|non-persistent)\/([^/]+)\/([^/]+)\/([^/]+)\/partitions$/, partitionsRoute],
  ['GET', /^\/lookup\/v2\/topic\/(persistent|non-persistent)\/([^/]+)\/([^/]+)\/([^/]+)$/, lookupRoute],
  ['GET', /^\/metrics\/?$/, (ctx) => text(ctx.metrics(), 'text/plain; version=0.0.4')],
];

async function partitionsRoute(ctx: AdminContext, m: RegExpMatchArray, url: URL): Promise<Reply> {
  const name = parseTopicName(`${m[1]}://${m[2]}/${m[3]}/${decodeURIComponent(m[4]!)}`);
  const partitions = await ctx.registry.partitions(name);
  // checkAllowAutoCreation=false asks about existence only (PersistentTopicsBase.internalGetPartitionedMetadataAsync).
  if (partitions === 0 && url.searchParams.get('checkAllowAutoCreation') === 'false' && !(await ctx.registry.exists(name.full))) {
    return json({ reason: `Topic ${name.full} not found` }, 404);
  }
  return json({ partitions, deleted: false });
}

function lookupRoute(ctx: AdminContext, m: RegExpMatchArray): Reply {
  parseTopicName(`${m[1]}://${m[2]}/${m[3]}/${decodeURIComponent(m[4]!)}`);
  const brokerUrl = ctx.brokerServiceUrl();
  // The C++ client needs brokerUrlTls/brokerUrlSsl keys present (HTTPLookupService.cc).
  return json({
    brokerId: new URL(brokerUrl).host, brokerUrl, brokerUrlTls: '', brokerUrlSsl: '',
    httpUrl: ctx.webServiceUrl(), httpUrlTls: '', nativeUrl: brokerUrl,
  });
}

export class AdminServer {
  private readonly server: http.Server;

  constructor(private readonly ctx: AdminContext) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let reply: Reply = json({ reason: 'Not Found' }, 404);
    try {
      for (const [method, pattern, route] of routes) {
        const match = url.pathname.match(pattern);
        if (!match) continue;
        reply = method === req.method ? await route(this.ctx, match, url) : json({ reason: 'Method Not Allowed' }, 405);
        break;
      }
    } catch (error) {
      const invalid = error instanceof InvalidTopicNameError;
      reply = json({ reason: (error as Error).message }, invalid ? 412 : 500);
    }
    const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'Content-Type': reply.contentType ?? 'application/json' });
    res.end(body);
  }
}
