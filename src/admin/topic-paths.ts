import type { Topic } from '../topic/topic.js';
import { parseTopicName, partitionName, type TopicName } from '../topic/topic-name.js';
import type { AdminContext } from './context.js';
import { RestError, segment } from './route.js';

const TOPIC_PATH = '^/admin/v2/(persistent|non-persistent)/([^/]+)/([^/]+)/([^/]+)';

/** A route pattern under a topic: captures domain, tenant, namespace, encoded local name. */
export function topicPath(suffix = ''): RegExp {
  return new RegExp(`${TOPIC_PATH}${suffix}$`);
}

export const NON_PERSISTENT_UNSUPPORTED = 'Non-persistent topics are not supported by this broker yet';

/**
 * The topic a topic route names. Its namespace must exist (Pulsar 4.0.7 answers topic operations in
 * a missing namespace with 404 "Namespace not found"). Only GET …/partitions, which HTTP-lookup
 * clients call for any domain, passes `anyDomain`.
 */
export function topicFromMatch(ctx: AdminContext, m: RegExpMatchArray, anyDomain = false): TopicName {
  const name = nameFromMatch(m, anyDomain);
  if (!ctx.namespaces.exists(`${name.tenant}/${name.namespace}`)) throw new RestError(404, 'Namespace not found');
  return name;
}

/** The topic name of a topic route, without the namespace check. */
export function nameFromMatch(m: RegExpMatchArray, anyDomain = false): TopicName {
  const local = segment(m, 4);
  // A '/' in the local name would read as the legacy tenant/cluster/ns/topic form.
  if (local.includes('/')) throw new RestError(412, `Invalid topic name '${local}'`);
  const name = parseTopicName(`${m[1]}://${segment(m, 2)}/${segment(m, 3)}/${local}`);
  if (!anyDomain && name.domain !== 'persistent') throw new RestError(501, NON_PERSISTENT_UNSUPPORTED);
  return name;
}

export function partitionsOf(base: TopicName, count: number): TopicName[] {
  return Array.from({ length: count }, (_, i) => parseTopicName(partitionName(base.full, i)));
}

/** A topic that exists, loaded; 404 "Topic … not found" otherwise (never auto-created by a read). */
export async function existingTopic(ctx: AdminContext, name: TopicName): Promise<Topic> {
  if (!(await ctx.registry.exists(name.full))) throw new RestError(404, `Topic ${name.full} not found`);
  return ctx.registry.getTopic(name, false);
}

/** Producers plus consumers attached: Pulsar's PersistentTopic.currentUsageCount. */
export function connectedClients(topic: Topic): number {
  let consumers = 0;
  for (const subscription of topic.subscriptions.values()) consumers += subscription.consumers().length;
  return topic.producers.size + consumers;
}
