import { isNamedEntity } from '../topic/topic-name.js';
import type { TenantInfo } from '../topic/namespaces.js';
import type { AdminContext } from './context.js';
import { RestError, json, jsonBody, noContent, queryFlag, segment, type Reply, type RouteEntry } from './route.js';

/** ClusterData of the one cluster, with the fields Pulsar 4.0.7 standalone shows (ClustersBase.getCluster). */
function getCluster(ctx: AdminContext, m: RegExpMatchArray): Reply {
  if (segment(m, 1) !== ctx.clusterName) throw new RestError(404, 'Cluster does not exist');
  return json({
    serviceUrl: ctx.webServiceUrl(),
    brokerServiceUrl: ctx.brokerServiceUrl(),
    brokerClientTlsEnabled: false,
    tlsAllowInsecureConnection: false,
    brokerClientTlsEnabledWithKeyStore: false,
    brokerClientTlsTrustStoreType: 'JKS',
    brokerClientTlsKeyStoreType: 'JKS',
    brokerClientSslFactoryPlugin: 'org.apache.pulsar.common.util.DefaultPulsarSslFactory',
  });
}

/** Vela is one standalone cluster: recreating it is Pulsar's 409, other clusters are not supported. */
function putCluster(ctx: AdminContext, m: RegExpMatchArray): Reply {
  if (segment(m, 1) === ctx.clusterName) throw new RestError(409, 'Cluster already exists');
  throw new RestError(501, `This broker is the single cluster '${ctx.clusterName}'; other clusters cannot be created`);
}

/** TenantsBase.validateClusters: the checks and messages Pulsar 4.0.7 answers with 412. */
function tenantInfoFromBody(ctx: AdminContext, body: Buffer): TenantInfo {
  const raw = jsonBody(body, false);
  if (raw === undefined || raw === null) throw new RestError(412, 'TenantInfo is null');
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new RestError(400, 'TenantInfo must be a JSON object');
  const { adminRoles, allowedClusters } = raw as { adminRoles?: unknown; allowedClusters?: unknown };
  if (allowedClusters === undefined || allowedClusters === null) throw new RestError(412, 'Clusters cannot be null');
  if (!isStringArray(allowedClusters) || (adminRoles !== undefined && adminRoles !== null && !isStringArray(adminRoles))) {
    throw new RestError(400, 'adminRoles and allowedClusters must be arrays of strings');
  }
  const clusters = [...new Set(allowedClusters)];
  if (clusters.length === 0 || clusters.some((c) => c.trim() === '')) throw new RestError(412, 'Clusters cannot be empty or blank');
  if (clusters.some((c) => c !== ctx.clusterName)) throw new RestError(412, 'Clusters do not exist');
  return { adminRoles: [...new Set(adminRoles ?? [])], allowedClusters: clusters };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** TenantsBase.createTenant: name, then body, then existence. */
async function createTenant(ctx: AdminContext, m: RegExpMatchArray, _url: URL, body: Buffer): Promise<Reply> {
  const tenant = segment(m, 1);
  if (!isNamedEntity(tenant)) throw new RestError(412, 'Tenant name is not valid');
  const info = tenantInfoFromBody(ctx, body);
  if (ctx.namespaces.getTenant(tenant)) throw new RestError(409, 'Tenant already exist');
  await ctx.namespaces.putTenant(tenant, info);
  return noContent();
}

async function updateTenant(ctx: AdminContext, m: RegExpMatchArray, _url: URL, body: Buffer): Promise<Reply> {
  const tenant = segment(m, 1);
  const info = tenantInfoFromBody(ctx, body);
  if (!ctx.namespaces.getTenant(tenant)) throw new RestError(404, `Tenant ${tenant} not found`);
  await ctx.namespaces.putTenant(tenant, info);
  return noContent();
}

/** TenantsBase.deleteTenant; forced deletion is off as with Pulsar's forceDeleteTenantAllowed=false. */
async function deleteTenant(ctx: AdminContext, m: RegExpMatchArray, url: URL): Promise<Reply> {
  const tenant = segment(m, 1);
  if (queryFlag(url, 'force')) throw new RestError(405, "Broker doesn't allow forced deletion of tenants");
  if (!ctx.namespaces.getTenant(tenant)) throw new RestError(404, "Tenant doesn't exist");
  if (ctx.namespaces.listNamespaces(tenant).length > 0) throw new RestError(409, 'The tenant still has active namespaces');
  await ctx.namespaces.deleteTenant(tenant);
  return noContent();
}

function getTenant(ctx: AdminContext, m: RegExpMatchArray): Reply {
  const info = ctx.namespaces.getTenant(segment(m, 1));
  if (!info) throw new RestError(404, 'Tenant does not exist');
  return json({ adminRoles: info.adminRoles, allowedClusters: info.allowedClusters });
}

export const tenantRoutes: RouteEntry[] = [
  ['GET', /^\/admin\/v2\/clusters$/, (ctx) => json([ctx.clusterName])],
  ['GET', /^\/admin\/v2\/clusters\/([^/]+)$/, getCluster],
  ['PUT', /^\/admin\/v2\/clusters\/([^/]+)$/, putCluster],
  ['GET', /^\/admin\/v2\/tenants$/, (ctx) => json(ctx.namespaces.listTenants())],
  ['GET', /^\/admin\/v2\/tenants\/([^/]+)$/, getTenant],
  ['PUT', /^\/admin\/v2\/tenants\/([^/]+)$/, createTenant],
  ['POST', /^\/admin\/v2\/tenants\/([^/]+)$/, updateTenant],
  ['DELETE', /^\/admin\/v2\/tenants\/([^/]+)$/, deleteTenant],
];
