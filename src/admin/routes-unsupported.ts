import { RestError, type Route, type RouteEntry } from './route.js';
import { topicPath } from './topic-paths.js';

const notImplemented = (what: string): Route => () => {
  throw new RestError(501, `${what} is not implemented by this broker yet`);
};

const SCHEMA = '^/admin/v2/schemas/([^/]+)/([^/]+)/([^/]+)';
/** Namespace policy endpoints (v2/Namespaces.java) that tools such as the OMB driver set. */
const NAMESPACE_POLICY = new RegExp('^/admin/v2/namespaces/([^/]+)/([^/]+)/'
  + '(messageTTL|retention|deduplication|persistence|backlogQuota|backlogQuotaMap|permissions|permissions/[^/]+'
  + '|autoTopicCreation|autoSubscriptionCreation|dispatchRate|subscriptionDispatchRate|schemaCompatibilityStrategy)$');

/**
 * Endpoints tools call that Vela does not have yet: a clear 501 with a reason instead of a bare 404.
 * Topics carry no schema here, so reading one is Pulsar's answer for a schema-less topic (404).
 */
export const unsupportedRoutes: RouteEntry[] = [
  ...['GET', 'POST', 'PUT', 'DELETE'].map((method): RouteEntry => [method, NAMESPACE_POLICY, notImplemented('This namespace policy endpoint')]),
  ['GET', new RegExp(`${SCHEMA}/schema(?:/\\d+)?$`), () => {
    throw new RestError(404, 'Schema not found');
  }],
  ['POST', new RegExp(`${SCHEMA}/schema$`), notImplemented('The schema registry')],
  ['DELETE', new RegExp(`${SCHEMA}/schema$`), notImplemented('The schema registry')],
  ['POST', new RegExp(`${SCHEMA}/compatibility$`), notImplemented('The schema registry')],
  ['GET', topicPath('/internalStats'), notImplemented('Internal stats')],
  ['GET', topicPath('/partitioned-internalStats'), notImplemented('Internal stats')],
  ['POST', topicPath('/terminate'), notImplemented('Topic termination')],
  ['POST', topicPath('/terminate/partitions'), notImplemented('Topic termination')],
  ['PUT', topicPath('/unload'), notImplemented('Topic unload')],
  ['GET', topicPath('/examinemessage'), notImplemented('Examining messages')],
  ['GET', topicPath('/subscription/([^/]+)/position/(\\d+)'), notImplemented('Peeking messages')],
  ['GET', topicPath('/ledger/(\\d+)/entry/(\\d+)'), notImplemented('Reading messages by id')],
  ['POST', topicPath('/subscription/([^/]+)/expireMessages/(\\d+)'), notImplemented('Expiring messages')],
  ['POST', topicPath('/all_subscription/expireMessages/(\\d+)'), notImplemented('Expiring messages')],
  ['PUT', topicPath('/compaction'), notImplemented('Topic compaction')],
];
