import { describe, expect, it } from 'vitest';
import { createMemoryStorage, createMemoryStorageData } from '../storage/memory-storage.js';
import { NamespaceStore } from './namespaces.js';

describe('NamespaceStore', () => {
  it('bootstraps the standalone tenants and namespaces with default policies', async () => {
    const store = new NamespaceStore(createMemoryStorage().metadata, 'standalone');
    await store.bootstrap([]);
    expect(store.listTenants()).toEqual(['public', 'pulsar']);
    expect(store.getTenant('public')).toEqual({ adminRoles: [], allowedClusters: ['standalone'] });
    expect(store.listNamespaces('public')).toEqual(['public/default']);
    expect(store.listNamespaces('pulsar')).toEqual(['pulsar/system']);
    expect(await store.getPolicies('public/default')).toMatchObject({
      replication_clusters: ['standalone'], bundles: { numBundles: 4 }, deleted: false,
    });
  });

  it('keeps tenants and namespaces across a restart, and does not recreate deleted defaults until the next start', async () => {
    const data = createMemoryStorageData();
    const first = new NamespaceStore(createMemoryStorage({ data }).metadata, 'standalone');
    await first.bootstrap([]);
    await first.putTenant('acme', { adminRoles: ['ops'], allowedClusters: ['standalone'] });
    await first.createNamespace('acme/orders', { message_ttl_in_seconds: 60 });
    await first.deleteNamespace('pulsar/system');
    expect(first.exists('pulsar/system')).toBe(false);
    const second = new NamespaceStore(createMemoryStorage({ data }).metadata, 'standalone');
    await second.bootstrap([]);
    expect(second.getTenant('acme')).toEqual({ adminRoles: ['ops'], allowedClusters: ['standalone'] });
    expect(second.exists('acme/orders')).toBe(true);
    expect(await second.getPolicies('acme/orders')).toMatchObject({ message_ttl_in_seconds: 60, replication_clusters: ['standalone'] });
    // PulsarStandalone creates its namespaces again on start when they are missing.
    expect(second.exists('pulsar/system')).toBe(true);
  });

  it('adopts the namespaces of stored topics, so data from before namespaces were enforced stays reachable', async () => {
    const store = new NamespaceStore(createMemoryStorage().metadata, 'standalone');
    await store.bootstrap(['persistent://legacy/ns/t', 'persistent://legacy/ns/u-partition-0', 'not a topic name']);
    expect(store.exists('legacy/ns')).toBe(true);
    expect(store.getTenant('legacy')).toEqual({ adminRoles: [], allowedClusters: ['standalone'] });
  });
});
