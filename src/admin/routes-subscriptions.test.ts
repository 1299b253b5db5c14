import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandType, SubType } from '../protocol/wire-types.js';
import { startTestBroker, type TestBroker } from '../test-support/admin-broker.js';
import type { FakeClient } from '../test-support/fake-client.js';

// Statuses and reasons as Apache Pulsar 4.0.7 standalone answers them (checked against the reference broker).
const NS = '/admin/v2/persistent/public/default';
let b: TestBroker;
beforeAll(async () => {
  b = await startTestBroker();
});
afterAll(() => b.close());

async function produce(topic: string, count: number, producerName?: string): Promise<FakeClient> {
  const client = await b.client();
  client.send(CommandType.PRODUCER, 'producer', { topic: `persistent://public/default/${topic}`, producer_id: 1, request_id: 1, producer_name: producerName });
  await client.next(CommandType.PRODUCER_SUCCESS);
  for (let i = 0; i < count; i++) {
    client.publish(1, i, `m${i}`);
    await client.next(CommandType.SEND_RECEIPT);
  }
  return client;
}

async function subscribe(client: FakeClient, topic: string, subscription: string, subType: number = SubType.Shared): Promise<void> {
  client.send(CommandType.SUBSCRIBE, 'subscribe', {
    topic: `persistent://public/default/${topic}`, subscription, subType, consumer_id: 7, request_id: 2, consumer_name: 'c7', initialPosition: 1,
  });
  await client.next(CommandType.SUCCESS);
}

const backlog = async (topic: string, sub: string) => (await b.call('GET', `${NS}/${topic}/stats`)).body.subscriptions[sub].msgBacklog;

describe('subscriptions', () => {
  it('creates subscriptions at latest, earliest or a given id, lists and deletes them', async () => {
    await produce('subs', 5);
    expect((await b.call('PUT', `${NS}/subs/subscription/latest`)).status).toBe(204);
    expect((await b.call('PUT', `${NS}/subs/subscription/earliest`, { ledgerId: -1, entryId: -1 })).status).toBe(204);
    const last = (await b.call('GET', `${NS}/subs/lastMessageId`)).body;
    expect(last).toMatchObject({ entryId: 4, partitionIndex: -1, batchIndex: -1, batchSize: 0 });
    expect((await b.call('PUT', `${NS}/subs/subscription/at3`, { ledgerId: last.ledgerId, entryId: 3 })).status).toBe(204);
    expect((await b.call('PUT', `${NS}/subs/subscription/after3`, { ledgerId: last.ledgerId, entryId: 3, isExcluded: true })).status).toBe(204);
    expect(await b.call('PUT', `${NS}/subs/subscription/latest`)).toEqual({ status: 409, body: { reason: 'Subscription already exists for topic' } });
    expect([await backlog('subs', 'latest'), await backlog('subs', 'earliest'), await backlog('subs', 'at3'), await backlog('subs', 'after3')])
      .toEqual([0, 5, 2, 1]);
    expect((await b.call('GET', `${NS}/subs/subscriptions`)).body).toEqual(['latest', 'earliest', 'at3', 'after3']);
    expect((await b.call('DELETE', `${NS}/subs/subscription/at3`)).status).toBe(204);
    expect(await b.call('DELETE', `${NS}/subs/subscription/at3`))
      .toEqual({ status: 404, body: { reason: 'Subscription at3 not found for topic persistent://public/default/subs' } });
    expect(await b.call('GET', `${NS}/never/subscriptions`)).toEqual({ status: 404, body: { reason: 'Topic persistent://public/default/never not found' } });
  });

  it('refuses to delete a subscription with consumers unless forced', async () => {
    const client = await produce('busy-sub', 1);
    await subscribe(client, 'busy-sub', 's');
    expect(await b.call('DELETE', `${NS}/busy-sub/subscription/s`)).toEqual({ status: 412, body: { reason: 'Subscription has active connected consumers' } });
    expect((await b.call('DELETE', `${NS}/busy-sub/subscription/s?force=true`)).status).toBe(204);
    expect((await client.next(CommandType.CLOSE_CONSUMER)).command.close_consumer.consumer_id).toBe(7);
    expect((await b.call('GET', `${NS}/busy-sub/subscriptions`)).body).toEqual([]);
  });

  it('skips all, skips n and resets the cursor by time', async () => {
    const before = Date.now() - 1;
    await produce('skip', 6);
    await b.call('PUT', `${NS}/skip/subscription/s`, { ledgerId: -1, entryId: -1 });
    expect((await b.call('POST', `${NS}/skip/subscription/s/skip/2`)).status).toBe(204);
    expect(await backlog('skip', 's')).toBe(4);
    expect((await b.call('POST', `${NS}/skip/subscription/s/skip_all`)).status).toBe(204);
    expect(await backlog('skip', 's')).toBe(0);
    expect((await b.call('POST', `${NS}/skip/subscription/s/resetcursor/${before}`)).status).toBe(204);
    expect(await backlog('skip', 's')).toBe(6);
    expect((await b.call('POST', `${NS}/skip/subscription/s/resetcursor/${Date.now() + 60_000}`)).status).toBe(204);
    expect(await backlog('skip', 's')).toBe(0);
    const last = (await b.call('GET', `${NS}/skip/lastMessageId`)).body;
    expect((await b.call('POST', `${NS}/skip/subscription/s/resetcursor`, { ledgerId: last.ledgerId, entryId: 4 })).status).toBe(204);
    expect(await backlog('skip', 's')).toBe(2);
    expect(await b.call('POST', `${NS}/skip/subscription/nosub/skip_all`))
      .toEqual({ status: 404, body: { reason: 'Subscription nosub not found for topic persistent://public/default/skip' } });
  });

  it('applies subscription operations to every partition of a partitioned topic', async () => {
    await b.call('PUT', `${NS}/psubs/partitions`, '3');
    expect((await b.call('PUT', `${NS}/psubs/subscription/s`)).status).toBe(204);
    expect((await b.call('GET', `${NS}/psubs/subscriptions`)).body).toEqual(['s']);
    expect((await b.call('GET', `${NS}/psubs-partition-2/subscriptions`)).body).toEqual(['s']);
    expect((await b.call('POST', `${NS}/psubs/subscription/s/skip_all`)).status).toBe(204);
    expect((await b.call('DELETE', `${NS}/psubs/subscription/s`)).status).toBe(204);
    expect(await b.call('DELETE', `${NS}/psubs/subscription/s`)).toEqual({ status: 404, body: { reason: 'Subscription not found' } });
    expect(await b.call('GET', `${NS}/psubs/lastMessageId`)).toEqual({ status: 404, body: { reason: 'Topic persistent://public/default/psubs not found' } });
  });
});

describe('stats', () => {
  it("reports publishers, subscriptions and consumers with Pulsar's field names", async () => {
    const client = await produce('stats', 3, 'prod1');
    await subscribe(client, 'stats', 'sub1');
    client.send(CommandType.FLOW, 'flow', { consumer_id: 7, messagePermits: 10 });
    for (let i = 0; i < 3; i++) await client.next(CommandType.MESSAGE);
    const { status, body } = await b.call('GET', `${NS}/stats/stats`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ msgInCounter: 3, msgOutCounter: 3, deduplicationStatus: 'Disabled', replication: {} });
    expect(body.bytesInCounter).toBeGreaterThan(0);
    expect(body.storageSize).toBe(body.bytesInCounter);
    expect(body.publishers).toEqual([expect.objectContaining({ producerName: 'prod1', producerId: 1, clientVersion: 'fake', address: expect.stringMatching(/^\/127\.0\.0\.1:\d+$/) })]);
    expect(body.subscriptions.sub1).toMatchObject({
      type: 'Shared', msgBacklog: 3, unackedMessages: 3, msgOutCounter: 3, isDurable: true, durable: true,
      consumers: [expect.objectContaining({ consumerName: 'c7', availablePermits: 7, unackedMessages: 3, msgOutCounter: 3 })],
    });
    expect(body.subscriptions.sub1.backlogSize).toBe(body.storageSize);
    expect(body.backlogSize).toBe(body.storageSize);
    expect(await b.call('GET', `${NS}/never/stats`)).toEqual({ status: 404, body: { reason: 'Topic persistent://public/default/never not found' } });
  });

  it('sums partition stats and merges subscriptions by name in partitioned-stats', async () => {
    await b.call('PUT', `${NS}/pstats/partitions`, '2');
    await b.call('PUT', `${NS}/pstats/subscription/s`, { ledgerId: -1, entryId: -1 });
    await produce('pstats-partition-0', 2);
    await produce('pstats-partition-1', 3);
    const all = (await b.call('GET', `${NS}/pstats/partitioned-stats`)).body;
    expect(all).toMatchObject({ msgInCounter: 5, metadata: { partitions: 2 }, subscriptions: { s: { msgBacklog: 5 } } });
    expect(Object.keys(all.partitions)).toEqual(['persistent://public/default/pstats-partition-0', 'persistent://public/default/pstats-partition-1']);
    expect(all.partitions['persistent://public/default/pstats-partition-1']).toMatchObject({ msgInCounter: 3 });
    expect((await b.call('GET', `${NS}/pstats/partitioned-stats?perPartition=false`)).body.partitions).toEqual({});
    expect(await b.call('GET', `${NS}/pstats/stats`)).toEqual({ status: 404, body: { reason: 'Topic persistent://public/default/pstats not found' } });
    expect(await b.call('GET', `${NS}/stats/partitioned-stats`))
      .toEqual({ status: 404, body: { reason: 'Partitioned Topic persistent://public/default/stats not found' } });
  });

  it('answers endpoints that are not implemented yet with 501 and a reason', async () => {
    expect((await b.call('PUT', `${NS}/stats/compaction`)).status).toBe(501);
    expect(await b.call('POST', '/admin/v2/namespaces/public/default/persistence', {}))
      .toEqual({ status: 501, body: { reason: 'This namespace policy endpoint is not implemented by this broker yet' } });
    expect(await b.call('GET', '/admin/v2/schemas/public/default/stats/schema')).toEqual({ status: 404, body: { reason: 'Schema not found' } });
  });
});
