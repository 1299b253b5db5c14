import { BrokerError } from '../../errors.js';
import {
  newGetTopicsOfNamespaceResponse, newLookupConnect, newLookupError, newPartitionedMetadataError,
  newPartitionedMetadataResponse,
} from '../../protocol/commands.js';
import { crc32c } from '../../protocol/checksum.js';
import type { BaseCommand } from '../../protocol/wire-types.js';
import { parseTopicName } from '../../topic/topic-name.js';
import type { Connection } from '../connection.js';
import { toServerError } from '../error-codes.js';

/**
 * PARTITIONED_METADATA: the partition count, 0 for non-partitioned topics and partitions themselves.
 * A missing topic is reported as 0 when auto-creation applies (the topic is created on first
 * PRODUCER/SUBSCRIBE), else TopicNotFound (ServerCnx.handlePartitionMetadataRequest, PIP-344).
 */
export async function handlePartitionedMetadata(conn: Connection, cmd: BaseCommand): Promise<void> {
  const request = cmd.partitionMetadata!;
  try {
    const name = parseTopicName(request.topic);
    const { registry, config } = conn.ctx;
    registry.checkNamespace(name);
    const partitions = await registry.partitions(name);
    const autoCreate = request.metadata_auto_creation_enabled !== false && config.allowAutoTopicCreation;
    if (partitions === 0 && !autoCreate && !(await registry.exists(name.full))) {
      throw new BrokerError('TopicNotFound', `Topic ${name.full} does not exist`);
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

/**
 * GET_TOPICS_OF_NAMESPACE: every persistent topic of the namespace, unfiltered (clients filter by
 * pattern themselves when `filtered` is false), with Pulsar's hash: CRC32C of the sorted names
 * joined by commas, as lower-case hex of the little-endian bytes (TopicList.calculateHash).
 */
export async function handleGetTopicsOfNamespace(conn: Connection, cmd: BaseCommand): Promise<void> {
  const request = cmd.getTopicsOfNamespace!;
  const [tenant, ...rest] = request.namespace.split('/');
  if (!tenant || rest.length === 0) {
    conn.sendError(request.request_id, new BrokerError('MetadataError', `Invalid namespace ${request.namespace}`));
    return;
  }
  const topics = request.mode === 1 ? [] : await conn.ctx.registry.topicsOfNamespace(tenant, rest.join('/'));
  conn.write(newGetTopicsOfNamespaceResponse(request.request_id, topics, topicsHash(topics)));
}

export function topicsHash(sortedTopics: string[]): string {
  const hash = Buffer.alloc(4);
  hash.writeUInt32LE(crc32c(Buffer.from(sortedTopics.join(','), 'utf8')), 0);
  return hash.toString('hex');
}
