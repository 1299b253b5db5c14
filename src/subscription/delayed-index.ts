import { createHash } from 'node:crypto';
import type { Logger } from '../config/logger.js';
import type { IndexStore } from '../storage/types.js';
import type { DelayedIndex } from './delayed-delivery-tracker.js';
import type { HeapItem } from './delayed-heap.js';

/** Hex digits of a key part: deliver times and position keys stay below 2^56. */
const WIDTH = 14;
/** Past the largest key: the end of a space. */
const END = 'g';

function part(n: number): string {
  return Math.max(0, Math.floor(n)).toString(16).padStart(WIDTH, '0');
}

function keyOf(at: number, key: number): string {
  return at === -Infinity ? '' : at === Infinity ? END : part(at) + part(key);
}

/**
 * The prefix of a subscription's index spaces (one per dispatcher kind under it): `d.<topic digest>.<subscription
 * digest>.`. Every key carries its space, and a million keys must stay small, so names are replaced by 64-bit
 * digests (a collision between two names is a 2^-64 event). Fixed-width parts ending in '.' mean removing one
 * space, or `delayedSpacePrefix(topic)` (all of a topic's), never touches another.
 */
export function delayedIndexSpace(topic: string, subscription: string): string {
  return `${delayedSpacePrefix(topic)}${digest(subscription)}.`;
}

export function delayedSpacePrefix(topic: string): string {
  return `d.${digest(topic)}.`;
}

function digest(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 16);
}

/**
 * A subscription's delayed-delivery index in the storage's ordered key space: key `<deliverAt hex><position key
 * hex>` (fixed width, so byte order is (deliverAt, position) order), value the entry's tag.
 *
 * Puts are gathered and written once per turn of the event loop, one promise per write however many keys it
 * holds: a million delayed messages must not cost a million promises. Order is kept (a range removal enqueued
 * after puts removes them). A failed write is logged; the entries still come back after a restart, because the
 * dispatcher reads the unacknowledged backlog again.
 */
export function createDelayedIndex(store: IndexStore, space: string, logger: Logger): DelayedIndex {
  let buffered: Array<readonly [string, string]> = [];
  const writing = new Set<ReadonlyArray<readonly [string, string]>>();
  let writingCount = 0;
  let scheduled = false;
  const drained: Array<() => void> = [];
  const warn = (error: unknown) => logger.warn(`delayed-delivery index ${space}: write failed`, error);
  const flush = () => {
    scheduled = false;
    if (buffered.length === 0) return;
    const batch = buffered;
    buffered = [];
    writing.add(batch);
    writingCount += batch.length;
    store.putMany(space, batch).catch(warn).finally(() => {
      writing.delete(batch);
      writingCount -= batch.length;
      if (writingCount === 0 && buffered.length === 0) for (const callback of drained) callback();
    });
  };
  return {
    put(item) {
      buffered.push([part(item.at) + part(item.key), String(item.tag)]);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    removeRange(fromAt, fromKey, toAt, toKey) {
      flush();
      store.removeRange(space, keyOf(fromAt, fromKey), keyOf(toAt, toKey)).catch(warn);
    },
    async page(fromAt, fromKey, limit) {
      const from = keyOf(fromAt, fromKey);
      const durable = await store.range(space, from, limit);
      // Writes still on their way are not in the store yet; merged in, a page never misses an entry.
      const unwritten = [buffered, ...writing].flatMap((batch) => batch.filter(([key]) => key >= from));
      const entries = unwritten.length === 0 ? durable : mergeByKey(durable, unwritten).slice(0, limit);
      return entries.map(([key, value]) => ({
        at: parseInt(key.slice(0, WIDTH), 16), key: parseInt(key.slice(WIDTH), 16), tag: Number(value) | 0,
      }));
    },
    get backlog() {
      return buffered.length + writingCount;
    },
    onDrained(callback) {
      drained.push(callback);
    },
  };
}

/** Keys are fixed-width ASCII hex, so string order is byte order. */
function mergeByKey(a: ReadonlyArray<readonly [string, string]>, b: ReadonlyArray<readonly [string, string]>): Array<readonly [string, string]> {
  const seen = new Set<string>();
  return [...a, ...b].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).filter(([key]) => !seen.has(key) && !!seen.add(key));
}
