import { MAX_PARTITIONS, type PartitionedTopicMetadata } from '../topic/partitions.js';
import { PARTITION_SUFFIX, type TopicName } from '../topic/topic-name.js';
import type { AdminContext } from './context.js';
import { RestError, json, jsonBody, noContent, queryFlag, serialized, type Reply, type RouteEntry } from './route.js';
import { deleteTopicSchema } from './routes-schemas.js';
import { connectedClients, nameFromMatch, partitionsOf, topicFromMatch, topicPath } from './topic-paths.js';

/** The body of PUT/POST …/partitions: a JSON integer, or `{"partitions":N,"properties":{…}}` (vnd.partitioned-topic-metadata+json). */
function metadataFromBody(body: Buffer): PartitionedTopicMetadata {
  const raw = jsonBody(body, true);
  const object = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw as Record<string, unknown> : undefined;
  const partitions = object ? object.partitions : raw;
  if (typeof partitions !== 'number' || !Number.isInteger(partitions)) {
    throw new RestError(400, 'The number of partitions must be an integer');
  }
  const properties = object?.properties;
  if (properties !== undefined && properties !== null) {
    const valid = typeof properties === 'object' && !Array.isArray(properties)
      && Object.values(properties).every((v) => typeof v === 'string');
    if (!valid) throw new RestError(400, 'properties must map strings to strings');
    return { partitions, properties: properties as Record<string, string> };
  }
  return { partitions };
}

function checkMaxPartitions(partitions: number): void {
  if (partitions > MAX_PARTITIONS) throw new RestError(406, `Number of partitions should be less than or equal to ${MAX_PARTITIONS}`);
}

/**
 * Creates partition topics [from, to) with the given durable subscriptions, at their (empty) start.
 * One at a time: thousands of ledgers opened at once would exhaust file handles. Non-persistent
 * partitions exist only while used, so only their metadata is written (PersistentTopicsBase
 * creates partitions for persistent topics only).
 */
async function createPartitions(ctx: AdminContext, base: TopicName, from: number, to: number, subscriptions: string[]): Promise<void> {
  if (base.domain !== 'persistent') return;
  for (const partition of partitionsOf(base, to).slice(from)) {
    const topic = await ctx.registry.getTopic(partition, true, true);
    for (const name of subscriptions) {
      if (!topic.subscriptions.has(name)) await topic.createDurableSubscription(name, topic.ledger.firstPosition());
    }
  }
}

/**
 * GET …/partitions (PersistentTopicsBase.internalGetPartitionedMetadataAsync); checkAllowAutoCreation defaults
 * to false. With it, a missing topic is auto-created as PARTITIONED_METADATA does it.
 */
async function getPartitions(ctx: AdminContext, m: RegExpMatchArray, url: URL): Promise<Reply> {
  const name = topicFromMatch(ctx, m, true);
  const meta = name.partitionIndex >= 0 ? undefined : await ctx.registry.partitionedTopics.get(name.full);
  if (meta) return json({ partitions: meta.partitions, deleted: false, ...(meta.properties ? { properties: meta.properties } : {}) });
  if (await ctx.registry.exists(name.full)) return json({ partitions: 0, deleted: false });
  if (queryFlag(url, 'checkAllowAutoCreation') && (await ctx.registry.autoTopicCreation(name)).allowed) {
    return json({ partitions: await ctx.registry.createDefaultPartitioned(name), deleted: false });
  }
  throw new RestError(404, `Topic ${name.full} not found`);
}

/**
 * PUT …/partitions: PersistentTopicsBase.internalCreatePartitionedTopic; partitions are created at once, as Pulsar
 * does, for either domain (NonPersistentTopics inherits the endpoint).
 */
async function createPartitioned(ctx: AdminContext, m: RegExpMatchArray, _url: URL, body: Buffer): Promise<Reply> {
  const name = topicFromMatch(ctx, m, true);
  if (name.localName.includes(PARTITION_SUFFIX)) throw new RestError(412, "Partitioned Topic Name should not contain '-partition-'");
  const meta = metadataFromBody(body);
  if (meta.partitions <= 0) throw new RestError(406, 'Number of partitions should be more than 0');
  checkMaxPartitions(meta.partitions);
  if ((await ctx.registry.isPartitioned(name)) || (await ctx.registry.exists(name.full))) {
    throw new RestError(409, 'This topic already exists');
  }
  await ctx.registry.partitionedTopics.put(name.full, meta);
  await createPartitions(ctx, name, 0, meta.partitions, []);
  return noContent();
}

/**
 * POST …/partitions: PersistentTopicsBase.internalUpdatePartitionedTopic. Only growth; the new
 * partitions get the subscriptions the existing ones have, so consumers that discover them miss nothing.
 */
async function growPartitioned(ctx: AdminContext, m: RegExpMatchArray, _url: URL, body: Buffer): Promise<Reply> {
  const name = nameFromMatch(m, true);
  const meta = await ctx.registry.partitionedTopics.get(name.full);
  if (!meta) throw new RestError(409, `Topic ${name.full} is not the partitioned topic.`);
  const { partitions } = metadataFromBody(body);
  if (partitions < meta.partitions) {
    throw new RestError(422, `Desired partitions ${partitions} can't be less than the current partitions ${meta.partitions}.`);
  }
  checkMaxPartitions(partitions);
  if (partitions === meta.partitions) return noContent();
  const subscriptions = new Set<string>();
  for (const partition of partitionsOf(name, meta.partitions)) {
    if (name.domain !== 'persistent' || !(await ctx.registry.exists(partition.full))) continue;
    const topic = await ctx.registry.getTopic(partition, false);
    for (const sub of topic.subscriptions.values()) if (sub.durable) subscriptions.add(sub.name);
  }
  await createPartitions(ctx, name, meta.partitions, partitions, [...subscriptions]);
  await ctx.registry.partitionedTopics.put(name.full, { ...meta, partitions });
  return noContent();
}

/** DELETE …/partitions: PersistentTopicsBase.internalDeletePartitionedTopic; refused while clients are attached unless forced. */
async function deletePartitioned(ctx: AdminContext, m: RegExpMatchArray, url: URL): Promise<Reply> {
  const name = topicFromMatch(ctx, m, true);
  const meta = await ctx.registry.partitionedTopics.get(name.full);
  if (meta && name.domain !== 'persistent') return deleteNonPersistentPartitioned(ctx, name, meta.partitions, queryFlag(url, 'force'));
  if (!meta) {
    if (await ctx.registry.exists(name.full)) {
      throw new RestError(409, `${name.full} is a non-partitioned topic. Instead of calling delete-partitioned-topic please call delete.`);
    }
    throw new RestError(404, `Topic ${name.full} not found.`);
  }
  const existing: TopicName[] = [];
  for (const partition of partitionsOf(name, meta.partitions)) {
    if (await ctx.registry.exists(partition.full)) existing.push(partition);
  }
  if (!queryFlag(url, 'force')) {
    for (const partition of existing) {
      if (connectedClients(await ctx.registry.getTopic(partition, false)) > 0) {
        throw new RestError(412, 'Topic has active producers/subscriptions');
      }
    }
  }
  for (const partition of existing) await ctx.registry.deleteTopic(partition);
  await ctx.registry.partitionedTopics.delete(name.full);
  await deleteTopicSchema(ctx, name);
  return noContent();
}

/** The loaded partitions of a non-persistent partitioned topic are closed, then its metadata goes. */
async function deleteNonPersistentPartitioned(ctx: AdminContext, name: TopicName, partitions: number, force: boolean): Promise<Reply> {
  const loaded = partitionsOf(name, partitions).flatMap((p) => ctx.registry.loadedNonPersistentTopic(p.full) ?? []);
  if (!force && loaded.some((topic) => topic.usageCount() > 0)) throw new RestError(412, 'Topic has active producers/subscriptions');
  for (const topic of loaded) await ctx.registry.dropNonPersistentTopic(topic.topicName);
  await ctx.registry.partitionedTopics.delete(name.full);
  return noContent();
}

export const partitionRoutes: RouteEntry[] = [
  ['GET', topicPath('/partitions'), getPartitions],
  ['PUT', topicPath('/partitions'), serialized(createPartitioned)],
  ['POST', topicPath('/partitions'), serialized(growPartitioned)],
  ['DELETE', topicPath('/partitions'), serialized(deletePartitioned)],
];
