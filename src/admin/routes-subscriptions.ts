import { BrokerError } from '../errors.js';
import type { Position } from '../storage/types.js';
import { isBefore } from '../subscription/positions.js';
import type { Subscription } from '../subscription/subscription.js';
import type { Topic } from '../topic/topic.js';
import type { TopicName } from '../topic/topic-name.js';
import type { AdminContext } from './context.js';
import { RestError, json, jsonBody, noContent, queryFlag, segment, serialized, type Reply, type RouteEntry } from './route.js';
import { existingTopic, partitionsOf, topicFromMatch, topicPath } from './topic-paths.js';

/** Where a created or reset cursor starts: ResetCursorData / MessageIdImpl JSON, latest by default. */
type StartSpec = 'latest' | 'earliest' | { ledgerId: number; entryId: number; excluded: boolean };

/** MessageId.latest is (Long.MAX_VALUE, Long.MAX_VALUE); JSON numbers that large read as ~9.22e18. */
const LATEST_LEDGER_ID = 9.2e18;

function startFromBody(body: Buffer, required: boolean): StartSpec {
  const raw = jsonBody(body, required);
  if (raw === undefined || raw === null) return 'latest';
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new RestError(400, 'Expected a message id object {"ledgerId","entryId"}');
  const { ledgerId, entryId, isExcluded } = raw as { ledgerId?: unknown; entryId?: unknown; isExcluded?: unknown };
  if (typeof ledgerId !== 'number' || typeof entryId !== 'number') {
    if (required) throw new RestError(400, 'ledgerId and entryId are required');
    return 'latest';
  }
  if (ledgerId >= LATEST_LEDGER_ID) return 'latest';
  if (ledgerId < 0 || entryId < 0) return 'earliest';
  return { ledgerId, entryId, excluded: isExcluded === true };
}

/** The next entry to deliver for `spec`, clamped to what the ledger holds. */
function startPosition(topic: Topic, spec: StartSpec): Position {
  const first = topic.ledger.firstPosition();
  const next = topic.ledger.nextPosition();
  if (spec === 'latest') return next;
  if (spec === 'earliest') return first;
  const at = { ledgerId: spec.ledgerId, entryId: spec.entryId };
  if (isBefore(at, first)) return first;
  if (isBefore(next, at)) return next;
  return spec.excluded ? topic.ledger.positionAfter(at, 1) : at;
}

/** A subscription operation applies to every partition of a partitioned topic. */
async function targetTopics(ctx: AdminContext, name: TopicName): Promise<TopicName[]> {
  const partitions = await ctx.registry.partitions(name);
  return partitions > 0 ? partitionsOf(name, partitions) : [name];
}

/** The subscription on the topic, or on each partition that has it; Pulsar's 404s otherwise. */
async function findSubscriptions(ctx: AdminContext, name: TopicName, sub: string): Promise<Array<{ topic: Topic; subscription: Subscription }>> {
  const partitions = await ctx.registry.partitions(name);
  if (partitions === 0) {
    const topic = await existingTopic(ctx, name);
    const subscription = topic.subscriptions.get(sub);
    if (!subscription) throw new RestError(404, `Subscription ${sub} not found for topic ${name.full}`);
    return [{ topic, subscription }];
  }
  const found: Array<{ topic: Topic; subscription: Subscription }> = [];
  for (const partition of partitionsOf(name, partitions)) {
    if (!(await ctx.registry.exists(partition.full))) continue;
    const topic = await ctx.registry.getTopic(partition, false);
    const subscription = topic.subscriptions.get(sub);
    if (subscription) found.push({ topic, subscription });
  }
  if (found.length === 0) throw new RestError(404, 'Subscription not found');
  return found;
}

/** PersistentTopicsBase.internalGetSubscriptions: names, the union over partitions. */
async function listSubscriptions(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const name = topicFromMatch(ctx, m);
  const names = new Set<string>();
  const partitioned = await ctx.registry.isPartitioned(name);
  for (const target of await targetTopics(ctx, name)) {
    if (partitioned && !(await ctx.registry.exists(target.full))) continue;
    for (const sub of (await existingTopic(ctx, target)).subscriptions.keys()) names.add(sub);
  }
  return json([...names]);
}

/** PersistentTopicsBase.internalCreateSubscription: the topic is auto-created when allowed, like Pulsar does. */
async function createSubscription(ctx: AdminContext, m: RegExpMatchArray, _url: URL, body: Buffer): Promise<Reply> {
  const name = topicFromMatch(ctx, m);
  const sub = segment(m, 5);
  const spec = startFromBody(body, false);
  const topics: Topic[] = [];
  for (const target of await targetTopics(ctx, name)) {
    try {
      topics.push(await ctx.registry.getTopic(target, true));
    } catch (error) {
      if (error instanceof BrokerError && error.code === 'TopicNotFound') throw new RestError(404, `Topic ${target.full} not found`);
      throw error;
    }
  }
  if (topics.some((topic) => topic.subscriptions.has(sub))) throw new RestError(409, 'Subscription already exists for topic');
  for (const topic of topics) await topic.createDurableSubscription(sub, startPosition(topic, spec));
  return noContent();
}

/** PersistentTopicsBase.internalDeleteSubscription: refused while consumers are attached unless forced. */
async function deleteSubscription(ctx: AdminContext, m: RegExpMatchArray, url: URL): Promise<Reply> {
  const found = await findSubscriptions(ctx, topicFromMatch(ctx, m), segment(m, 5));
  if (!queryFlag(url, 'force') && found.some(({ subscription }) => subscription.consumers().length > 0)) {
    throw new RestError(412, 'Subscription has active connected consumers');
  }
  for (const { topic, subscription } of found) {
    for (const consumer of [...subscription.consumers()]) consumer.sender.sendCloseConsumer(consumer.id);
    await topic.deleteSubscription(subscription, undefined);
  }
  return noContent();
}

/** skip_all: PersistentTopicsBase.internalSkipAllMessages (ManagedCursor.clearBacklog). */
async function skipAll(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  for (const { topic, subscription } of await findSubscriptions(ctx, topicFromMatch(ctx, m), segment(m, 5))) {
    const last = topic.ledger.lastPosition();
    if (last) subscription.cursor.ackCumulative(last);
    await subscription.flush();
    topic.scheduleTrim();
  }
  return noContent();
}

/** skip/{n}: the next n unacknowledged entries are acknowledged (ManagedCursor.skipEntries, excluding deleted ones). */
async function skipMessages(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const count = Number(m[6]);
  for (const { topic, subscription } of await findSubscriptions(ctx, topicFromMatch(ctx, m), segment(m, 5))) {
    const { cursor } = subscription;
    const last = topic.ledger.lastPosition();
    let position = cursor.markDelete;
    for (let skipped = 0; last && skipped < count && isBefore(position, last);) {
      position = topic.ledger.positionAfter(position, 1);
      if (!cursor.isAcked(position)) skipped++;
    }
    cursor.ackCumulative(position);
    await subscription.flush();
    topic.scheduleTrim();
  }
  return noContent();
}

/** resetcursor/{timestamp}: PersistentTopicsBase.internalResetCursor; consumers are disconnected and come back. */
async function resetByTime(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const timestampMs = Number(m[6]);
  for (const { topic, subscription } of await findSubscriptions(ctx, topicFromMatch(ctx, m), segment(m, 5))) {
    await subscription.resetCursor(await topic.positionForPublishTime(timestampMs));
  }
  return noContent();
}

/** resetcursor with a ResetCursorData body: PersistentTopicsBase.internalResetCursorOnPosition. */
async function resetToPosition(ctx: AdminContext, m: RegExpMatchArray, _url: URL, body: Buffer): Promise<Reply> {
  const name = topicFromMatch(ctx, m);
  if (await ctx.registry.isPartitioned(name)) throw new RestError(405, 'Reset-cursor at position is not allowed for partitioned-topic');
  const spec = startFromBody(body, true);
  for (const { topic, subscription } of await findSubscriptions(ctx, name, segment(m, 5))) {
    await subscription.resetCursor(startPosition(topic, spec));
  }
  return noContent();
}

const SUBSCRIPTION = '/subscription/([^/]+)';

export const subscriptionRoutes: RouteEntry[] = [
  ['GET', topicPath('/subscriptions'), listSubscriptions],
  ['PUT', topicPath(SUBSCRIPTION), serialized(createSubscription)],
  ['DELETE', topicPath(SUBSCRIPTION), serialized(deleteSubscription)],
  ['POST', topicPath(`${SUBSCRIPTION}/skip_all`), skipAll],
  ['POST', topicPath(`${SUBSCRIPTION}/skip/(\\d{1,15})`), skipMessages],
  ['POST', topicPath(`${SUBSCRIPTION}/resetcursor/(\\d{1,15})`), resetByTime],
  ['POST', topicPath(`${SUBSCRIPTION}/resetcursor`), resetToPosition],
];
