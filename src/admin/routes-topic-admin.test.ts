import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandType, ServerError, SubType } from '../protocol/wire-types.js';
import { startTestBroker, type TestBroker } from '../test-support/admin-broker.js';
import type { FakeClient } from '../test-support/fake-client.js';

// Shapes, statuses and reasons as Apache Pulsar 4.0.7 standalone answers them (checked against the reference broker).
const NS = '/admin/v2/persistent/public/default';
let b: TestBroker;
beforeAll(async () => {
  b = await startTestBroker();
});
afterAll(() => b.close());

async function producer(topic: string, count: number): Promise<FakeClient> {
  const client = await b.client();
  client.send(CommandType.PRODUCER, 'producer', { topic: `persistent://public/default/${topic}`, producer_id: 1, request_id: 1 });
  await client.next(CommandType.PRODUCER_SUCCESS);
  for (let i = 0; i < count; i++) {
    client.publish(1, i, `m${i}`);
    await client.next(CommandType.SEND_RECEIPT);
  }
  return client;
}

async function subscribe(client: FakeClient, topic: string, subscription: string, consumerId = 7): Promise<void> {
  client.send(CommandType.SUBSCRIBE, 'subscribe', {
    topic: `persistent://public/default/${topic}`, subscription, subType: SubType.Exclusive, consumer_id: consumerId, request_id: 20 + consumerId,
    consumer_name: `c${consumerId}`, initialPosition: 1,
  });
  await client.next(CommandType.SUCCESS);
}

describe('internalStats', () => {
  it('describes the ledger and its cursors with ManagedLedgerInternalStats field names', async () => {
    await producer('istats', 3);
    expect((await b.call('PUT', `${NS}/istats/subscription/s`, { ledgerId: -1, entryId: -1 })).status).toBe(204);
    expect((await b.call('POST', `${NS}/istats/subscription/s/skip/1`)).status).toBe(204);
    const { status, body } = await b.call('GET', `${NS}/istats/internalStats`);
    expect(status).toBe(200);
    const ledgerId = body.ledgers[0].ledgerId;
    expect(body).toMatchObject({
      entriesAddedCounter: 3, numberOfEntries: 3, currentLedgerEntries: 3, waitingCursorsCount: 0, pendingAddEntriesCount: 0,
      lastConfirmedEntry: `${ledgerId}:2`, state: 'LedgerOpened', schemaLedgers: [],
      compactedLedger: { ledgerId: -1, entries: -1, size: -1, offloaded: false, underReplicated: false },
    });
    expect(body.totalSize).toBeGreaterThan(0);
    expect(body.ledgers[0]).toMatchObject({ entries: 3, offloaded: false, underReplicated: false });
    expect(body.cursors.s).toMatchObject({
      markDeletePosition: `${ledgerId}:0`, individuallyDeletedMessages: '[]', messagesConsumedCounter: 1, state: 'Open', active: false,
      totalNonContiguousDeletedMessagesRange: 0, properties: {},
    });
    expect(Object.keys(body.cursors.s)).toEqual(['markDeletePosition', 'readPosition', 'waitingReadOp', 'pendingReadOps',
      'messagesConsumedCounter', 'cursorLedger', 'cursorLedgerLastEntry', 'individuallyDeletedMessages', 'lastLedgerSwitchTimestamp',
      'state', 'active', 'numberOfEntriesSinceFirstNotAckedMessage', 'totalNonContiguousDeletedMessagesRange',
      'subscriptionHavePendingRead', 'subscriptionHavePendingReplayRead', 'properties']);
  });

  it('answers an empty topic with entry -1, partitioned topics per partition, and 404 otherwise', async () => {
    expect((await b.call('PUT', `${NS}/istats-empty`)).status).toBe(204);
    const empty = (await b.call('GET', `${NS}/istats-empty/internalStats`)).body;
    expect(empty.lastConfirmedEntry).toMatch(/^\d+:-1$/);
    expect(empty.cursors).toEqual({});
    expect((await b.call('PUT', `${NS}/istats-parts/partitions`, 2)).status).toBe(204);
    await producer('istats-parts-partition-1', 1);
    const parts = (await b.call('GET', `${NS}/istats-parts/partitioned-internalStats`)).body;
    expect(parts.metadata).toEqual({ partitions: 2, deleted: false });
    expect(parts.partitions['persistent://public/default/istats-parts-partition-1']).toMatchObject({ numberOfEntries: 1 });
    expect(await b.call('GET', `${NS}/istats-empty/partitioned-internalStats`))
      .toEqual({ status: 404, body: { reason: 'Partitioned Topic persistent://public/default/istats-empty not found' } });
    expect(await b.call('GET', `${NS}/istats-none/internalStats`))
      .toEqual({ status: 404, body: { reason: 'Topic persistent://public/default/istats-none not found' } });
  });
});

describe('terminate', () => {
  it('answers the last message id, refuses producers and sends, and tells caught-up consumers the end was reached', async () => {
    const client = await producer('term', 2);
    await subscribe(client, 'term', 's');
    const { ledgerId } = (await b.call('GET', `${NS}/term/lastMessageId`)).body;
    const expected = { ledgerId, entryId: 1, partitionIndex: -1, batchIndex: -1, batchSize: 0 };
    expect(await b.call('POST', `${NS}/term/terminate`)).toEqual({ status: 200, body: expected });
    expect(await b.call('POST', `${NS}/term/terminate`)).toEqual({ status: 200, body: expected });
    expect((await client.next(CommandType.CLOSE_PRODUCER)).command.close_producer.producer_id).toBe(1);
    // the producer comes back: refused
    client.send(CommandType.PRODUCER, 'producer', { topic: 'persistent://public/default/term', producer_id: 2, request_id: 3 });
    const refused = await client.next(CommandType.ERROR);
    expect(refused.command.error).toMatchObject({ error: ServerError.TopicTerminatedError, message: 'Topic was already terminated' });
    // the consumer gets both messages, acknowledges them, then hears the end
    client.send(CommandType.FLOW, 'flow', { consumer_id: 7, messagePermits: 10 });
    const ids = [];
    for (let i = 0; i < 2; i++) ids.push((await client.next(CommandType.MESSAGE)).command.message.message_id);
    client.send(CommandType.ACK, 'ack', { consumer_id: 7, ack_type: 1, message_id: [ids[1]] });
    expect((await client.next(CommandType.REACHED_END_OF_TOPIC)).command.reachedEndOfTopic.consumer_id).toBe(7);
    expect((await b.call('GET', `${NS}/term/internalStats`)).body.state).toBe('Terminated');
  });

  it('stays terminated after an unload, and refuses partitioned topics with Pulsar\'s reasons', async () => {
    await producer('term-reload', 1);
    expect((await b.call('POST', `${NS}/term-reload/terminate`)).status).toBe(200);
    expect((await b.call('PUT', `${NS}/term-reload/unload`)).status).toBe(204);
    expect((await b.call('GET', `${NS}/term-reload/internalStats`)).body.state).toBe('Terminated');
    expect((await b.call('PUT', `${NS}/term-parts/partitions`, 2)).status).toBe(204);
    expect(await b.call('POST', `${NS}/term-parts/terminate`))
      .toEqual({ status: 405, body: { reason: 'Termination of a partitioned topic is not allowed' } });
    await producer('term-parts-partition-0', 1);
    const parts = await b.call('POST', `${NS}/term-parts/terminate/partitions`);
    expect(parts.status).toBe(200);
    expect(parts.body['0']).toMatchObject({ entryId: 0, partitionIndex: -1 });
    expect((await b.call('POST', `${NS}/term-reload/terminate/partitions`)).status).toBe(405);
    expect(await b.call('POST', `${NS}/term-none/terminate`))
      .toEqual({ status: 404, body: { reason: 'Topic persistent://public/default/term-none not found' } });
  });
});

describe('unload', () => {
  it('closes producers and consumers, and the topic loads again with its data and cursors', async () => {
    const client = await producer('unload', 2);
    await subscribe(client, 'unload', 's');
    expect((await b.call('PUT', `${NS}/unload/unload`)).status).toBe(204);
    expect((await client.next(CommandType.CLOSE_PRODUCER)).command.close_producer.producer_id).toBe(1);
    expect((await client.next(CommandType.CLOSE_CONSUMER)).command.close_consumer.consumer_id).toBe(7);
    await subscribe(client, 'unload', 's', 8);
    const stats = (await b.call('GET', `${NS}/unload/internalStats`)).body;
    expect(stats).toMatchObject({ numberOfEntries: 2, entriesAddedCounter: 0 });
    expect(Object.keys(stats.cursors)).toEqual(['s']);
    expect(await b.call('PUT', `${NS}/unload-none/unload`))
      .toEqual({ status: 404, body: { reason: 'Topic persistent://public/default/unload-none not found' } });
  });
});

describe('compaction', () => {
  it('is not implemented yet and says so', async () => {
    await producer('compact', 1);
    const reply = await b.call('PUT', `${NS}/compact/compaction`);
    expect(reply.status).toBe(501);
    expect(reply.body.reason).toMatch(/compaction/i);
  });
});
