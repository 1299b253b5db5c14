import type { Policies } from '../topic/namespace-policies.js';
import { isNamedEntity } from '../topic/topic-name.js';
import type { AdminContext } from './context.js';
import { RestError, json, jsonBody, noContent, queryFlag, segment, type Reply, type RouteEntry } from './route.js';

/** `tenant/ns` from the first two captures, 404 "Namespace does not exist" when missing. */
export function existingNamespace(ctx: AdminContext, m: RegExpMatchArray, reason = 'Namespace does not exist'): string {
  const namespace = `${segment(m, 1)}/${segment(m, 2)}`;
  if (!ctx.namespaces.exists(namespace)) throw new RestError(404, reason);
  return namespace;
}

/** Topics (incl. partitions) and partitioned topics of both domains: what makes a namespace non-empty. */
export async function namespaceHasTopics(ctx: AdminContext, namespace: string): Promise<boolean> {
  const [tenant, ns] = namespace.split('/') as [string, string];
  if ((await ctx.registry.topicsOfNamespace(tenant, ns)).length > 0) return true;
  for (const domain of ['persistent', 'non-persistent']) {
    if ((await ctx.registry.partitionedTopics.list(`${domain}://${namespace}/`)).length > 0) return true;
  }
  return false;
}

function listNamespaces(ctx: AdminContext, m: RegExpMatchArray): Reply {
  const tenant = segment(m, 1);
  if (!ctx.namespaces.getTenant(tenant)) throw new RestError(404, 'Tenant not found');
  return json(ctx.namespaces.listNamespaces(tenant));
}

/** NamespacesBase.internalCreateNamespace: name, tenant, policies (clusters the tenant allows), existence. */
async function createNamespace(ctx: AdminContext, m: RegExpMatchArray, _url: URL, body: Buffer): Promise<Reply> {
  const tenant = segment(m, 1);
  const ns = segment(m, 2);
  if (!isNamedEntity(ns)) throw new RestError(412, 'Namespace name is not valid');
  const tenantInfo = ctx.namespaces.getTenant(tenant);
  if (!tenantInfo) throw new RestError(404, 'Tenant does not exist');
  const policies = jsonBody(body, false) ?? {};
  if (typeof policies !== 'object' || policies === null || Array.isArray(policies)) {
    throw new RestError(400, 'Policies must be a JSON object');
  }
  const clusters = (policies as Policies).replication_clusters;
  // An empty list (what `pulsar-admin namespaces create` sends) means the local cluster, as Pulsar fills it in.
  if (Array.isArray(clusters) && clusters.length === 0) delete (policies as { replication_clusters?: unknown }).replication_clusters;
  else if (clusters !== undefined) {
    if (!Array.isArray(clusters)) throw new RestError(400, 'replication_clusters must be an array');
    const notAllowed = clusters.filter((c) => !tenantInfo.allowedClusters.includes(String(c)));
    if (notAllowed.length > 0) {
      throw new RestError(403, `Cluster [${notAllowed.join(', ')}] is not in the list of allowed clusters list for tenant [${tenant}]`);
    }
  }
  const namespace = `${tenant}/${ns}`;
  if (ctx.namespaces.exists(namespace)) throw new RestError(409, 'Namespace already exists');
  await ctx.namespaces.createNamespace(namespace, policies as Policies);
  return noContent();
}

async function getPolicies(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const policies = await ctx.namespaces.getPolicies(existingNamespace(ctx, m));
  if (!policies) throw new RestError(404, 'Namespace does not exist');
  return json(policies);
}

/** NamespacesBase.internalDeleteNamespace; forced deletion is off (Pulsar's forceDeleteNamespaceAllowed=false). */
async function deleteNamespace(ctx: AdminContext, m: RegExpMatchArray, url: URL): Promise<Reply> {
  if (queryFlag(url, 'force')) throw new RestError(405, "Broker doesn't allow forced deletion of namespaces");
  const namespace = `${segment(m, 1)}/${segment(m, 2)}`;
  if (!ctx.namespaces.exists(namespace)) throw new RestError(404, `Namespace ${namespace} does not exist.`);
  if (await namespaceHasTopics(ctx, namespace)) throw new RestError(409, 'Cannot delete non empty namespace');
  await ctx.namespaces.deleteNamespace(namespace);
  return noContent();
}

/** Namespaces.getTopics: full names incl. partitions; mode PERSISTENT (default), NON_PERSISTENT or ALL. */
async function namespaceTopics(ctx: AdminContext, m: RegExpMatchArray, url: URL): Promise<Reply> {
  existingNamespace(ctx, m);
  if (url.searchParams.get('mode') === 'NON_PERSISTENT') return json([]);
  return json(await ctx.registry.topicsOfNamespace(segment(m, 1), segment(m, 2)));
}

export const namespaceRoutes: RouteEntry[] = [
  ['GET', /^\/admin\/v2\/namespaces\/([^/]+)$/, listNamespaces],
  ['GET', /^\/admin\/v2\/namespaces\/([^/]+)\/([^/]+)$/, getPolicies],
  ['PUT', /^\/admin\/v2\/namespaces\/([^/]+)\/([^/]+)$/, createNamespace],
  ['DELETE', /^\/admin\/v2\/namespaces\/([^/]+)\/([^/]+)$/, deleteNamespace],
  ['GET', /^\/admin\/v2\/namespaces\/([^/]+)\/([^/]+)\/topics$/, namespaceTopics],
];
