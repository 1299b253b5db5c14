import { RestError, type Route, type RouteEntry } from './route.js';
import { topicPath } from './topic-paths.js';

const notImplemented = (what: string): Route => () => {
  throw new RestError(501, `${what} is not implemented by this broker yet`);
};

/** Namespace policy endpoints (v2/Namespaces.java) that tools such as the OMB driver set. */
const NAMESPACE_POLICY = new RegExp('^/admin/v2/namespaces/([^/]+)/([^/]+)/'
  + '(messageTTL|retention|deduplication|persistence|backlogQuota|backlogQuotaMap|permissions|permissions/[^/]+'
  + '|autoSubscriptionCreation|dispatchRate|subscriptionDispatchRate)$');

/** Endpoints tools call that Vela does not have yet: a clear 501 with a reason instead of a bare 404. */
export const unsupportedRoutes: RouteEntry[] = [
  ...['GET', 'POST', 'PUT', 'DELETE'].map((method): RouteEntry => [method, NAMESPACE_POLICY, notImplemented('This namespace policy endpoint')]),
  // Compaction is on Vela's roadmap, not implemented yet: trigger and status both say so.
  ['PUT', topicPath('/compaction'), notImplemented('Topic compaction (on the roadmap)')],
  ['GET', topicPath('/compaction'), notImplemented('Topic compaction (on the roadmap)')],
];
