import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandType, ServerError } from '../protocol/wire-types.js';
import { startTestBroker, type TestBroker } from '../test-support/admin-broker.js';

// Statuses and reasons as Apache Pulsar 4.0.7 standalone answers them (checked with curl against the reference broker).
const NS = '/admin/v2/persistent/public/default';
let b: TestBroker;
beforeAll(async () => {
  b = await startTestBroker();
});
afterAll(() => b.close());

describe('partitioned topics', () => {
  it('creates the partitions as real topics and lists them like Pulsar', async () => {
    expect((await b.call('PUT', `${NS}/orders/partitions`, '3')).status).toBe(204);
    expect(await b.call('PUT', `${NS}/orders/partitions`, '3')).toEqual({ status: 409, body: { reason: 'This topic already exists' } });
    expect(await b.call('GET', `${NS}/orders/partitions`)).toEqual({ status: 200, body: { partitions: 3, deleted: false } });
    expect(await b.call('GET', `${NS}/orders-partition-1/partitions`)).toEqual({ status: 200, body: { partitions: 0, deleted: false } });
    const topics = (await b.call('GET', NS)).body as string[];
    expect(topics.filter((t) => t.includes('/orders'))).toEqual([0, 1, 2].map((i) => `persistent://public/default/orders-partition-${i}`));
    expect((await b.call('GET', `${NS}/partitioned`)).body).toContain('persistent://public/default/orders');
    expect((await b.call('GET', '/admin/v2/non-persistent/public/default')).body).toEqual([]);
  });

  it('creates a topic once when two requests race', async () => {
    const replies = await Promise.all([b.call('PUT', `${NS}/race/partitions`, '2'), b.call('PUT', `${NS}/race/partitions`, '2')]);
    expect(replies.map((r) => r.status).sort()).toEqual([204, 409]);
  });

  it('takes the vnd.partitioned-topic-metadata+json body with properties', async () => {
    expect((await b.call('PUT', `${NS}/withprops/partitions`, { partitions: 2, properties: { team: 'a' } })).status).toBe(204);
    expect((await b.call('GET', `${NS}/withprops/partitions`)).body).toEqual({ partitions: 2, deleted: false, properties: { team: 'a' } });
  });

  it('refuses bad partition counts and names', async () => {
    const reason = async (method: string, path: string, body?: unknown) => {
      const reply = await b.call(method, path, body);
      return [reply.status, reply.body?.reason];
    };
    expect(await reason('PUT', `${NS}/zero/partitions`, '0')).toEqual([406, 'Number of partitions should be more than 0']);
    expect(await reason('PUT', `${NS}/neg/partitions`, '-1')).toEqual([406, 'Number of partitions should be more than 0']);
    expect(await reason('PUT', `${NS}/huge/partitions`, '100000')).toEqual([406, 'Number of partitions should be less than or equal to 4096']);
    expect((await b.call('PUT', `${NS}/junk/partitions`, 'abc')).status).toBe(400);
    expect(await reason('PUT', `${NS}/empty/partitions`)).toEqual([400, 'The request entity cannot be empty.']);
    expect(await reason('PUT', `${NS}/q-partition-2/partitions`, '2')).toEqual([412, "Partitioned Topic Name should not contain '-partition-'"]);
    expect(await reason('PUT', '/admin/v2/persistent/public/nope/t/partitions', '2')).toEqual([404, 'Namespace not found']);
  });

  it('keeps only the metadata of a non-persistent partitioned topic: its partitions exist while used', async () => {
    const NP = '/admin/v2/non-persistent/public/default';
    expect((await b.call('PUT', `${NP}/np/partitions`, '2')).status).toBe(204);
    expect(await b.call('GET', `${NP}/np/partitions`)).toEqual({ status: 200, body: { partitions: 2, deleted: false } });
    expect((await b.call('GET', NP)).body).toEqual([]);
    expect((await b.call('POST', `${NP}/np/partitions`, '3')).status).toBe(204);
    const client = await b.client();
    client.send(CommandType.PARTITIONED_METADATA, 'partitionMetadata', { topic: 'non-persistent://public/default/np', request_id: 1 });
    expect((await client.next(CommandType.PARTITIONED_METADATA_RESPONSE)).command.partitionMetadataResponse).toMatchObject({ partitions: 3 });
    client.send(CommandType.PRODUCER, 'producer', { topic: 'non-persistent://public/default/np-partition-2', producer_id: 1, request_id: 2 });
    await client.next(CommandType.PRODUCER_SUCCESS);
    expect((await b.call('GET', NP)).body).toEqual(['non-persistent://public/default/np-partition-2']);
    expect((await b.call('DELETE', `${NP}/np/partitions`)).status).toBe(412);
    expect((await b.call('DELETE', `${NP}/np/partitions?force=true`)).status).toBe(204);
    expect((await b.call('GET', NP)).body).toEqual([]);
    expect((await b.call('GET', `${NP}/np/partitions`)).status).toBe(404);
  });

  it('answers GET …/partitions for a missing topic with 404 unless auto-creation is asked about', async () => {
    expect(await b.call('GET', `${NS}/missing/partitions`)).toEqual({ status: 404, body: { reason: 'Topic persistent://public/default/missing not found' } });
    expect(await b.call('GET', `${NS}/missing/partitions?checkAllowAutoCreation=true`)).toEqual({ status: 200, body: { partitions: 0, deleted: false } });
    expect(await b.call('GET', '/admin/v2/persistent/public/nope/missing/partitions')).toEqual({ status: 404, body: { reason: 'Namespace not found' } });
  });

  it('grows a partitioned topic, copying existing subscriptions to the new partitions, and never shrinks it', async () => {
    await b.call('PUT', `${NS}/grow/partitions`, '2');
    expect((await b.call('PUT', `${NS}/grow/subscription/sub`)).status).toBe(204);
    expect((await b.call('POST', `${NS}/grow/partitions`, '4')).status).toBe(204);
    expect((await b.call('GET', `${NS}/grow/partitions`)).body).toEqual({ partitions: 4, deleted: false });
    expect((await b.call('GET', `${NS}/grow-partition-3/subscriptions`)).body).toEqual(['sub']);
    expect((await b.call('POST', `${NS}/grow/partitions`, '4')).status).toBe(204);
    expect(await b.call('POST', `${NS}/grow/partitions`, '3'))
      .toEqual({ status: 422, body: { reason: "Desired partitions 3 can't be less than the current partitions 4." } });
    expect(await b.call('POST', `${NS}/plain/partitions`, '3'))
      .toEqual({ status: 409, body: { reason: 'Topic persistent://public/default/plain is not the partitioned topic.' } });
  });

  it('deletes a partitioned topic with its partitions, refusing while clients are attached unless forced', async () => {
    await b.call('PUT', `${NS}/gone/partitions`, '2');
    const client = await b.client();
    client.send(CommandType.PRODUCER, 'producer', { topic: 'persistent://public/default/gone-partition-0', producer_id: 1, request_id: 1 });
    await client.next(CommandType.PRODUCER_SUCCESS);
    expect(await b.call('DELETE', `${NS}/gone/partitions`)).toEqual({ status: 412, body: { reason: 'Topic has active producers/subscriptions' } });
    expect((await b.call('DELETE', `${NS}/gone/partitions?force=true`)).status).toBe(204);
    expect((await client.next(CommandType.CLOSE_PRODUCER)).command.close_producer.producer_id).toBe(1);
    expect((await b.call('GET', `${NS}/gone/partitions`)).status).toBe(404);
    expect(((await b.call('GET', NS)).body as string[]).filter((t) => t.includes('/gone'))).toEqual([]);
    expect(await b.call('DELETE', `${NS}/gone/partitions`)).toEqual({ status: 404, body: { reason: 'Topic persistent://public/default/gone not found.' } });
  });
});

describe('non-partitioned topics', () => {
  it('creates and deletes a topic with Pulsar conflicts', async () => {
    expect((await b.call('PUT', `${NS}/single`)).status).toBe(204);
    expect(await b.call('PUT', `${NS}/single`)).toEqual({ status: 409, body: { reason: 'This topic already exists' } });
    expect(await b.call('PUT', `${NS}/single/partitions`, '2')).toEqual({ status: 409, body: { reason: 'This topic already exists' } });
    expect(await b.call('PUT', `${NS}/orders`)).toEqual({ status: 409, body: { reason: 'This topic already exists' } });
    expect(await b.call('PUT', `${NS}/zz-partition-1`)).toEqual({
      status: 412,
      body: { reason: 'Can\'t create topic zz-partition-1 with "-partition-" followed by numeric value if there isn\'t a partitioned topic zz created.' },
    });
    expect(await b.call('DELETE', `${NS}/single/partitions`)).toEqual({
      status: 409, body: { reason: 'persistent://public/default/single is a non-partitioned topic. Instead of calling delete-partitioned-topic please call delete.' },
    });
    expect(await b.call('DELETE', `${NS}/orders`)).toEqual({
      status: 409, body: { reason: 'persistent://public/default/orders is a partitioned topic, instead of calling delete topic, please call delete-partitioned-topic.' },
    });
    expect((await b.call('DELETE', `${NS}/single`)).status).toBe(204);
    expect(await b.call('DELETE', `${NS}/single`)).toEqual({ status: 404, body: { reason: 'Topic persistent://public/default/single not found' } });
    expect(await b.call('PUT', '/admin/v2/persistent/public/nope/t')).toEqual({ status: 404, body: { reason: 'Namespace not found' } });
  });

  it('refuses to delete a topic with connected clients unless forced, and its data is gone after', async () => {
    const client = await b.client();
    const topic = 'persistent://public/default/busy';
    client.send(CommandType.PRODUCER, 'producer', { topic, producer_id: 1, request_id: 1 });
    await client.next(CommandType.PRODUCER_SUCCESS);
    client.publish(1, 0, 'x');
    await client.next(CommandType.SEND_RECEIPT);
    expect(await b.call('DELETE', `${NS}/busy`)).toEqual({ status: 412, body: { reason: 'Topic has 1 connected producers/consumers' } });
    expect((await b.call('DELETE', `${NS}/busy?force=true`)).status).toBe(204);
    await client.next(CommandType.CLOSE_PRODUCER);
    expect((await b.call('PUT', `${NS}/busy`)).status).toBe(204);
    expect((await b.call('GET', `${NS}/busy/stats`)).body).toMatchObject({ msgInCounter: 0, storageSize: 0 });
  });
});

describe('the wire side of partitions and namespaces', () => {
  it('answers PARTITIONED_METADATA with the count, and 0 for a partition name', async () => {
    await b.call('PUT', `${NS}/wire/partitions`, '5');
    const client = await b.client();
    client.send(CommandType.PARTITIONED_METADATA, 'partitionMetadata', { topic: 'persistent://public/default/wire', request_id: 1 });
    expect((await client.next(CommandType.PARTITIONED_METADATA_RESPONSE)).command.partitionMetadataResponse).toMatchObject({ partitions: 5, response: 0 });
    client.send(CommandType.PARTITIONED_METADATA, 'partitionMetadata', { topic: 'persistent://public/default/wire-partition-4', request_id: 2 });
    expect((await client.next(CommandType.PARTITIONED_METADATA_RESPONSE)).command.partitionMetadataResponse.partitions ?? 0).toBe(0);
    client.send(CommandType.PRODUCER, 'producer', { topic: 'persistent://public/default/wire-partition-4', producer_id: 1, request_id: 3 });
    await client.next(CommandType.PRODUCER_SUCCESS);
  });

  it('answers LOOKUP, PARTITIONED_METADATA and PRODUCER in a missing namespace with TopicNotFound "Namespace not found"', async () => {
    const client = await b.client();
    const topic = 'persistent://public/nope/t';
    client.send(CommandType.LOOKUP, 'lookupTopic', { topic, request_id: 1 });
    expect((await client.next(CommandType.LOOKUP_RESPONSE)).command.lookupTopicResponse)
      .toMatchObject({ response: 2, error: ServerError.TopicNotFound, message: 'Namespace not found' });
    client.send(CommandType.PARTITIONED_METADATA, 'partitionMetadata', { topic, request_id: 2 });
    expect((await client.next(CommandType.PARTITIONED_METADATA_RESPONSE)).command.partitionMetadataResponse)
      .toMatchObject({ response: 1, error: ServerError.TopicNotFound, message: 'Namespace not found' });
    client.send(CommandType.PRODUCER, 'producer', { topic, producer_id: 1, request_id: 3 });
    expect((await client.next(CommandType.ERROR)).command.error).toMatchObject({ error: ServerError.TopicNotFound, message: 'Namespace not found' });
    expect(await b.call('GET', '/lookup/v2/topic/persistent/public/nope/t')).toEqual({ status: 404, body: { reason: 'Namespace not found' } });
  });

  it('serves topics in a namespace created over REST', async () => {
    await b.call('PUT', '/admin/v2/tenants/wire', { allowedClusters: ['standalone'] });
    await b.call('PUT', '/admin/v2/namespaces/wire/ns');
    const client = await b.client();
    client.send(CommandType.PRODUCER, 'producer', { topic: 'persistent://wire/ns/t', producer_id: 1, request_id: 1 });
    await client.next(CommandType.PRODUCER_SUCCESS);
    expect((await b.call('GET', '/admin/v2/persistent/wire/ns')).body).toEqual(['persistent://wire/ns/t']);
  });
});
