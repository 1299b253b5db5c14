import type { AdminContext } from './context.js';
import { partitionedStats } from './partitioned-stats.js';
import { RestError, json, type Reply, type RouteEntry } from './route.js';
import { existingTopic, partitionsOf, topicFromMatch, topicPath } from './topic-paths.js';
import { topicStats, type Stats } from './topic-stats.js';

/** Pulsar names the broker that owns the topic by its web address, host:port. */
const ownerBroker = (ctx: AdminContext) => new URL(ctx.webServiceUrl()).host;

/** GET …/stats: one topic or partition; a partitioned topic's base name is not a topic (404, as Pulsar). */
async function getStats(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const topic = await existingTopic(ctx, topicFromMatch(ctx, m));
  return json(topicStats(topic, ownerBroker(ctx)));
}

/** GET …/partitioned-stats?perPartition=true (the default); partitions that do not exist are left out. */
async function getPartitionedStats(ctx: AdminContext, m: RegExpMatchArray, url: URL): Promise<Reply> {
  const name = topicFromMatch(ctx, m);
  const meta = name.partitionIndex >= 0 ? undefined : await ctx.registry.partitionedTopics.get(name.full);
  if (!meta) throw new RestError(404, `Partitioned Topic ${name.full} not found`);
  const byPartition = new Map<string, Stats>();
  for (const partition of partitionsOf(name, meta.partitions)) {
    if (!(await ctx.registry.exists(partition.full))) continue;
    byPartition.set(partition.full, topicStats(await ctx.registry.getTopic(partition, false), ownerBroker(ctx)));
  }
  const perPartition = url.searchParams.get('perPartition')?.toLowerCase() !== 'false';
  return json(partitionedStats(meta.partitions, byPartition, perPartition));
}

/**
 * GET …/lastMessageId (PersistentTopicsBase.internalGetLastMessageId): the last entry with its last
 * batch index; an empty topic answers its current ledger with entryId -1, as Pulsar does.
 */
async function getLastMessageId(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const name = topicFromMatch(ctx, m);
  const topic = await existingTopic(ctx, name);
  const last = await topic.lastMessageId();
  const id = last ?? { ledgerId: topic.ledger.nextPosition().ledgerId, entryId: -1, batchIndex: -1 };
  return json({ ledgerId: id.ledgerId, entryId: id.entryId, partitionIndex: name.partitionIndex, batchIndex: id.batchIndex, batchSize: 0 });
}

export const statsRoutes: RouteEntry[] = [
  ['GET', topicPath('/stats'), getStats],
  ['GET', topicPath('/partitioned-stats'), getPartitionedStats],
  ['GET', topicPath('/lastMessageId'), getLastMessageId],
];
