import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandType, ServerError, SubType } from '../protocol/wire-types.js';
import { startTestBroker, type TestBroker } from '../test-support/admin-broker.js';

const POLICY = '/admin/v2/namespaces/public/auto/autoTopicCreation';
let b: TestBroker;
beforeAll(async () => {
  b = await startTestBroker();
  await b.call('PUT', '/admin/v2/namespaces/public/auto');
});
afterAll(() => b.close());

async function partitionsOf(topic: string, requestId: number, autoCreation = true) {
  const client = await b.client();
  client.send(CommandType.PARTITIONED_METADATA, 'partitionMetadata', { topic, request_id: requestId, metadata_auto_creation_enabled: autoCreation });
  return (await client.next(CommandType.PARTITIONED_METADATA_RESPONSE)).command.partitionMetadataResponse;
}

describe('namespace autoTopicCreation policy', () => {
  it('is stored, read back and removed like Pulsar', async () => {
    expect((await b.call('GET', POLICY)).status).toBe(204);
    const override = { allowAutoTopicCreation: true, topicType: 'partitioned', defaultNumPartitions: 3 };
    expect((await b.call('POST', POLICY, override)).status).toBe(204);
    expect(await b.call('GET', POLICY)).toEqual({ status: 200, body: override });
    expect((await b.call('DELETE', POLICY)).status).toBe(204);
    expect((await b.call('GET', POLICY)).status).toBe(204);
    expect((await b.call('GET', '/admin/v2/namespaces/public/nope/autoTopicCreation')).status).toBe(404);
  });

  it('refuses invalid overrides with 412 and Pulsar reasons', async () => {
    const reason = async (body: unknown) => {
      const reply = await b.call('POST', POLICY, body);
      return [reply.status, reply.body?.reason];
    };
    const detail = 'Invalid configuration for autoTopicCreationOverride. the detail is ';
    expect(await reason({ allowAutoTopicCreation: true, topicType: 'partitioned' }))
      .toEqual([412, `${detail}[defaultNumPartitions] cannot be null when the type is partitioned.`]);
    expect(await reason({ allowAutoTopicCreation: true, topicType: 'partitioned', defaultNumPartitions: 0 }))
      .toEqual([412, `${detail}[defaultNumPartitions] cannot be less than 1 for partition type.`]);
    expect(await reason({ allowAutoTopicCreation: true, topicType: 'non-partitioned', defaultNumPartitions: 2 }))
      .toEqual([412, `${detail}[defaultNumPartitions] is not allowed to be set when the type of topic is non-partitioned`]);
    expect(await reason({ allowAutoTopicCreation: true, topicType: 'weird' })).toEqual([412, `${detail}Unknown topic type [weird]`]);
  });

  it('makes PARTITIONED_METADATA create a partitioned topic with the default count', async () => {
    await b.call('POST', POLICY, { allowAutoTopicCreation: true, topicType: 'partitioned', defaultNumPartitions: 3 });
    expect(await partitionsOf('persistent://public/auto/fresh', 1)).toMatchObject({ partitions: 3, response: 0 });
    expect(await b.call('GET', '/admin/v2/persistent/public/auto/fresh/partitions')).toEqual({ status: 200, body: { partitions: 3, deleted: false } });
    expect((await partitionsOf('persistent://public/auto/fresh-partition-1', 2)).partitions ?? 0).toBe(0);
    // Without auto-creation the missing topic is TopicNotFound (PIP-344).
    expect(await partitionsOf('persistent://public/auto/other', 3, false)).toMatchObject({ response: 1, error: ServerError.TopicNotFound });
    const client = await b.client();
    client.send(CommandType.PRODUCER, 'producer', { topic: 'persistent://public/auto/fresh-partition-2', producer_id: 1, request_id: 4 });
    await client.next(CommandType.PRODUCER_SUCCESS);
    await b.call('DELETE', POLICY);
  });

  it('lets the namespace forbid auto-creation', async () => {
    await b.call('POST', POLICY, { allowAutoTopicCreation: false });
    expect(await partitionsOf('persistent://public/auto/forbidden', 1)).toMatchObject({ response: 1, error: ServerError.TopicNotFound });
    const client = await b.client();
    client.send(CommandType.PRODUCER, 'producer', { topic: 'persistent://public/auto/forbidden', producer_id: 1, request_id: 2 });
    expect((await client.next(CommandType.ERROR)).command.error).toMatchObject({ error: ServerError.TopicNotFound });
    await b.call('DELETE', POLICY);
  });
});

describe('non-persistent topics over the wire', () => {
  it('delivers to a connected consumer, answers (0, 0) and shows stats and the topic list', async () => {
    const topic = 'non-persistent://public/default/np-wire';
    const client = await b.client();
    client.send(CommandType.SUBSCRIBE, 'subscribe', { topic, subscription: 's', subType: SubType.Exclusive, consumer_id: 1, request_id: 1 });
    await client.next(CommandType.SUCCESS);
    client.send(CommandType.FLOW, 'flow', { consumer_id: 1, messagePermits: 10 });
    client.send(CommandType.PRODUCER, 'producer', { topic, producer_id: 1, request_id: 2 });
    await client.next(CommandType.PRODUCER_SUCCESS);
    client.publish(1, 0, 'hello');
    const receipt = (await client.next(CommandType.SEND_RECEIPT)).command.send_receipt;
    expect(receipt.message_id).toMatchObject({ ledgerId: 0, entryId: 0 });
    expect((await client.next(CommandType.MESSAGE)).command.message.message_id).toMatchObject({ ledgerId: 0, entryId: 0 });
    const stats = await b.call('GET', '/admin/v2/non-persistent/public/default/np-wire/stats');
    expect(stats.body).toMatchObject({ msgInCounter: 1, subscriptions: { s: { type: 'Exclusive', msgOutCounter: 1, msgDropRate: 0 } } });
    expect((await b.call('GET', '/admin/v2/non-persistent/public/default')).body).toEqual([topic]);
    expect((await b.call('GET', '/admin/v2/non-persistent/public/default/none/stats')).status).toBe(404);
  });
});
