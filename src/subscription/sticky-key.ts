import type { MessageMetadata } from '../protocol/wire-types.js';
import { murmur3 } from './murmur3.js';

/** No hash computed yet; never a valid slot (StickyKeyConsumerSelector.STICKY_KEY_HASH_NOT_SET). */
export const STICKY_KEY_HASH_NOT_SET = 0;
/** Size of the slot space the selectors share (StickyKeyConsumerSelector.DEFAULT_RANGE_SIZE = 2 << 15). */
export const HASH_RANGE_SIZE = 65_536;

const NONE_KEY = Buffer.from('NONE_KEY', 'utf8');

/** The metadata fields the key is read from; the b64 flag is not in the shared wire type. */
type KeyMetadata = Pick<MessageMetadata, 'producer_name' | 'sequence_id' | 'partition_key' | 'ordering_key'> & {
  partition_key_b64_encoded?: boolean;
};

function has(metadata: object, field: string): boolean {
  // protobufjs puts absent optional fields' defaults on the prototype: presence is an own property.
  return Object.prototype.hasOwnProperty.call(metadata, field);
}

/**
 * The bytes an entry is routed by (Pulsar 4.x Commands.resolveStickyKey): ordering_key, else
 * partition_key (base64-decoded when flagged), else producer_name + "-" + sequence_id.
 * A batch is routed by its batch-level metadata, i.e. one key for the whole entry.
 */
export function stickyKeyOf(metadata: KeyMetadata): Uint8Array {
  if (has(metadata, 'ordering_key') && metadata.ordering_key) return metadata.ordering_key;
  if (has(metadata, 'partition_key') && metadata.partition_key !== undefined) {
    return metadata.partition_key_b64_encoded
      ? Buffer.from(metadata.partition_key, 'base64')
      : Buffer.from(metadata.partition_key, 'utf8');
  }
  if (has(metadata, 'producer_name') && has(metadata, 'sequence_id')) {
    return Buffer.from(`${metadata.producer_name}-${metadata.sequence_id}`, 'utf8');
  }
  return NONE_KEY;
}

/**
 * Murmur3 x86_32 (seed 0) of the key, made non-negative and reduced into [start, start + size)
 * (StickyKeyConsumerSelectorUtils.makeStickyKeyHash). 0 means "not set", so it becomes 1.
 */
export function makeStickyKeyHash(key: Uint8Array, start: number, size: number): number {
  const hash = ((murmur3(key) & 0x7fffffff) % size) + start;
  return hash === STICKY_KEY_HASH_NOT_SET ? 1 : hash;
}

/** Slot on the consistent-hash ring, whose range is [1, 65535]. */
export function ringSlotOf(key: Uint8Array): number {
  return makeStickyKeyHash(key, 1, HASH_RANGE_SIZE - 1);
}

/** Slot for the hash-range selectors (STICKY, classic AUTO_SPLIT), range [0, 65535] with 0 → 1. */
export function rangeSlotOf(key: Uint8Array): number {
  return makeStickyKeyHash(key, 0, HASH_RANGE_SIZE);
}
