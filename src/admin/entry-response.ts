import { inflateSync } from 'node:zlib';
import { readEntryMetadata } from '../protocol/peek.js';
import type { MessageMetadata } from '../protocol/wire-types.js';
import type { Entry } from '../storage/types.js';
import { RestError, type Reply } from './route.js';

/** CompressionType in PulsarApi.proto, by wire value: the X-Pulsar-compression header shows the name. */
const COMPRESSION_NAMES = ['NONE', 'LZ4', 'ZLIB', 'ZSTD', 'SNAPPY'];

/**
 * Java's DateTimeFormatter.ISO_OFFSET_DATE_TIME in UTC, as Pulsar's DateFormatter prints header times:
 * the fraction of a second has as few digits as it needs and is left out when zero ("…:38.2Z", "…:20Z").
 */
export function isoOffsetDateTime(epochMs: number): string {
  const iso = new Date(epochMs).toISOString(); // 2026-11-22T07:09:38.200Z
  const [seconds, fraction = ''] = iso.slice(0, -1).split('.');
  const trimmed = fraction.replace(/0+$/, '');
  return `${seconds}${trimmed ? `.${trimmed}` : ''}Z`;
}

const has = (metadata: MessageMetadata, field: string): boolean => Object.prototype.hasOwnProperty.call(metadata, field);

/** A field of the decoded metadata that wire-types does not name (protobufjs decodes every field of the proto). */
const field = (metadata: MessageMetadata, name: string): unknown => (metadata as unknown as Record<string, unknown>)[name];

const base64 = (bytes: unknown): string => Buffer.from(bytes as Uint8Array).toString('base64');

/** The X-Pulsar-* headers of PersistentTopicsBase.generateResponseWithEntry (Pulsar 4.0), in its order. */
function entryHeaders(entry: Entry, metadata: MessageMetadata, metadataSize: number): Record<string, string> {
  const headers: Record<string, string> = { 'X-Pulsar-Message-ID': `${entry.position.ledgerId}:${entry.position.entryId}` };
  const properties: Record<string, string> = {};
  for (const { key, value } of (field(metadata, 'properties') as Array<{ key: string; value: string }> | undefined) ?? []) properties[key] = value;
  headers['X-Pulsar-PROPERTY'] = JSON.stringify(properties);
  const set = (name: string, value: unknown) => {
    headers[`X-Pulsar-${name}`] = String(value);
  };
  if (has(metadata, 'publish_time')) set('publish-time', isoOffsetDateTime(Number(metadata.publish_time)));
  if (has(metadata, 'event_time') && Number(metadata.event_time) !== 0) set('event-time', isoOffsetDateTime(Number(metadata.event_time)));
  if (has(metadata, 'deliver_at_time')) set('deliver-at-time', isoOffsetDateTime(Number(metadata.deliver_at_time)));
  if (has(metadata, 'num_messages_in_batch')) {
    set('num-batch-message', metadata.num_messages_in_batch);
    // The entry's bytes less the serialized metadata (checksum and size words included), as Pulsar counts.
    set('batch-size', entry.data.length - metadataSize);
  }
  if (has(metadata, 'null_value')) set('null-value', field(metadata, 'null_value'));
  if (has(metadata, 'num_chunks_from_msg')) {
    set('PROPERTY-TOTAL-CHUNKS', metadata.num_chunks_from_msg);
    set('PROPERTY-CHUNK-ID', metadata.chunk_id ?? 0);
  }
  const encryptionKeys = (field(metadata, 'encryption_keys') as unknown[] | undefined) ?? [];
  set('Is-Encrypted', encryptionKeys.length > 0);
  if (has(metadata, 'producer_name')) set('producer-name', metadata.producer_name);
  if (has(metadata, 'sequence_id')) set('sequence-id', metadata.sequence_id);
  if (has(metadata, 'replicated_from')) set('replicated-from', field(metadata, 'replicated_from'));
  if (has(metadata, 'partition_key')) set('partition-key', metadata.partition_key);
  if (has(metadata, 'compression')) set('compression', COMPRESSION_NAMES[Number(field(metadata, 'compression'))] ?? 'NONE');
  if (has(metadata, 'uncompressed_size')) set('uncompressed-size', field(metadata, 'uncompressed_size'));
  if (has(metadata, 'encryption_algo')) set('encryption-algo', field(metadata, 'encryption_algo'));
  if (has(metadata, 'schema_version')) set('Base64-schema-version', base64(field(metadata, 'schema_version')));
  if (has(metadata, 'partition_key_b64_encoded')) set('partition-key-b64-encoded', field(metadata, 'partition_key_b64_encoded'));
  if (has(metadata, 'ordering_key')) set('Base64-ordering-key', base64(metadata.ordering_key));
  if (has(metadata, 'highest_sequence_id')) set('highest-sequence-id', metadata.highest_sequence_id);
  if (has(metadata, 'uuid')) set('uuid', field(metadata, 'uuid'));
  if (has(metadata, 'num_chunks_from_msg')) set('num-chunks-from-msg', metadata.num_chunks_from_msg);
  if (has(metadata, 'total_chunk_msg_size')) set('total-chunk-msg-size', field(metadata, 'total_chunk_msg_size'));
  if (has(metadata, 'chunk_id')) set('chunk-id', metadata.chunk_id);
  if (has(metadata, 'null_partition_key')) set('null-partition-key', field(metadata, 'null_partition_key'));
  // Vela has no transactions: nothing stored is uncommitted.
  set('txn-uncommitted', false);
  return headers;
}

/** The payload, uncompressed; a batch entry is returned whole (every message with its single-message metadata). */
function uncompressedPayload(metadata: MessageMetadata, payload: Buffer): Buffer {
  const codec = COMPRESSION_NAMES[Number(field(metadata, 'compression') ?? 0)] ?? 'NONE';
  if (codec === 'NONE') return payload;
  if (codec === 'ZLIB') return inflateSync(payload);
  throw new RestError(501, `Reading ${codec}-compressed messages is not implemented by this broker yet`);
}

/**
 * A stored entry as Pulsar's peek, examine and get-by-id answer it (PersistentTopicsBase.generateResponseWithEntry):
 * the raw payload as the body, the metadata in X-Pulsar-* headers. Pulsar labels the body application/json.
 */
export function entryReply(entry: Entry): Reply {
  const metadata = readEntryMetadata(entry.data);
  const metadataSize = entry.data.readUInt32BE(6);
  const payload = entry.data.subarray(10 + metadataSize);
  return { status: 200, body: uncompressedPayload(metadata, payload), headers: entryHeaders(entry, metadata, metadataSize) };
}
