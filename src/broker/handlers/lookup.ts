import { BrokerError } from '../../errors.js';
import {
  newGetTopicsOfNamespaceResponse, newLookupConnect, newLookupError, newPartitionedMetadataError,
  newPartitionedMetadataResponse,
} from '../../protocol/commands.js';
import type { BaseCommand } from '../../protocol/wire-types.js';
import {
  BROKER_SIDE_PATTERN_EVALUATION, compileTopicsPattern, filterSystemTopics, filterTopics, SUBSCRIPTION_PATTERN_MAX_LENGTH, topicsHash,
  UnsafeTopicsPatternError, type TopicsPattern,
} from '../../topic/topic-list.js';
import { parseTopicName } from '../../topic/topic-name.js';
import type { Connection } from '../connection.js';
import { toServerError } from '../error-codes.js';

/**
 * PARTITIONED_METADATA: the partition count, 0 for non-partitioned topics and partitions themselves.
 * A missing topic is TopicNotFound unless auto-creation applies (ServerCnx.handlePartitionMetadataRequest,
 * PIP-344). Then it is 0, the topic being created on first PRODUCER/SUBSCRIBE, or, when auto-creation
 * makes partitioned topics, the default count whose metadata is stored now
 * (BrokerService.fetchPartitionedTopicMetadataCheckAllowAutoCreationAsync).
 */
export async function handlePartitionedMetadata(conn: Connection, cmd: BaseCommand): Promise<void> {
  const request = cmd.partitionMetadata!;
  try {
    const name = parseTopicName(request.topic);
    const { registry } = conn.ctx;
    registry.checkNamespace(name);
    let partitions = await registry.partitions(name);
    if (partitions === 0 && !(await registry.exists(name.full))) {
      const autoCreate = request.metadata_auto_creation_enabled !== false && (await registry.autoTopicCreation(name)).allowed;
      if (!autoCreate) throw new BrokerError('TopicNotFound', `Topic ${name.full} does not exist`);
      partitions = await registry.createDefaultPartitioned(name);
    }
    conn.write(newPartitionedMetadataResponse(request.request_id, partitions));
  } catch (error) {
    const { code, message } = toServerError(error);
    conn.write(newPartitionedMetadataError(request.request_id, code, message));
  }
}

/**
 * LOOKUP: this single broker owns every topic, so the answer is Connect to itself, authoritative,
 * unless the topic's namespace does not exist.
 */
export function handleLookup(conn: Connection, cmd: BaseCommand): void {
  const request = cmd.lookupTopic!;
  try {
    conn.ctx.registry.checkNamespace(parseTopicName(request.topic));
    conn.write(newLookupConnect(request.request_id, conn.ctx.brokerServiceUrl()));
  } catch (error) {
    const { code, message } = toServerError(error);
    conn.write(newLookupError(request.request_id, code, message));
  }
}

/** CommandGetTopicsOfNamespace.Mode. */
const Mode = { PERSISTENT: 0, NON_PERSISTENT: 1, ALL: 2 } as const;

/**
 * GET_TOPICS_OF_NAMESPACE (ServerCnx.handleGetTopicsOfNamespace, NamespaceService.getListOfUserTopics):
 * the namespace's topics of the asked domain, partitions listed one by one, system topics left out.
 * With a pattern the broker evaluates (at most subscriptionPatternMaxLength long) only matching names
 * are answered and `filtered` is true (TopicList.filterTopics). When the client's topics_hash equals
 * the answer's, no topics are sent and `changed` is false.
 */
export async function handleGetTopicsOfNamespace(conn: Connection, cmd: BaseCommand): Promise<void> {
  const request = cmd.getTopicsOfNamespace!;
  const [tenant, ...rest] = request.namespace.split('/');
  if (!tenant || rest.length === 0) {
    conn.sendError(request.request_id, new BrokerError('MetadataError', `Invalid namespace ${request.namespace}`));
    return;
  }
  let topics: string[];
  let filtered = false;
  try {
    topics = filterSystemTopics(await topicsOfMode(conn, tenant, rest.join('/'), request.mode ?? Mode.PERSISTENT));
    const pattern = request.topics_pattern;
    const compiled = pattern && BROKER_SIDE_PATTERN_EVALUATION && pattern.length <= SUBSCRIPTION_PATTERN_MAX_LENGTH
      ? evaluablePattern(pattern) : undefined;
    if (compiled) {
      topics = filterTopics(topics, compiled);
      filtered = true;
    }
  } catch (error) {
    // Pulsar wraps listing and filtering failures in ServerMetadataException.
    conn.sendError(request.request_id, new BrokerError('MetadataError', (error as Error).message));
    return;
  }
  const hash = topicsHash(topics);
  const changed = request.topics_hash !== hash;
  conn.write(newGetTopicsOfNamespaceResponse(request.request_id, changed ? topics : [], hash, filtered, changed));
}

/** The compiled pattern, or undefined for one this broker does not run (the client then filters itself). */
function evaluablePattern(pattern: string): TopicsPattern | undefined {
  try {
    return compileTopicsPattern(pattern);
  } catch (error) {
    if (error instanceof UnsafeTopicsPatternError) return undefined;
    throw error;
  }
}

/** NamespaceService.getListOfTopics: stored persistent topics, loaded non-persistent ones, or both. */
async function topicsOfMode(conn: Connection, tenant: string, namespace: string, mode: number): Promise<string[]> {
  const { registry } = conn.ctx;
  const persistent = mode === Mode.NON_PERSISTENT ? [] : await registry.topicsOfNamespace(tenant, namespace);
  const nonPersistent = mode === Mode.PERSISTENT ? [] : registry.nonPersistentTopicsOf(tenant, namespace);
  return [...persistent, ...nonPersistent];
}
