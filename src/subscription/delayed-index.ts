import type { Logger } from '../config/logger.js';
import type { IndexStore } from '../storage/types.js';
import type { DelayedIndex } from './delayed-delivery-tracker.js';
import type { HeapItem } from './delayed-heap.js';

/** Hex digits of a key part: deliver times and position keys stay below 2^53. */
const WIDTH = 14;

function part(n: number): string {
  return Math.max(0, Math.floor(n)).toString(16).padStart(WIDTH, '0');
}

/**
 * The prefix of a subscription's index spaces (one per dispatcher kind under it). Names are encoded and end in
 * '/', so that removing one (or `delayedSpacePrefix(topic)`, all of a topic's) never touches a subscription whose
 * name merely starts alike.
 */
export function delayedIndexSpace(topic: string, subscription: string): string {
  return `${delayedSpacePrefix(topic)}${encodeURIComponent(subscription)}/`;
}

export function delayedSpacePrefix(topic: string): string {
  return `delayed/${encodeURIComponent(topic)}/`;
}

/**
 * A subscription's delayed-delivery index in the storage's ordered key space: key
 * `<deliverAt hex><position key hex>` (fixed width, so byte order is (deliverAt, position) order),
 * value the entry's tag. Writes go out in the background; a failed write is logged and the entry is
 * still delivered after a restart, because the dispatcher reads the unacknowledged backlog again.
 */
export function createDelayedIndex(store: IndexStore, space: string, logger: Logger): DelayedIndex {
  const warn = (error: unknown) => logger.warn(`delayed-delivery index ${space}: write failed`, error);
  return {
    put(item) {
      store.put(space, part(item.at) + part(item.key), String(item.tag)).catch(warn);
    },
    remove(at, key) {
      store.delete(space, part(at) + part(key)).catch(warn);
    },
    async page(fromAt, fromKey, limit) {
      const from = fromAt === -Infinity ? '' : part(fromAt) + part(fromKey);
      const entries = await store.range(space, from, limit);
      return entries.map(([key, value]) => ({
        at: parseInt(key.slice(0, WIDTH), 16), key: parseInt(key.slice(WIDTH), 16), tag: Number(value) | 0, onDisk: true,
      }));
    },
  };
}
