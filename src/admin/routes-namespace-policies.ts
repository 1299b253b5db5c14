import type { AdminContext } from './context.js';
import { RestError, json, jsonBody, noContent, type Reply, type RouteEntry } from './route.js';
import { existingNamespace } from './routes-namespaces.js';

const NS = '^/admin/v2/namespaces/([^/]+)/([^/]+)';
const QUOTA_TYPES = ['destination_storage', 'message_age'];
const QUOTA_POLICIES = ['producer_request_hold', 'producer_exception', 'consumer_backlog_eviction'];

/** Stores a field of the namespace's Policies and lets its loaded topics take it on. */
async function setField(ctx: AdminContext, namespace: string, field: string, value: unknown): Promise<Reply> {
  await ctx.namespaces.setPolicy(namespace, field, value);
  await ctx.registry.refreshPolicies(namespace);
  return noContent();
}

/** A policy field as Pulsar answers it: the value, or 204 when unset (Jersey resuming with null). */
async function getField(ctx: AdminContext, m: RegExpMatchArray, field: string): Promise<Reply> {
  const value = (await ctx.namespaces.getPolicies(existingNamespace(ctx, m)))?.[field];
  return value === undefined || value === null ? noContent() : json(value);
}

/** POST …/deduplication with a JSON boolean (Namespaces.modifyDeduplication). */
async function setDeduplication(ctx: AdminContext, m: RegExpMatchArray, _url: URL, body: Buffer): Promise<Reply> {
  const namespace = existingNamespace(ctx, m);
  const enabled = jsonBody(body, true);
  if (typeof enabled !== 'boolean') throw new RestError(400, 'deduplication expects a JSON boolean');
  return setField(ctx, namespace, 'deduplicationEnabled', enabled);
}

/** POST …/messageTTL with a number of seconds (Namespaces.setNamespaceMessageTTL). */
async function setMessageTtl(ctx: AdminContext, m: RegExpMatchArray, _url: URL, body: Buffer): Promise<Reply> {
  const namespace = existingNamespace(ctx, m);
  const seconds = jsonBody(body, true);
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) throw new RestError(412, 'Invalid value for message TTL');
  return setField(ctx, namespace, 'message_ttl_in_seconds', seconds);
}

/** POST …/retention with RetentionPolicies {retentionTimeInMinutes, retentionSizeInMB}. */
async function setRetention(ctx: AdminContext, m: RegExpMatchArray, _url: URL, body: Buffer): Promise<Reply> {
  const namespace = existingNamespace(ctx, m);
  const retention = jsonBody(body, true) as { retentionTimeInMinutes?: unknown; retentionSizeInMB?: unknown } | null;
  const time = retention?.retentionTimeInMinutes ?? 0;
  const size = retention?.retentionSizeInMB ?? 0;
  if (typeof time !== 'number' || typeof size !== 'number' || time < -1 || size < -1) {
    throw new RestError(412, 'Invalid retention policy: retentionTimeInMinutes and retentionSizeInMB must be numbers >= -1');
  }
  return setField(ctx, namespace, 'retention_policies', { retentionTimeInMinutes: time, retentionSizeInMB: size });
}

function quotaType(url: URL): string {
  const type = url.searchParams.get('backlogQuotaType') ?? 'destination_storage';
  if (!QUOTA_TYPES.includes(type)) throw new RestError(400, `Invalid backlogQuotaType ${type}`);
  return type;
}

/** POST …/backlogQuota?backlogQuotaType= with BacklogQuota {limitSize, limitTime, policy}. */
async function setBacklogQuota(ctx: AdminContext, m: RegExpMatchArray, url: URL, body: Buffer): Promise<Reply> {
  const namespace = existingNamespace(ctx, m);
  const type = quotaType(url);
  const quota = jsonBody(body, true) as { limitSize?: unknown; limit?: unknown; limitTime?: unknown; policy?: unknown } | null;
  const policy = quota?.policy;
  if (typeof policy !== 'string' || !QUOTA_POLICIES.includes(policy)) throw new RestError(400, 'backlog quota needs a valid policy');
  const limitSize = Number(quota?.limitSize ?? quota?.limit ?? -1);
  const limitTime = Number(quota?.limitTime ?? -1);
  const map = { ...((await ctx.namespaces.getPolicies(namespace))?.backlog_quota_map as object | undefined ?? {}) };
  (map as Record<string, unknown>)[type] = { limit: limitSize, limitSize, limitTime, policy };
  return setField(ctx, namespace, 'backlog_quota_map', map);
}

async function removeBacklogQuota(ctx: AdminContext, m: RegExpMatchArray, url: URL): Promise<Reply> {
  const namespace = existingNamespace(ctx, m);
  const map = { ...((await ctx.namespaces.getPolicies(namespace))?.backlog_quota_map as object | undefined ?? {}) };
  delete (map as Record<string, unknown>)[quotaType(url)];
  return setField(ctx, namespace, 'backlog_quota_map', map);
}

const remove = (field: string) => (ctx: AdminContext, m: RegExpMatchArray) => setField(ctx, existingNamespace(ctx, m), field, undefined);

/** The namespace policies the retry/time/exactly-once features act on (v2/Namespaces.java). */
export const namespacePolicyRoutes: RouteEntry[] = [
  ['GET', new RegExp(`${NS}/deduplication$`), (ctx, m) => getField(ctx, m, 'deduplicationEnabled')],
  ['POST', new RegExp(`${NS}/deduplication$`), setDeduplication],
  ['DELETE', new RegExp(`${NS}/deduplication$`), remove('deduplicationEnabled')],
  ['GET', new RegExp(`${NS}/messageTTL$`), (ctx, m) => getField(ctx, m, 'message_ttl_in_seconds')],
  ['POST', new RegExp(`${NS}/messageTTL$`), setMessageTtl],
  ['DELETE', new RegExp(`${NS}/messageTTL$`), remove('message_ttl_in_seconds')],
  ['GET', new RegExp(`${NS}/retention$`), (ctx, m) => getField(ctx, m, 'retention_policies')],
  ['POST', new RegExp(`${NS}/retention$`), setRetention],
  ['DELETE', new RegExp(`${NS}/retention$`), remove('retention_policies')],
  ['GET', new RegExp(`${NS}/backlogQuotaMap$`), async (ctx, m) => json((await ctx.namespaces.getPolicies(existingNamespace(ctx, m)))?.backlog_quota_map ?? {})],
  ['POST', new RegExp(`${NS}/backlogQuota$`), setBacklogQuota],
  ['DELETE', new RegExp(`${NS}/backlogQuota$`), removeBacklogQuota],
];
