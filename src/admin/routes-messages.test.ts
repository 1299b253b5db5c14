import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandType } from '../protocol/wire-types.js';
import { startTestBroker, type TestBroker } from '../test-support/admin-broker.js';
import { isoOffsetDateTime } from './entry-response.js';

// Statuses, reasons and headers as Apache Pulsar 4.0.7 standalone answers them (checked against the reference broker).
const NS = '/admin/v2/persistent/public/default';
let b: TestBroker;
beforeAll(async () => {
  b = await startTestBroker();
});
afterAll(() => b.close());

async function produce(topic: string, payloads: string[], batchOfLast = 0): Promise<void> {
  const client = await b.client();
  client.send(CommandType.PRODUCER, 'producer', { topic: `persistent://public/default/${topic}`, producer_id: 1, request_id: 1, producer_name: 'p1' });
  await client.next(CommandType.PRODUCER_SUCCESS);
  for (const [i, payload] of payloads.entries()) {
    const batch = i === payloads.length - 1 && batchOfLast > 0 ? { numMessages: batchOfLast } : {};
    client.publish(1, i, payload, batch);
    await client.next(CommandType.SEND_RECEIPT);
  }
}

async function raw(path: string): Promise<{ status: number; headers: Headers; body: string }> {
  const res = await fetch(`http://127.0.0.1:${b.broker.httpPort}${path}`);
  return { status: res.status, headers: res.headers, body: await res.text() };
}

const messageId = (r: { headers: Headers }) => r.headers.get('X-Pulsar-Message-ID');

describe('isoOffsetDateTime', () => {
  it('prints the fraction of a second with as few digits as Java does', () => {
    expect(isoOffsetDateTime(Date.UTC(2026, 10, 22, 7, 9, 38, 200))).toBe('2026-11-22T07:09:38.2Z');
    expect(isoOffsetDateTime(Date.UTC(2023, 10, 14, 22, 13, 20, 0))).toBe('2023-11-14T22:13:20Z');
    expect(isoOffsetDateTime(Date.UTC(2026, 10, 22, 7, 9, 37, 997))).toBe('2026-11-22T07:09:37.997Z');
  });
});

describe('peek, examine and get-by-id', () => {
  it('answer the raw payload with X-Pulsar-* headers', async () => {
    await produce('peek', ['m0', 'm1', 'm2']);
    expect((await b.call('PUT', `${NS}/peek/subscription/s`, { ledgerId: -1, entryId: -1 })).status).toBe(204);
    const first = await raw(`${NS}/peek/subscription/s/position/1`);
    expect(first.status).toBe(200);
    expect(first.body).toBe('m0');
    expect(first.headers.get('X-Pulsar-producer-name')).toBe('fake'); // the metadata's name, as the fake producer writes it
    expect(first.headers.get('X-Pulsar-sequence-id')).toBe('0');
    expect(first.headers.get('X-Pulsar-PROPERTY')).toBe('{}');
    expect(first.headers.get('X-Pulsar-Is-Encrypted')).toBe('false');
    expect(first.headers.get('X-Pulsar-txn-uncommitted')).toBe('false');
    expect(first.headers.get('X-Pulsar-publish-time')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/);
    expect(first.headers.get('X-Pulsar-num-batch-message')).toBeNull();
    const [ledgerId] = messageId(first)!.split(':');
    expect((await raw(`${NS}/peek/subscription/s/position/3`)).body).toBe('m2');
    expect(await b.call('GET', `${NS}/peek/subscription/s/position/4`)).toEqual({ status: 404, body: { reason: 'Message not found' } });
    expect((await b.call('GET', `${NS}/peek/subscription/none/position/1`)).status).toBe(404);

    const latest = await raw(`${NS}/peek/examinemessage`);
    expect([latest.body, messageId(latest)]).toEqual(['m2', `${ledgerId}:2`]);
    expect((await raw(`${NS}/peek/examinemessage?initialPosition=earliest&messagePosition=2`)).body).toBe('m1');
    expect((await raw(`${NS}/peek/examinemessage?initialPosition=earliest&messagePosition=9`)).body).toBe('m2');
    expect((await raw(`${NS}/peek/ledger/${ledgerId}/entry/1`)).body).toBe('m1');
    expect(await b.call('GET', `${NS}/peek/ledger/999999/entry/0`)).toEqual({ status: 404, body: { reason: 'Message id not found' } });
    expect((await b.call('GET', `${NS}/peek/ledger/${ledgerId}/entry/9`)).status).toBe(500);
  });

  it('skips acknowledged entries when peeking and returns a batch entry whole', async () => {
    await produce('peek-batch', ['a', 'b'], 3);
    expect((await b.call('PUT', `${NS}/peek-batch/subscription/s`, { ledgerId: -1, entryId: -1 })).status).toBe(204);
    expect((await b.call('POST', `${NS}/peek-batch/subscription/s/skip/1`)).status).toBe(204);
    const batch = await raw(`${NS}/peek-batch/subscription/s/position/1`);
    expect(batch.body).toBe('b');
    expect(batch.headers.get('X-Pulsar-num-batch-message')).toBe('3');
    // batch-size: the entry less its metadata, checksum and size words included (2 + 4 + 4 + payload).
    expect(batch.headers.get('X-Pulsar-batch-size')).toBe(String(10 + 'b'.length));
    expect((await raw(`${NS}/peek-batch/examinemessage?initialPosition=earliest&messagePosition=1`)).headers.get('X-Pulsar-num-batch-message')).toBeNull();
  });

  it('refuses partitioned topics and empty ones as Pulsar does', async () => {
    expect((await b.call('PUT', `${NS}/peek-parts/partitions`, 2)).status).toBe(204);
    expect(await b.call('GET', `${NS}/peek-parts/examinemessage`)).toEqual({ status: 405, body: {
      reason: 'Examine messages on a partitioned topic is not allowed, please try examine message on specific topic partition' } });
    expect(await b.call('GET', `${NS}/peek-parts/subscription/x/position/1`))
      .toEqual({ status: 405, body: { reason: 'Peek messages on a partitioned topic is not allowed' } });
    expect(await b.call('GET', `${NS}/peek-parts/ledger/1/entry/0`))
      .toEqual({ status: 405, body: { reason: 'GetMessageById is not allowed on partitioned-topic' } });
    expect((await b.call('PUT', `${NS}/peek-empty`)).status).toBe(204);
    expect(await b.call('GET', `${NS}/peek-empty/examinemessage`))
      .toEqual({ status: 412, body: { reason: 'Could not examine messages due to the total message is zero' } });
    expect(await b.call('GET', `${NS}/peek-none/examinemessage`))
      .toEqual({ status: 404, body: { reason: 'Topic persistent://public/default/peek-none not found' } });
  });
});

describe('expireMessages', () => {
  const backlog = async (topic: string, sub: string) => (await b.call('GET', `${NS}/${topic}/stats`)).body.subscriptions[sub].msgBacklog;

  it('moves the cursor past messages older than the given seconds; 409 when there is nothing to expire', async () => {
    await produce('expire', ['a', 'b', 'c']);
    expect((await b.call('PUT', `${NS}/expire/subscription/s`, { ledgerId: -1, entryId: -1 })).status).toBe(204);
    expect((await b.call('PUT', `${NS}/expire/subscription/t`, { ledgerId: -1, entryId: -1 })).status).toBe(204);
    expect((await b.call('POST', `${NS}/expire/subscription/s/expireMessages/3600`)).status).toBe(204);
    expect(await backlog('expire', 's')).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await b.call('POST', `${NS}/expire/subscription/s/expireMessages/1`)).status).toBe(204);
    expect(await backlog('expire', 's')).toBe(0);
    const again = await b.call('POST', `${NS}/expire/subscription/s/expireMessages/1`);
    expect(again.status).toBe(409);
    expect(again.body.reason).toMatch(/^Expire message by timestamp not issued on topic persistent:\/\/public\/default\/expire for subscription s /);
    expect(await b.call('POST', `${NS}/expire/subscription/none/expireMessages/1`))
      .toEqual({ status: 404, body: { reason: 'Subscription none not found for topic persistent://public/default/expire' } });
    expect((await b.call('POST', `${NS}/expire/all_subscription/expireMessages/1`)).status).toBe(409); // s has no backlog left
    expect(await backlog('expire', 't')).toBe(0);
  });

  it('expires up to a message id', async () => {
    await produce('expire-at', ['a', 'b', 'c']);
    expect((await b.call('PUT', `${NS}/expire-at/subscription/s`, { ledgerId: -1, entryId: -1 })).status).toBe(204);
    const { ledgerId } = (await b.call('GET', `${NS}/expire-at/lastMessageId`)).body;
    expect((await b.call('POST', `${NS}/expire-at/subscription/s/expireMessages`, { ledgerId, entryId: 1 })).status).toBe(204);
    expect(await backlog('expire-at', 's')).toBe(1);
  });
});
