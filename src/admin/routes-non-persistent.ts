import type { Consumer } from '../subscription/consumer.js';
import type { NonPersistentSubscription, NonPersistentTopic } from '../topic/non-persistent-topic.js';
import type { ProducerHandle } from '../topic/producer.js';
import type { AdminContext } from './context.js';
import { RestError, json, segment, type Reply, type RouteEntry } from './route.js';
import { nameFromMatch, topicPath } from './topic-paths.js';
import type { Stats } from './topic-stats.js';

const SUB_TYPE_NAMES = ['Exclusive', 'Shared', 'Failover', 'Key_Shared'];
/** Pulsar prints Java's InetSocketAddress: "/ip:port". */
const javaAddress = (address: string | undefined) => (address ? `/${address}` : undefined);

/** A topic route for the non-persistent domain only, so the persistent routes keep theirs. */
const nonPersistentPath = (suffix: string) => new RegExp(topicPath(suffix).source.replace('(persistent|non-persistent)', '(non-persistent)'));

function publisherStats(producer: ProducerHandle): Stats {
  return {
    accessMode: 'Shared', msgRateIn: 0, msgThroughputIn: 0, averageMsgSize: 0, chunkedMessageRate: 0,
    producerId: producer.producerId, supportsPartialProducer: false, producerName: producer.name,
    address: javaAddress(producer.address), connectedSince: producer.connectedSince?.toISOString(),
    clientVersion: producer.clientVersion || undefined, metadata: {}, msgDropRate: 0,
  };
}

function consumerStats(consumer: Consumer): Stats {
  return {
    msgRateOut: 0, msgThroughputOut: 0, bytesOutCounter: consumer.bytesOutCounter, msgOutCounter: consumer.msgOutCounter,
    msgRateRedeliver: 0, messageAckRate: 0, chunkedMessageRate: 0, consumerName: consumer.name,
    availablePermits: Math.max(0, consumer.permits), unackedMessages: 0, blockedConsumerOnUnackedMsgs: false,
    address: javaAddress(consumer.sender.remoteAddress), connectedSince: consumer.connectedSince.toISOString(), metadata: {},
  };
}

/** NonPersistentSubscription.getStats: totals include consumers that left; no backlog ever. */
function subscriptionStats(subscription: NonPersistentSubscription): Stats {
  const consumers = subscription.consumers();
  return {
    msgRateOut: 0, msgThroughputOut: 0,
    bytesOutCounter: subscription.bytesOutFromRemovedConsumers + consumers.reduce((n, c) => n + c.bytesOutCounter, 0),
    msgOutCounter: subscription.msgOutFromRemovedConsumers + consumers.reduce((n, c) => n + c.msgOutCounter, 0),
    msgRateRedeliver: 0, messageAckRate: 0, chunkedMessageRate: 0, msgBacklog: 0, backlogSize: 0, msgBacklogNoDelayed: 0,
    blockedSubscriptionOnUnackedMsgs: false, msgDelayed: 0, unackedMessages: 0,
    type: subscription.subType === undefined ? 'None' : SUB_TYPE_NAMES[subscription.subType],
    msgRateExpired: 0, totalMsgExpired: 0, consumers: consumers.map(consumerStats),
    isDurable: subscription.durable, isReplicated: false, msgDropRate: subscription.dropRate(),
    consumersAfterMarkDeletePosition: {}, subscriptionProperties: {}, durable: subscription.durable, replicated: false,
  };
}

/** NonPersistentTopic.getStats: what PersistentTopic reports, without storage, plus msgDropRate. */
export function nonPersistentTopicStats(topic: NonPersistentTopic, ownerBroker: string): Stats {
  const subscriptions: Record<string, Stats> = {};
  let msgOutCounter = 0;
  let bytesOutCounter = 0;
  let msgDropRate = 0;
  for (const [name, subscription] of topic.subscriptions) {
    const stats = subscriptionStats(subscription);
    subscriptions[name] = stats;
    msgOutCounter += stats.msgOutCounter as number;
    bytesOutCounter += stats.bytesOutCounter as number;
    msgDropRate += stats.msgDropRate as number;
  }
  return {
    msgRateIn: 0, msgThroughputIn: 0, msgRateOut: 0, msgThroughputOut: 0,
    bytesInCounter: topic.bytesInCounter, msgInCounter: topic.msgInCounter, bytesOutCounter, msgOutCounter,
    averageMsgSize: 0, msgChunkPublished: false, storageSize: 0, backlogSize: 0, publishRateLimitedTimes: 0,
    publishers: [...topic.producers.values()].map(publisherStats), waitingPublishers: 0,
    subscriptions, replication: {}, deduplicationStatus: 'Disabled', msgDropRate, ownerBroker,
  };
}

/** GET /admin/v2/non-persistent/{t}/{ns}/{topic}/stats (NonPersistentTopics.getStats): 404 unless the topic is in use. */
function getStats(ctx: AdminContext, m: RegExpMatchArray): Reply {
  const name = nameFromMatch(m, true);
  if (!ctx.namespaces.exists(`${name.tenant}/${name.namespace}`)) throw new RestError(404, 'Namespace not found');
  const topic = ctx.registry.loadedNonPersistentTopic(name.full);
  if (!topic) throw new RestError(404, `Topic ${name.full} not found`);
  return json(nonPersistentTopicStats(topic, new URL(ctx.webServiceUrl()).host));
}

/** GET /admin/v2/non-persistent/{t}/{ns} (NonPersistentTopics.getList): the topics in use, partitions one by one. */
function listTopics(ctx: AdminContext, m: RegExpMatchArray): Reply {
  const namespace = `${segment(m, 1)}/${segment(m, 2)}`;
  if (!ctx.namespaces.exists(namespace)) throw new RestError(404, 'Namespace does not exist');
  return json(ctx.registry.nonPersistentTopicsOf(segment(m, 1), segment(m, 2)));
}

export const nonPersistentRoutes: RouteEntry[] = [
  ['GET', /^\/admin\/v2\/non-persistent\/([^/]+)\/([^/]+)$/, listTopics],
  ['GET', nonPersistentPath('/stats'), getStats],
];
