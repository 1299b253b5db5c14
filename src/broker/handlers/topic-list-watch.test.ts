import { afterEach, describe, expect, it } from 'vitest';
import { CommandType, ServerError } from '../../protocol/wire-types.js';
import { newTestContext } from '../../test-support/broker-context.js';
import { FakeClient } from '../../test-support/fake-client.js';
import { topicsHash } from '../../topic/topic-list.js';
import { parseTopicName } from '../../topic/topic-name.js';
import { Connection } from '../connection.js';
import type { BrokerContext } from '../context.js';

const NS = 'persistent://public/default';
const clients: FakeClient[] = [];

async function connect(ctx: BrokerContext): Promise<FakeClient> {
  const client = new FakeClient();
  new Connection(client.brokerSide, ctx);
  clients.push(client);
  await client.connect();
  return client;
}

async function createTopics(ctx: BrokerContext, ...names: string[]): Promise<void> {
  for (const name of names) await ctx.registry.getTopic(parseTopicName(name), true);
}

afterEach(() => {
  for (const c of clients.splice(0)) c.brokerSide.destroy();
});

describe('GET_TOPICS_OF_NAMESPACE', () => {
  it('filters by a short pattern (filtered=true), answers changed=false for a known hash, and leaves out system topics', async () => {
    const ctx = newTestContext();
    await createTopics(ctx, `${NS}/rx-a`, `${NS}/rx-b-partition-0`, `${NS}/other`, `${NS}/__change_events`);
    const client = await connect(ctx);
    client.send(CommandType.GET_TOPICS_OF_NAMESPACE, 'getTopicsOfNamespace', {
      request_id: 1, namespace: 'public/default', topics_pattern: `${NS}/rx-.*`,
    });
    const filtered = (await client.next(CommandType.GET_TOPICS_OF_NAMESPACE_RESPONSE)).command.getTopicsOfNamespaceResponse;
    const matching = [`${NS}/rx-a`, `${NS}/rx-b-partition-0`];
    expect(filtered).toMatchObject({ request_id: 1, topics: matching, filtered: true, changed: true, topics_hash: topicsHash(matching) });

    client.send(CommandType.GET_TOPICS_OF_NAMESPACE, 'getTopicsOfNamespace', {
      request_id: 2, namespace: 'public/default', topics_pattern: `${NS}/rx-.*`, topics_hash: topicsHash(matching),
    });
    const unchanged = (await client.next(CommandType.GET_TOPICS_OF_NAMESPACE_RESPONSE)).command.getTopicsOfNamespaceResponse;
    expect(unchanged).toMatchObject({ request_id: 2, topics: [], changed: false, topics_hash: topicsHash(matching) });

    client.send(CommandType.GET_TOPICS_OF_NAMESPACE, 'getTopicsOfNamespace', { request_id: 3, namespace: 'public/default' });
    const all = (await client.next(CommandType.GET_TOPICS_OF_NAMESPACE_RESPONSE)).command.getTopicsOfNamespaceResponse;
    expect(all).toMatchObject({ topics: [`${NS}/other`, ...matching], filtered: false });

    // Longer than subscriptionPatternMaxLength (50): not evaluated, everything is answered.
    client.send(CommandType.GET_TOPICS_OF_NAMESPACE, 'getTopicsOfNamespace', {
      request_id: 4, namespace: 'public/default', topics_pattern: `${NS}/rx-${'a?'.repeat(20)}.*`,
    });
    const long = (await client.next(CommandType.GET_TOPICS_OF_NAMESPACE_RESPONSE)).command.getTopicsOfNamespaceResponse;
    expect(long).toMatchObject({ topics: [`${NS}/other`, ...matching], filtered: false });

    // A pattern this broker does not run is not evaluated either.
    client.send(CommandType.GET_TOPICS_OF_NAMESPACE, 'getTopicsOfNamespace', {
      request_id: 6, namespace: 'public/default', topics_pattern: `(?i)${NS}/(a+)+b`,
    });
    const unsafe = (await client.next(CommandType.GET_TOPICS_OF_NAMESPACE_RESPONSE)).command.getTopicsOfNamespaceResponse;
    expect(unsafe).toMatchObject({ topics: [`${NS}/other`, ...matching], filtered: false });

    client.send(CommandType.GET_TOPICS_OF_NAMESPACE, 'getTopicsOfNamespace', { request_id: 5, namespace: 'public/default', mode: 1 });
    expect((await client.next(CommandType.GET_TOPICS_OF_NAMESPACE_RESPONSE)).command.getTopicsOfNamespaceResponse.topics).toEqual([]);
  });
});

describe('topic-list watchers (WATCH_TOPIC_LIST)', () => {
  it('is advertised in CONNECTED', async () => {
    const client = new FakeClient();
    new Connection(client.brokerSide, newTestContext());
    clients.push(client);
    const connected = await client.connect();
    expect(connected.command.connected.feature_flags.supports_topic_watchers).toBe(true);
  });

  it('lists the matching topics, pushes creations and deletions, and stops on WATCH_TOPIC_LIST_CLOSE', async () => {
    const ctx = newTestContext();
    await createTopics(ctx, `${NS}/rx-a`, `${NS}/other`);
    const client = await connect(ctx);
    client.send(CommandType.WATCH_TOPIC_LIST, 'watchTopicList', {
      request_id: 7, watcher_id: 3, namespace: 'public/default', topics_pattern: `${NS}/rx-.*`,
    });
    const success = (await client.next(CommandType.WATCH_TOPIC_LIST_SUCCESS)).command.watchTopicListSuccess;
    expect(success).toMatchObject({ request_id: 7, watcher_id: 3, topic: [`${NS}/rx-a`], topics_hash: topicsHash([`${NS}/rx-a`]) });

    await createTopics(ctx, `${NS}/not-matching`, `${NS}/rx-p-partition-1`);
    const added = (await client.next(CommandType.WATCH_TOPIC_UPDATE)).command.watchTopicUpdate;
    expect(added).toMatchObject({ watcher_id: 3, new_topics: [`${NS}/rx-p-partition-1`], deleted_topics: [] });
    expect(added.topics_hash).toBe(topicsHash([`${NS}/rx-a`, `${NS}/rx-p-partition-1`]));

    await ctx.registry.deleteTopic(parseTopicName(`${NS}/rx-a`));
    const deleted = (await client.next(CommandType.WATCH_TOPIC_UPDATE)).command.watchTopicUpdate;
    expect(deleted).toMatchObject({ watcher_id: 3, new_topics: [], deleted_topics: [`${NS}/rx-a`] });
    expect(deleted.topics_hash).toBe(topicsHash([`${NS}/rx-p-partition-1`]));

    // The same id again answers from the watcher; the client's own hash means no topics are sent.
    client.send(CommandType.WATCH_TOPIC_LIST, 'watchTopicList', {
      request_id: 8, watcher_id: 3, namespace: 'public/default', topics_pattern: `${NS}/rx-.*`, topics_hash: deleted.topics_hash,
    });
    expect((await client.next(CommandType.WATCH_TOPIC_LIST_SUCCESS)).command.watchTopicListSuccess).toMatchObject({ request_id: 8, topic: [] });

    client.send(CommandType.WATCH_TOPIC_LIST_CLOSE, 'watchTopicListClose', { request_id: 9, watcher_id: 3 });
    expect((await client.next(CommandType.SUCCESS)).command.success.request_id).toBe(9);
    expect(ctx.registry.topicListEvents.count('public/default')).toBe(0);
    await createTopics(ctx, `${NS}/rx-late`);
    await expect(client.next(CommandType.WATCH_TOPIC_UPDATE, 100)).rejects.toThrow(/timed out/);
  });

  it('refuses a too long pattern (NotAllowedError) and an invalid one (InvalidTopicName)', async () => {
    const client = await connect(newTestContext());
    client.send(CommandType.WATCH_TOPIC_LIST, 'watchTopicList', {
      request_id: 1, watcher_id: 1, namespace: 'public/default', topics_pattern: `${NS}/${'x'.repeat(40)}.*`,
    });
    expect((await client.next(CommandType.ERROR)).command.error).toMatchObject({ request_id: 1, error: ServerError.NotAllowedError });
    client.send(CommandType.WATCH_TOPIC_LIST, 'watchTopicList', {
      request_id: 2, watcher_id: 2, namespace: 'public/default', topics_pattern: `${NS}/rx-(`,
    });
    expect((await client.next(CommandType.ERROR)).command.error).toMatchObject({ request_id: 2, error: ServerError.InvalidTopicName });
    client.send(CommandType.WATCH_TOPIC_LIST, 'watchTopicList', {
      request_id: 3, watcher_id: 3, namespace: 'public/default', topics_pattern: `(?i)${NS}/(a+)+b`,
    });
    expect((await client.next(CommandType.ERROR)).command.error).toMatchObject({ request_id: 3, error: ServerError.NotAllowedError });
  });

  it('closes its watchers with the connection', async () => {
    const ctx = newTestContext();
    const client = await connect(ctx);
    client.send(CommandType.WATCH_TOPIC_LIST, 'watchTopicList', {
      request_id: 1, watcher_id: 1, namespace: 'public/default', topics_pattern: `${NS}/rx-.*`,
    });
    await client.next(CommandType.WATCH_TOPIC_LIST_SUCCESS);
    expect(ctx.registry.topicListEvents.count('public/default')).toBe(1);
    client.brokerSide.destroy();
    await client.waitClosed();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ctx.registry.topicListEvents.count('public/default')).toBe(0);
  });
});
