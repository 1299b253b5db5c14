import type { Entry, Position } from '../storage/types.js';
import { isBefore, previousOf } from '../subscription/positions.js';
import type { Subscription } from '../subscription/subscription.js';
import type { Topic } from '../topic/topic.js';
import type { TopicName } from '../topic/topic-name.js';
import type { AdminContext } from './context.js';
import { entryReply } from './entry-response.js';
import { RestError, jsonBody, noContent, segment, type Reply, type RouteEntry } from './route.js';
import { existingTopic, partitionsOf, topicFromMatch, topicPath } from './topic-paths.js';

/** A non-partitioned topic that exists; a partitioned one answers 405 with `refusal`, as Pulsar does. */
async function singleTopic(ctx: AdminContext, m: RegExpMatchArray, refusal: string): Promise<{ name: TopicName; topic: Topic }> {
  const name = topicFromMatch(ctx, m);
  if (await ctx.registry.isPartitioned(name)) throw new RestError(405, refusal);
  return { name, topic: await existingTopic(ctx, name) };
}

async function readEntry(topic: Topic, position: Position): Promise<Entry | undefined> {
  const [entry] = await topic.ledger.read(position, 1);
  return entry && entry.position.ledgerId === position.ledgerId && entry.position.entryId === position.entryId ? entry : undefined;
}

/**
 * GET …/subscription/{sub}/position/{n} (PersistentTopicsBase.internalPeekNthMessageAsync): the n-th entry
 * the subscription has not acknowledged (ManagedCursor.asyncGetNthEntry, individually deleted entries skipped).
 * Pulsar answers a missing subscription with a 500 from the ledger layer; Vela says 404.
 */
async function peekNth(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const { name, topic } = await singleTopic(ctx, m, 'Peek messages on a partitioned topic is not allowed');
  const sub = segment(m, 5);
  const subscription = topic.subscriptions.get(sub);
  if (!subscription) throw new RestError(404, `Subscription ${sub} not found for topic ${name.full}`);
  const n = Number(m[6]);
  if (n < 1) throw new RestError(412, 'The message position must be at least 1');
  const { cursor } = subscription;
  const last = topic.ledger.lastPosition();
  if (!last || n > cursor.backlogEntries()) throw new RestError(404, 'Message not found');
  let position = cursor.markDelete;
  for (let seen = 0; seen < n && isBefore(position, last);) {
    position = topic.ledger.positionAfter(position, 1);
    if (!cursor.isAcked(position)) seen++;
  }
  const entry = await readEntry(topic, position);
  if (!entry) throw new RestError(404, 'Message not found');
  return entryReply(entry);
}

/**
 * GET …/examinemessage?initialPosition=latest|earliest&messagePosition=n (internalExamineMessageAsync):
 * the n-th entry from the start or from the end of the topic, clamped to what is stored.
 */
async function examine(ctx: AdminContext, m: RegExpMatchArray, url: URL): Promise<Reply> {
  const { topic } = await singleTopic(ctx, m,
    'Examine messages on a partitioned topic is not allowed, please try examine message on specific topic partition');
  const requested = Number(url.searchParams.get('messagePosition') ?? '1');
  const n = Number.isFinite(requested) && requested >= 1 ? Math.floor(requested) : 1;
  const earliest = (url.searchParams.get('initialPosition') ?? 'latest') === 'earliest';
  const { ledger } = topic;
  const last = ledger.lastPosition();
  const total = last ? ledger.countEntries(previousOf(ledger.firstPosition()), last) : 0;
  if (total === 0) throw new RestError(412, 'Could not examine messages due to the total message is zero');
  const skip = Math.min(total, Math.max(1, earliest ? n : total - n + 1));
  const entry = await readEntry(topic, ledger.positionAfter(previousOf(ledger.firstPosition()), skip));
  if (!entry) throw new RestError(404, 'Message not found');
  return entryReply(entry);
}

/** GET …/ledger/{ledgerId}/entry/{entryId} (internalGetMessageById). */
async function messageById(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const { topic } = await singleTopic(ctx, m, 'GetMessageById is not allowed on partitioned-topic');
  const position = { ledgerId: Number(m[5]), entryId: Number(m[6]) };
  const segment = topic.ledger.segments().find((s) => s.ledgerId === position.ledgerId);
  if (!segment) throw new RestError(404, 'Message id not found');
  const last = topic.ledger.lastPosition();
  if (last && last.ledgerId === position.ledgerId && isBefore(last, position)) {
    // What ManagedLedgerImpl.asyncReadEntry fails with; Pulsar answers it as a 500.
    throw new RestError(500, `LastConfirmedEntry is ${last.ledgerId}:${last.entryId} when reading entry ${position.entryId}`);
  }
  const entry = await readEntry(topic, position);
  if (!entry) throw new RestError(404, 'Message id not found');
  return entryReply(entry);
}

/** MINIMUM_BACKLOG_FOR_EXPIRY_CHECK in PersistentSubscription. */
const MINIMUM_BACKLOG_FOR_EXPIRY_CHECK = 1000;

const notIssued = (topic: string, sub: string) => new RestError(409, `Expire message by timestamp not issued on topic ${topic} for `
  + `subscription ${sub} due to ongoing message expiration not finished or subscription almost catch  up. If it's performed on a `
  + 'partitioned topic operation might succeeded on other partitions, please check stats of individual partition.');

/**
 * PersistentSubscription.expireMessages(seconds): the cursor moves past every entry published more than
 * `seconds` ago. Not issued (false) for a subscription without backlog, nor for one with consumers whose
 * small backlog holds nothing expired yet.
 */
async function expireOlderThan(topic: Topic, subscription: Subscription, seconds: number): Promise<boolean> {
  const backlog = subscription.cursor.backlogEntries();
  if (backlog === 0) return false;
  // A TTL of 0 expires nothing (MessageImpl.isEntryExpired), though the request is issued.
  const firstAlive = seconds > 0 ? await topic.positionForPublishTime(topic.clock.now() - seconds * 1000) : subscription.cursor.firstUnacked();
  const oldestExpired = isBefore(subscription.cursor.firstUnacked(), firstAlive);
  if (subscription.consumers().length > 0 && backlog < MINIMUM_BACKLOG_FOR_EXPIRY_CHECK && !oldestExpired) return false;
  subscription.expireUpTo(previousOf(firstAlive));
  await subscription.flush();
  topic.scheduleTrim();
  return true;
}

/** The topic, or each existing partition of a partitioned one (admin operations fan out to partitions). */
async function topicsOf(ctx: AdminContext, name: TopicName): Promise<Topic[]> {
  const partitions = await ctx.registry.partitions(name);
  if (partitions === 0) return [await existingTopic(ctx, name)];
  const topics: Topic[] = [];
  for (const partition of partitionsOf(name, partitions)) {
    if (await ctx.registry.exists(partition.full)) topics.push(await ctx.registry.getTopic(partition, false));
  }
  return topics;
}

/** POST …/subscription/{sub}/expireMessages/{seconds} (internalExpireMessagesByTimestamp). */
async function expireSubscription(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const name = topicFromMatch(ctx, m);
  const sub = segment(m, 5);
  const seconds = Number(m[6]);
  let found = false;
  for (const topic of await topicsOf(ctx, name)) {
    const subscription = topic.subscriptions.get(sub);
    if (!subscription) continue;
    found = true;
    if (!(await expireOlderThan(topic, subscription, seconds))) throw notIssued(topic.name, sub);
  }
  if (!found) throw new RestError(404, `Subscription ${sub} not found for topic ${name.full}`);
  return noContent();
}

/** POST …/all_subscription/expireMessages/{seconds} (internalExpireMessagesForAllSubscriptions). */
async function expireAllSubscriptions(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const seconds = Number(m[5]);
  let refusal: RestError | undefined;
  // Every subscription is tried; the first that was not issued is reported.
  for (const topic of await topicsOf(ctx, topicFromMatch(ctx, m))) {
    for (const subscription of [...topic.subscriptions.values()]) {
      if (!(await expireOlderThan(topic, subscription, seconds))) refusal ??= notIssued(topic.name, subscription.name);
    }
  }
  if (refusal) throw refusal;
  return noContent();
}

/**
 * POST …/subscription/{sub}/expireMessages with a ResetCursorData body (internalExpireMessagesByPosition):
 * everything up to the position counts as expired; not allowed on a partitioned topic.
 */
async function expireToPosition(ctx: AdminContext, m: RegExpMatchArray, _url: URL, body: Buffer): Promise<Reply> {
  const { name, topic } = await singleTopic(ctx, m, 'Expire message at position is not supported for partitioned-topic');
  const sub = segment(m, 5);
  const subscription = topic.subscriptions.get(sub);
  if (!subscription) throw new RestError(404, `Subscription ${sub} not found for topic ${name.full}`);
  const raw = jsonBody(body, true) as { ledgerId?: unknown; entryId?: unknown; isExcluded?: unknown } | null;
  if (!raw || typeof raw.ledgerId !== 'number' || typeof raw.entryId !== 'number') {
    throw new RestError(400, 'ledgerId and entryId are required');
  }
  const at = { ledgerId: raw.ledgerId, entryId: raw.entryId };
  const last = topic.ledger.lastPosition();
  const upTo = last && isBefore(last, at) ? last : at;
  subscription.expireUpTo(raw.isExcluded === true ? previousOf(upTo) : upTo);
  await subscription.flush();
  topic.scheduleTrim();
  return noContent();
}

export const messageRoutes: RouteEntry[] = [
  ['GET', topicPath('/subscription/([^/]+)/position/(\\d{1,9})'), peekNth],
  ['GET', topicPath('/examinemessage'), examine],
  ['GET', topicPath('/ledger/(\\d{1,15})/entry/(\\d{1,15})'), messageById],
  ['POST', topicPath('/subscription/([^/]+)/expireMessages/(\\d{1,15})'), expireSubscription],
  ['POST', topicPath('/subscription/([^/]+)/expireMessages'), expireToPosition],
  ['POST', topicPath('/all_subscription/expireMessages/(\\d{1,15})'), expireAllSubscriptions],
];
