import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandType } from '../protocol/wire-types.js';
import { startTestBroker, type TestBroker } from '../test-support/admin-broker.js';

let b: TestBroker;
beforeAll(async () => {
  b = await startTestBroker();
});
afterAll(() => b.close());

describe('namespace policies for deduplication, TTL, retention and backlog quota', () => {
  it('sets, reads and removes each policy; unset ones answer 204 like Pulsar', async () => {
    expect((await b.call('PUT', '/admin/v2/namespaces/public/pol')).status).toBe(204);
    const ns = '/admin/v2/namespaces/public/pol';
    expect((await b.call('GET', `${ns}/deduplication`)).status).toBe(204);
    expect((await b.call('POST', `${ns}/deduplication`, true)).status).toBe(204);
    expect(await b.call('GET', `${ns}/deduplication`)).toEqual({ status: 200, body: true });
    expect((await b.call('POST', `${ns}/messageTTL`, 120)).status).toBe(204);
    expect(await b.call('GET', `${ns}/messageTTL`)).toEqual({ status: 200, body: 120 });
    expect((await b.call('POST', `${ns}/messageTTL`, -5)).status).toBe(412);
    expect((await b.call('POST', `${ns}/retention`, { retentionTimeInMinutes: 60, retentionSizeInMB: -1 })).status).toBe(204);
    expect((await b.call('GET', `${ns}/retention`)).body).toEqual({ retentionTimeInMinutes: 60, retentionSizeInMB: -1 });
    const quota = { limitSize: 1024, limitTime: -1, policy: 'producer_exception' };
    expect((await b.call('POST', `${ns}/backlogQuota?backlogQuotaType=destination_storage`, quota)).status).toBe(204);
    expect((await b.call('GET', `${ns}/backlogQuotaMap`)).body).toMatchObject({ destination_storage: quota });
    expect((await b.call('DELETE', `${ns}/backlogQuota`)).status).toBe(204);
    expect((await b.call('GET', `${ns}/backlogQuotaMap`)).body).toEqual({});
    expect((await b.call('DELETE', `${ns}/deduplication`)).status).toBe(204);
    expect((await b.call('GET', `${ns}/deduplication`)).status).toBe(204);
    expect((await b.call('POST', '/admin/v2/namespaces/public/missing/deduplication', true)).status).toBe(404);
  });

  it('turns deduplication on for loaded topics of the namespace', async () => {
    expect((await b.call('PUT', '/admin/v2/namespaces/public/dedup')).status).toBe(204);
    const client = await b.client();
    const topic = 'persistent://public/dedup/t';
    client.send(CommandType.PRODUCER, 'producer', { topic, producer_id: 1, request_id: 1, producer_name: 'p' });
    await client.next(CommandType.PRODUCER_SUCCESS);
    client.publish(1, 5, 'a');
    await client.next(CommandType.SEND_RECEIPT);
    expect((await b.call('POST', '/admin/v2/namespaces/public/dedup/deduplication', true)).status).toBe(204);
    client.publish(1, 6, 'b');
    await client.next(CommandType.SEND_RECEIPT);
    client.publish(1, 6, 'b again');
    const duplicate = (await client.next(CommandType.SEND_RECEIPT)).command.send_receipt;
    expect(duplicate.message_id.entryId).toBe(2n ** 64n - 1n);
    client.send(CommandType.PRODUCER, 'producer', { topic, producer_id: 2, request_id: 2, producer_name: 'q' });
    expect((await client.next(CommandType.PRODUCER_SUCCESS)).command.producer_success.last_sequence_id).toBe(-1);
  });
});
