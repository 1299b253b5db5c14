import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BrokerError } from '../errors.js';
import { InvalidTopicNameError } from '../topic/topic-name.js';
import type { AdminContext } from './context.js';
import { RestError, json, text, type Reply, type RouteEntry } from './route.js';
import { namespacePolicyRoutes } from './routes-namespace-policies.js';
import { namespaceRoutes } from './routes-namespaces.js';
import { autoTopicCreationRoutes } from './routes-auto-topic-creation.js';
import { nonPersistentRoutes } from './routes-non-persistent.js';
import { partitionRoutes } from './routes-partitions.js';
import { messageRoutes } from './routes-messages.js';
import { schemaRoutes } from './routes-schemas.js';
import { statsRoutes } from './routes-stats.js';
import { subscriptionRoutes } from './routes-subscriptions.js';
import { tenantRoutes } from './routes-tenants.js';
import { topicAdminRoutes } from './routes-topic-admin.js';
import { topicRoutes } from './routes-topics.js';
import { unsupportedRoutes } from './routes-unsupported.js';
import { topicFromMatch } from './topic-paths.js';

export type { AdminContext } from './context.js';

/** Request bodies are small JSON documents (policies, counts, positions). */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The HTTP side: health and readiness probes, what clients with an http:// service URL call
 * (lookup, partitions, namespace topics; PROTOCOL.md §6.1), the /admin/v2 subset (PROTOCOL.md §6.2)
 * and /metrics. A path served for other methods answers 405, as Jersey does.
 */
const routes: RouteEntry[] = [
  ['GET', /^\/admin\/v2\/brokers\/(health|ready)$/, () => text('ok')],
  ['GET', /^\/admin\/v2\/brokers\/version$/, (ctx) => text(ctx.version)],
  // BrokersBase.getRuntimeConfiguration: Pulsar lists every setting as a string; `pulsar-admin clusters list`
  // reads clusterName from it to mark the current cluster. Vela answers the settings it shares with Pulsar.
  ['GET', /^\/admin\/v2\/brokers\/configuration\/runtime$/, (ctx) => json({
    clusterName: ctx.clusterName, allowAutoTopicCreation: String(ctx.allowAutoTopicCreation),
  })],
  ...tenantRoutes,
  ...namespaceRoutes,
  ...namespacePolicyRoutes,
  ...autoTopicCreationRoutes,
  ...nonPersistentRoutes,
  ...topicRoutes,
  ...partitionRoutes,
  ...subscriptionRoutes,
  ...statsRoutes,
  ...schemaRoutes,
  ...topicAdminRoutes,
  ...messageRoutes,
  ['GET', /^\/lookup\/v2\/topic\/(persistent|non-persistent)\/([^/]+)\/([^/]+)\/([^/]+)$/, lookupRoute],
  ['GET', /^\/metrics\/?$/, (ctx) => text(ctx.metrics(), 'text/plain; version=0.0.4')],
  // Last: the first matching route wins, and these 501 placeholders must not shadow a real route added above.
  ...unsupportedRoutes,
];

/** TopicLookup: a topic in a missing namespace is 404 "Namespace not found", as Pulsar 4.0.7 answers. */
function lookupRoute(ctx: AdminContext, m: RegExpMatchArray): Reply {
  topicFromMatch(ctx, m, true);
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
    let reply: Reply;
    try {
      reply = await this.dispatch(req, url);
    } catch (error) {
      reply = errorReply(error);
    }
    const body = typeof reply.body === 'string' || Buffer.isBuffer(reply.body) ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, { ...reply.headers, 'Content-Type': reply.contentType ?? 'application/json' });
    res.end(body);
  }

  private async dispatch(req: http.IncomingMessage, url: URL): Promise<Reply> {
    let pathMatched = false;
    for (const [method, pattern, route] of routes) {
      const match = url.pathname.match(pattern);
      if (!match) continue;
      pathMatched = true;
      if (method !== req.method) continue;
      return route(this.ctx, match, url, await readBody(req));
    }
    return pathMatched ? json({ reason: 'Method Not Allowed' }, 405) : json({ reason: 'Not Found' }, 404);
  }
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new RestError(413, `Request body larger than ${MAX_BODY_BYTES} bytes`));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Failures become Pulsar's `{"reason": …}` with its status (RestException). */
function errorReply(error: unknown): Reply {
  const reason = error instanceof Error ? error.message : String(error);
  if (error instanceof RestError) return json({ reason }, error.status);
  if (error instanceof InvalidTopicNameError) return json({ reason }, 412);
  if (error instanceof BrokerError && (error.code === 'TopicNotFound' || error.code === 'SubscriptionNotFound')) {
    return json({ reason }, 404);
  }
  return json({ reason }, 500);
}
