import { BrokerError } from '../../errors.js';
import { newSuccess, newWatchTopicListSuccess, newWatchTopicUpdate } from '../../protocol/commands.js';
import type { BaseCommand } from '../../protocol/wire-types.js';
import {
  BROKER_SIDE_PATTERN_EVALUATION, compileTopicsPattern, domainLessBaseName, removeTopicDomainScheme,
  SUBSCRIPTION_PATTERN_MAX_LENGTH, topicsHash, UnsafeTopicsPatternError, type TopicListChange, type TopicsPattern,
} from '../../topic/topic-list.js';
import type { Connection } from '../connection.js';

/**
 * Watchers one connection may hold. Pulsar has no limit of its own (one watcher per pattern consumer);
 * this only keeps a misbehaving client from filling memory with namespace listeners.
 */
export const MAX_WATCHERS_PER_CONNECTION = 1024;

/**
 * A topic-list watcher (PIP-145, TopicListService.TopicListWatcher): the persistent topics of a namespace
 * whose base name matches the pattern, partitions included, kept current from the registry's events and
 * pushed to the client as WATCH_TOPIC_UPDATE.
 */
class TopicListWatcher {
  /** Undefined until the first listing is in; events meanwhile wait in `early`. */
  private matching: Set<string> | undefined;
  private early: Array<[string, TopicListChange]> = [];
  private readonly stopListening: () => void;

  constructor(private readonly conn: Connection, readonly id: number, namespace: string, private readonly pattern: TopicsPattern) {
    this.stopListening = conn.ctx.registry.topicListEvents.listen(namespace, (topic, change) => this.onChange(topic, change));
  }

  /** The first listing (NamespaceService.getListOfPersistentTopics, filtered by the pattern, system topics kept). */
  start(topics: readonly string[]): void {
    this.matching = new Set(topics.filter((topic) => this.pattern.matches(domainLessBaseName(topic))));
    for (const [topic, change] of this.early.splice(0)) {
      if (!this.pattern.matches(domainLessBaseName(topic))) continue;
      if (change === 'created') this.matching.add(topic);
      else this.matching.delete(topic);
    }
  }

  topics(): string[] {
    return [...(this.matching ?? [])];
  }

  close(): void {
    this.stopListening();
    this.early = [];
  }

  private onChange(topic: string, change: TopicListChange): void {
    if (!this.matching) {
      this.early.push([topic, change]);
      return;
    }
    if (!this.pattern.matches(domainLessBaseName(topic))) return;
    if (change === 'created') this.matching.add(topic);
    else this.matching.delete(topic);
    const hash = topicsHash(this.topics());
    const [added, deleted] = change === 'created' ? [[topic], []] : [[], [topic]];
    this.conn.write(newWatchTopicUpdate(this.id, added, deleted, hash));
  }
}

/** A watcher being created (its first listing is read) or, once `ready` is set, running. */
interface WatcherEntry {
  ready?: TopicListWatcher;
}

/** A connection's watchers by id. */
const watchersOf = new WeakMap<Connection, Map<number, WatcherEntry>>();

function watchers(conn: Connection): Map<number, WatcherEntry> {
  let map = watchersOf.get(conn);
  if (!map) {
    const created = new Map<number, WatcherEntry>();
    watchersOf.set(conn, (map = created));
    // Watchers close with the connection (ServerCnx.channelInactive → TopicListService.inactivate).
    conn.onRelease(() => {
      for (const entry of created.values()) entry.ready?.close();
      created.clear();
    });
  }
  return map;
}

/**
 * WATCH_TOPIC_LIST → WATCH_TOPIC_LIST_SUCCESS with the matching topics and their hash (no topics when the
 * client's hash is already that), as TopicListService.handleWatchTopicList. Refused with NotAllowedError
 * when the broker does not evaluate patterns or the pattern (without its domain) is longer than
 * subscriptionPatternMaxLength; InvalidTopicName when it does not compile. A repeated id of a ready
 * watcher is answered from it; of one still being created, ServiceNotReady.
 */
export function handleWatchTopicList(conn: Connection, cmd: BaseCommand): void {
  const request = cmd.watchTopicList!;
  const { request_id: requestId, watcher_id: watcherId } = request;
  const [tenant, ...rest] = request.namespace.split('/');
  if (!tenant || rest.length === 0) {
    conn.sendError(requestId, new BrokerError('MetadataError', `Invalid namespace ${request.namespace}`));
    return;
  }
  const pattern = compileOrRefuse(conn, requestId, request.topics_pattern);
  if (!pattern) return;
  const map = watchers(conn);
  const entry = map.get(watcherId);
  if (entry?.ready) {
    sendSuccess(conn, requestId, entry.ready, request.topics_hash);
  } else if (entry) {
    conn.sendError(requestId, new BrokerError('ServiceNotReady', 'Topic list watcher is already present on the connection'));
  } else if (map.size >= MAX_WATCHERS_PER_CONNECTION) {
    conn.sendError(requestId, new BrokerError('NotAllowedError', `Too many topic list watchers on the connection (${MAX_WATCHERS_PER_CONNECTION})`));
  } else {
    createWatcher(conn, map, watcherId, tenant, rest.join('/'), pattern, {
      ready: (watcher) => sendSuccess(conn, requestId, watcher, request.topics_hash),
      failed: (error) => conn.sendError(requestId, new BrokerError('MetadataError', error.message)),
    });
  }
}

function sendSuccess(conn: Connection, requestId: number, watcher: TopicListWatcher, clientHash: string | undefined): void {
  const topics = watcher.topics();
  const hash = topicsHash(topics);
  conn.write(newWatchTopicListSuccess(requestId, watcher.id, hash === clientHash ? [] : topics, hash));
}

/** WATCH_TOPIC_LIST_CLOSE: drops the watcher (if any) and answers SUCCESS (TopicListService.handleWatchTopicListClose). */
export function handleWatchTopicListClose(conn: Connection, cmd: BaseCommand): void {
  const { request_id: requestId, watcher_id: watcherId } = cmd.watchTopicListClose!;
  const map = watchers(conn);
  const entry = map.get(watcherId);
  map.delete(watcherId);
  entry?.ready?.close();
  conn.write(newSuccess(requestId));
}

/**
 * Starts listening, then reads the listing (so no topic created meanwhile is missed). SUCCESS is written
 * in the same step that completes the watcher, so it always precedes the watcher's first update. A watcher
 * closed (or whose connection went away) before its listing came is dropped without an answer.
 */
function createWatcher(conn: Connection, map: Map<number, WatcherEntry>, watcherId: number, tenant: string,
  namespace: string, pattern: TopicsPattern, answer: { ready(w: TopicListWatcher): void; failed(e: Error): void }): void {
  const watcher = new TopicListWatcher(conn, watcherId, `${tenant}/${namespace}`, pattern);
  const entry: WatcherEntry = {};
  map.set(watcherId, entry);
  conn.ctx.registry.topicsOfNamespace(tenant, namespace).then((topics) => {
    if (map.get(watcherId) !== entry || !conn.isOpen) {
      watcher.close();
      return;
    }
    watcher.start(topics);
    entry.ready = watcher;
    answer.ready(watcher);
  }, (error: unknown) => {
    watcher.close();
    if (map.get(watcherId) === entry) map.delete(watcherId);
    answer.failed(error instanceof Error ? error : new Error(String(error)));
  });
}

function compileOrRefuse(conn: Connection, requestId: number, topicsPattern: string): TopicsPattern | undefined {
  let source: string;
  try {
    source = removeTopicDomainScheme(topicsPattern);
  } catch (error) {
    conn.sendError(requestId, new BrokerError('InvalidTopicName', `Invalid topics pattern: ${(error as Error).message}`));
    return undefined;
  }
  if (!BROKER_SIDE_PATTERN_EVALUATION || source.length > SUBSCRIPTION_PATTERN_MAX_LENGTH) {
    const why = BROKER_SIDE_PATTERN_EVALUATION
      ? `Pattern longer than maximum: ${SUBSCRIPTION_PATTERN_MAX_LENGTH}`
      : 'Evaluating subscription patterns is disabled.';
    conn.sendError(requestId, new BrokerError('NotAllowedError', `Unable to create topic list watcher: ${why}`));
    return undefined;
  }
  try {
    return compileTopicsPattern(topicsPattern);
  } catch (error) {
    const message = (error as Error).message;
    conn.sendError(requestId, error instanceof UnsafeTopicsPatternError
      ? new BrokerError('NotAllowedError', `Unable to create topic list watcher: ${message}`)
      : new BrokerError('InvalidTopicName', `Invalid topics pattern: ${message}`));
    return undefined;
  }
}
