import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../test-support/admin-broker.js';

// Statuses and reasons as Apache Pulsar 4.0.7 standalone answers them (checked with curl against the reference broker).
let b: TestBroker;
beforeAll(async () => {
  b = await startTestBroker();
});
afterAll(() => b.close());

describe('clusters', () => {
  it('lists the one cluster and describes it like ClusterData', async () => {
    expect(await b.call('GET', '/admin/v2/clusters')).toEqual({ status: 200, body: ['standalone'] });
    const cluster = await b.call('GET', '/admin/v2/clusters/standalone');
    expect(cluster.status).toBe(200);
    expect(cluster.body).toMatchObject({
      serviceUrl: b.broker.webServiceUrl, brokerServiceUrl: b.broker.serviceUrl, brokerClientTlsEnabled: false,
    });
    expect(await b.call('GET', '/admin/v2/clusters/nope')).toEqual({ status: 404, body: { reason: 'Cluster does not exist' } });
    expect((await b.call('PUT', '/admin/v2/clusters/standalone', { serviceUrl: 'http://x' })).status).toBe(409);
  });
});

describe('tenants', () => {
  it('creates, reads, updates and deletes a tenant', async () => {
    expect((await b.call('GET', '/admin/v2/tenants')).body).toEqual(['public', 'pulsar']);
    expect((await b.call('PUT', '/admin/v2/tenants/acme', { adminRoles: [], allowedClusters: ['standalone'] })).status).toBe(204);
    expect(await b.call('PUT', '/admin/v2/tenants/acme', { allowedClusters: ['standalone'] }))
      .toEqual({ status: 409, body: { reason: 'Tenant already exist' } });
    expect((await b.call('GET', '/admin/v2/tenants')).body).toEqual(['acme', 'public', 'pulsar']);
    expect((await b.call('POST', '/admin/v2/tenants/acme', { adminRoles: ['ops'], allowedClusters: ['standalone'] })).status).toBe(204);
    expect(await b.call('GET', '/admin/v2/tenants/acme')).toEqual({ status: 200, body: { adminRoles: ['ops'], allowedClusters: ['standalone'] } });
    expect((await b.call('DELETE', '/admin/v2/tenants/acme')).status).toBe(204);
    expect(await b.call('GET', '/admin/v2/tenants/acme')).toEqual({ status: 404, body: { reason: 'Tenant does not exist' } });
    expect(await b.call('DELETE', '/admin/v2/tenants/acme')).toEqual({ status: 404, body: { reason: "Tenant doesn't exist" } });
  });

  it('refuses bad tenant bodies and names with 412, unknown tenants with 404', async () => {
    const reason = async (method: string, path: string, body?: unknown) => {
      const reply = await b.call(method, path, body);
      return [reply.status, reply.body?.reason];
    };
    expect(await reason('PUT', '/admin/v2/tenants/t3')).toEqual([412, 'TenantInfo is null']);
    expect(await reason('PUT', '/admin/v2/tenants/t4', {})).toEqual([412, 'Clusters cannot be null']);
    expect(await reason('PUT', '/admin/v2/tenants/t5', { allowedClusters: [] })).toEqual([412, 'Clusters cannot be empty or blank']);
    expect(await reason('PUT', '/admin/v2/tenants/t6', { allowedClusters: ['nope'] })).toEqual([412, 'Clusters do not exist']);
    expect(await reason('PUT', '/admin/v2/tenants/bad%21name', {})).toEqual([412, 'Tenant name is not valid']);
    expect(await reason('PUT', '/admin/v2/tenants/t7', '{"allowedClusters":["standalone"')).toEqual([400, expect.any(String)]);
    expect(await reason('POST', '/admin/v2/tenants/nope', { allowedClusters: ['standalone'] })).toEqual([404, 'Tenant nope not found']);
    expect(await reason('DELETE', '/admin/v2/tenants/public?force=true')).toEqual([405, "Broker doesn't allow forced deletion of tenants"]);
  });

  it('answers 405 for a method the path does not serve', async () => {
    expect((await b.call('DELETE', '/admin/v2/clusters')).status).toBe(405);
  });
});

describe('namespaces', () => {
  it('bootstraps public/default and pulsar/system', async () => {
    expect((await b.call('GET', '/admin/v2/namespaces/public')).body).toEqual(['public/default']);
    expect((await b.call('GET', '/admin/v2/namespaces/pulsar')).body).toEqual(['pulsar/system']);
  });

  it('creates a namespace with policies, lists, reads and deletes it', async () => {
    await b.call('PUT', '/admin/v2/tenants/shop', { allowedClusters: ['standalone'] });
    expect((await b.call('PUT', '/admin/v2/namespaces/shop/orders', { message_ttl_in_seconds: 60 })).status).toBe(204);
    expect(await b.call('PUT', '/admin/v2/namespaces/shop/orders')).toEqual({ status: 409, body: { reason: 'Namespace already exists' } });
    expect((await b.call('GET', '/admin/v2/namespaces/shop')).body).toEqual(['shop/orders']);
    const policies = await b.call('GET', '/admin/v2/namespaces/shop/orders');
    expect(policies.body).toMatchObject({ message_ttl_in_seconds: 60, replication_clusters: ['standalone'], subscription_auth_mode: 'None' });
    expect(await b.call('DELETE', '/admin/v2/tenants/shop'))
      .toEqual({ status: 409, body: { reason: 'The tenant still has active namespaces' } });
    expect((await b.call('DELETE', '/admin/v2/namespaces/shop/orders')).status).toBe(204);
    expect(await b.call('DELETE', '/admin/v2/namespaces/shop/orders'))
      .toEqual({ status: 404, body: { reason: 'Namespace shop/orders does not exist.' } });
    expect((await b.call('DELETE', '/admin/v2/tenants/shop')).status).toBe(204);
  });

  it('takes an empty replication_clusters list (pulsar-admin namespaces create) as the local cluster', async () => {
    await b.call('PUT', '/admin/v2/tenants/cli', { allowedClusters: ['standalone'] });
    expect((await b.call('PUT', '/admin/v2/namespaces/cli/ns', { replication_clusters: [] })).status).toBe(204);
    expect((await b.call('GET', '/admin/v2/namespaces/cli/ns')).body).toMatchObject({ replication_clusters: ['standalone'] });
    // pulsar-admin clusters list reads the current cluster from the runtime configuration
    expect((await b.call('GET', '/admin/v2/brokers/configuration/runtime')).body).toMatchObject({ clusterName: 'standalone' });
  });

  it("answers Pulsar's errors for missing tenants, bad names, foreign clusters, non-empty and forced deletes", async () => {
    await b.call('PUT', '/admin/v2/tenants/errs', { allowedClusters: ['standalone'] });
    expect(await b.call('PUT', '/admin/v2/namespaces/nope/ns')).toEqual({ status: 404, body: { reason: 'Tenant does not exist' } });
    expect(await b.call('GET', '/admin/v2/namespaces/nope')).toEqual({ status: 404, body: { reason: 'Tenant not found' } });
    expect(await b.call('PUT', '/admin/v2/namespaces/errs/bad%21')).toEqual({ status: 412, body: { reason: 'Namespace name is not valid' } });
    expect(await b.call('PUT', '/admin/v2/namespaces/errs/ns', { replication_clusters: ['nope'] })).toEqual({
      status: 403, body: { reason: 'Cluster [nope] is not in the list of allowed clusters list for tenant [errs]' },
    });
    expect(await b.call('GET', '/admin/v2/namespaces/errs/nope')).toEqual({ status: 404, body: { reason: 'Namespace does not exist' } });
    await b.call('PUT', '/admin/v2/namespaces/errs/full');
    expect((await b.call('PUT', '/admin/v2/persistent/errs/full/t')).status).toBe(204);
    expect(await b.call('DELETE', '/admin/v2/namespaces/errs/full')).toEqual({ status: 409, body: { reason: 'Cannot delete non empty namespace' } });
    expect((await b.call('DELETE', '/admin/v2/namespaces/errs/full?force=true')).status).toBe(405);
    expect(await b.call('GET', '/admin/v2/namespaces/errs/full/topics')).toEqual({ status: 200, body: ['persistent://errs/full/t'] });
    expect(await b.call('GET', '/admin/v2/namespaces/errs/nope/topics')).toEqual({ status: 404, body: { reason: 'Namespace does not exist' } });
  });
});
