import type { MetadataStore } from '../storage/types.js';
import { defaultPolicies, type Policies } from './namespace-policies.js';
import { parseTopicName } from './topic-name.js';

/** Pulsar's TenantInfo. */
export interface TenantInfo {
  readonly adminRoles: string[];
  readonly allowedClusters: string[];
}

const TENANT_PREFIX = 'tenants/';
const NAMESPACE_PREFIX = 'namespaces/';

/** What PulsarStandalone creates on start when missing: tenants public and pulsar, their namespaces. */
const STANDALONE_NAMESPACES = ['public/default', 'pulsar/system'];

/**
 * Tenants and namespaces, persisted in the metadata store and mirrored in memory (this store is their
 * only writer), so the broker's hot paths can ask whether a namespace exists without I/O.
 */
export class NamespaceStore {
  private readonly tenants = new Map<string, TenantInfo>();
  private readonly namespaces = new Set<string>();

  constructor(private readonly metadata: MetadataStore, readonly clusterName: string) {}

  /**
   * Loads what is stored, then creates the standalone defaults and adopts the namespace of every
   * stored topic, so data written before namespaces were enforced stays reachable.
   */
  async bootstrap(storedTopics: readonly string[]): Promise<void> {
    for (const [key, info] of await this.metadata.list<TenantInfo>(TENANT_PREFIX)) this.tenants.set(key.slice(TENANT_PREFIX.length), info);
    for (const [key] of await this.metadata.list<Policies>(NAMESPACE_PREFIX)) this.namespaces.add(key.slice(NAMESPACE_PREFIX.length));
    const wanted = new Set(STANDALONE_NAMESPACES);
    for (const topic of storedTopics) {
      try {
        const name = parseTopicName(topic);
        wanted.add(`${name.tenant}/${name.namespace}`);
      } catch {
        // Not a topic name (storage may hold other ledgers): nothing to adopt.
      }
    }
    for (const namespace of wanted) {
      const tenant = namespace.slice(0, namespace.indexOf('/'));
      if (!this.tenants.has(tenant)) await this.putTenant(tenant, { adminRoles: [], allowedClusters: [this.clusterName] });
      if (!this.namespaces.has(namespace)) await this.createNamespace(namespace, {});
    }
  }

  listTenants(): string[] {
    return [...this.tenants.keys()].sort();
  }

  getTenant(tenant: string): TenantInfo | undefined {
    return this.tenants.get(tenant);
  }

  async putTenant(tenant: string, info: TenantInfo): Promise<void> {
    this.tenants.set(tenant, info);
    await this.metadata.put(TENANT_PREFIX + tenant, info);
  }

  async deleteTenant(tenant: string): Promise<void> {
    this.tenants.delete(tenant);
    await this.metadata.delete(TENANT_PREFIX + tenant);
  }

  /** Namespaces of a tenant as `tenant/ns`, sorted. */
  listNamespaces(tenant: string): string[] {
    return [...this.namespaces].filter((ns) => ns.startsWith(`${tenant}/`)).sort();
  }

  /** `namespace` is `tenant/ns`. */
  exists(namespace: string): boolean {
    return this.namespaces.has(namespace);
  }

  getPolicies(namespace: string): Promise<Policies | undefined> {
    return this.metadata.get<Policies>(NAMESPACE_PREFIX + namespace);
  }

  /** Stores Pulsar's default policies overlaid with `policies`. */
  async createNamespace(namespace: string, policies: Policies): Promise<void> {
    this.namespaces.add(namespace);
    await this.metadata.put(NAMESPACE_PREFIX + namespace, { ...defaultPolicies(this.clusterName), ...policies });
  }

  /** Sets (or, with undefined, removes) one policy field of an existing namespace. */
  async setPolicy(namespace: string, field: string, value: unknown): Promise<void> {
    const policies: Policies = { ...((await this.getPolicies(namespace)) ?? defaultPolicies(this.clusterName)) };
    if (value === undefined) delete policies[field];
    else policies[field] = value;
    await this.metadata.put(NAMESPACE_PREFIX + namespace, policies);
  }

  async deleteNamespace(namespace: string): Promise<void> {
    this.namespaces.delete(namespace);
    await this.metadata.delete(NAMESPACE_PREFIX + namespace);
  }
}
