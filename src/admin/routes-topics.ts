import { parseTopicName } from '../topic/topic-name.js';
import type { AdminContext } from './context.js';
import { RestError, json, jsonBody, noContent, queryFlag, segment, serialized, type Reply, type RouteEntry } from './route.js';
import { deleteTopicSchema } from './routes-schemas.js';
import { connectedClients, existingTopic, topicFromMatch, topicPath } from './topic-paths.js';

/** `{domain}://tenant/ns/` of a namespace-level topic route; 404 when the namespace is missing. */
function namespacePrefix(ctx: AdminContext, m: RegExpMatchArray): string {
  const namespace = `${segment(m, 2)}/${segment(m, 3)}`;
  if (!ctx.namespaces.exists(namespace)) throw new RestError(404, 'Namespace does not exist');
  return `${m[1]}://${namespace}/`;
}

/**
 * PersistentTopicsBase.internalGetListAsync: every topic that exists, partitions one by one.
 * Non-persistent topics exist only while used, and Vela has none, so that list is empty;
 * pulsar-admin `topics list` merges both lists (TopicsImpl.getListAsync).
 */
async function listTopics(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  namespacePrefix(ctx, m);
  if (m[1] !== 'persistent') return json([]);
  return json(await ctx.registry.topicsOfNamespace(segment(m, 2), segment(m, 3)));
}

/** PersistentTopicsBase.internalGetPartitionedTopicListAsync: base names of partitioned topics. */
async function listPartitioned(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const prefix = namespacePrefix(ctx, m);
  return json((await ctx.registry.partitionedTopics.list(prefix)).map(([name]) => name).sort());
}

/** PersistentTopicsBase.internalCreateNonPartitionedTopic (body: optional properties, not kept). */
async function createTopic(ctx: AdminContext, m: RegExpMatchArray, _url: URL, body: Buffer): Promise<Reply> {
  const name = topicFromMatch(ctx, m);
  jsonBody(body, false);
  if (name.partitionIndex >= 0 && !(await ctx.registry.partitionedTopics.get(name.baseName))) {
    const base = parseTopicName(name.baseName);
    throw new RestError(412, `Can't create topic ${name.localName} with "-partition-" followed by numeric value `
      + `if there isn't a partitioned topic ${base.localName} created.`);
  }
  if ((await ctx.registry.exists(name.full)) || (await ctx.registry.isPartitioned(name))) {
    throw new RestError(409, 'This topic already exists');
  }
  await ctx.registry.getTopic(name, true, true);
  return noContent();
}

/** PersistentTopicsBase.internalDeleteTopic: refused while clients are attached unless forced. */
async function deleteTopic(ctx: AdminContext, m: RegExpMatchArray, url: URL): Promise<Reply> {
  const name = topicFromMatch(ctx, m);
  if (await ctx.registry.isPartitioned(name)) {
    throw new RestError(409, `${name.full} is a partitioned topic, instead of calling delete topic, please call delete-partitioned-topic.`);
  }
  const topic = await existingTopic(ctx, name);
  const clients = connectedClients(topic);
  if (clients > 0 && !queryFlag(url, 'force')) throw new RestError(412, `Topic has ${clients} connected producers/consumers`);
  await ctx.registry.deleteTopic(name);
  await deleteTopicSchema(ctx, name);
  return noContent();
}

export const topicRoutes: RouteEntry[] = [
  ['GET', /^\/admin\/v2\/(persistent|non-persistent)\/([^/]+)\/([^/]+)$/, listTopics],
  ['GET', /^\/admin\/v2\/(persistent|non-persistent)\/([^/]+)\/([^/]+)\/partitioned$/, listPartitioned],
  ['PUT', topicPath(), serialized(createTopic)],
  ['DELETE', topicPath(), serialized(deleteTopic)],
];
