import type { Position } from '../storage/types.js';
import type { AdminContext } from './context.js';
import { internalStats } from './internal-stats.js';
import { RestError, json, noContent, serialized, type Reply, type RouteEntry } from './route.js';
import { existingTopic, partitionsOf, topicFromMatch, topicPath } from './topic-paths.js';

/** GET …/internalStats: one topic or partition (a partitioned topic's base name is no topic: 404, as Pulsar). */
async function getInternalStats(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  return json(internalStats(await existingTopic(ctx, topicFromMatch(ctx, m))));
}

/** GET …/partitioned-internalStats (PartitionedTopicInternalStats): the partitions that exist, by name. */
async function getPartitionedInternalStats(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const name = topicFromMatch(ctx, m);
  const meta = name.partitionIndex >= 0 ? undefined : await ctx.registry.partitionedTopics.get(name.full);
  if (!meta) throw new RestError(404, `Partitioned Topic ${name.full} not found`);
  const partitions: Record<string, unknown> = {};
  for (const partition of partitionsOf(name, meta.partitions)) {
    if (!(await ctx.registry.exists(partition.full))) continue;
    partitions[partition.full] = internalStats(await ctx.registry.getTopic(partition, false));
  }
  return json({ metadata: { partitions: meta.partitions, deleted: false }, partitions });
}

/** MessageIdImpl as JSON; Pulsar's terminate answers partitionIndex -1 even for a partition. */
const messageIdJson = (p: Position) => ({ ledgerId: p.ledgerId, entryId: p.entryId, partitionIndex: -1, batchIndex: -1, batchSize: 0 });

/** POST …/terminate (PersistentTopicsBase.internalTerminateAsync): the last message id. */
async function terminate(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const name = topicFromMatch(ctx, m);
  if (await ctx.registry.isPartitioned(name)) throw new RestError(405, 'Termination of a partitioned topic is not allowed');
  return json(messageIdJson(await (await existingTopic(ctx, name)).terminate()));
}

/** POST …/terminate/partitions (internalTerminatePartitionedTopic): {"partition index": last message id}. */
async function terminatePartitions(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const name = topicFromMatch(ctx, m);
  const partitions = await ctx.registry.partitions(name);
  if (partitions === 0) {
    await existingTopic(ctx, name);
    throw new RestError(405, 'Termination of a non-partitioned topic is not allowed using partitioned-terminate, please use terminate commands');
  }
  const ids: Record<string, unknown> = {};
  for (const partition of partitionsOf(name, partitions)) {
    if (!(await ctx.registry.exists(partition.full))) continue;
    ids[String(partition.partitionIndex)] = messageIdJson(await (await ctx.registry.getTopic(partition, false)).terminate());
  }
  return json(ids);
}

/**
 * PUT …/unload (internalUnloadTopic): the topic is closed, its clients get CLOSE_PRODUCER/CLOSE_CONSUMER and
 * reconnect, and the next use loads it again. A partitioned topic unloads each partition.
 */
async function unload(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const name = topicFromMatch(ctx, m);
  const partitions = await ctx.registry.partitions(name);
  if (partitions === 0) {
    await existingTopic(ctx, name);
    await ctx.registry.unloadTopic(name);
    return noContent();
  }
  for (const partition of partitionsOf(name, partitions)) await ctx.registry.unloadTopic(partition);
  return noContent();
}

export const topicAdminRoutes: RouteEntry[] = [
  ['GET', topicPath('/internalStats'), getInternalStats],
  ['GET', topicPath('/partitioned-internalStats'), getPartitionedInternalStats],
  ['POST', topicPath('/terminate'), serialized(terminate)],
  ['POST', topicPath('/terminate/partitions'), serialized(terminatePartitions)],
  ['PUT', topicPath('/unload'), serialized(unload)],
];
