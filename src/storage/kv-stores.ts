/**
 * CursorStore, MetadataStore and the ledger id counter over one KvBackend, all writes going through
 * one KvBatcher. Key layout:
 *   cursor/<encodeURIComponent(topic)>/<encodeURIComponent(subscription)>  → cursor JSON
 *   meta/<key>                                                             → JSON value
 *   idx/<encodeURIComponent(space)>/<key>                                  → index value
 *   sys/next-ledger-id                                                     → decimal number
 */
import { decodeCursorState, encodeCursorState } from './cursor-codec.js';
import { StorageError, invariant } from './errors.js';
import type { KvBackend } from './kv-backend.js';
import { KvBatcher } from './kv-batcher.js';
import type { CursorState, CursorStore, IndexStore, MetadataStore } from './types.js';

const CURSOR_PREFIX = 'cursor/';
const METADATA_PREFIX = 'meta/';
const INDEX_PREFIX = 'idx/';
export const NEXT_LEDGER_ID_KEY = 'sys/next-ledger-id';
/** Ledger ids start at 1 (ledgerId 0 never exists), entry ids at 0. */
const FIRST_LEDGER_ID = 1;

function topicPrefix(topic: string): string {
  return `${CURSOR_PREFIX}${encodeURIComponent(topic)}/`;
}

export function createCursorStore(kv: KvBackend, batcher: KvBatcher): CursorStore {
  return {
    async load(topic) {
      const prefix = topicPrefix(topic);
      const cursors = new Map<string, CursorState>();
      for await (const [key, value] of kv.entries(prefix)) {
        cursors.set(decodeURIComponent(key.slice(prefix.length)), decodeCursorState(value));
      }
      return cursors;
    },
    async save(topic, subscription, state) {
      const json = encodeCursorState(state);
      await batcher.put(topicPrefix(topic) + encodeURIComponent(subscription), json);
    },
    remove: (topic, subscription) => batcher.del(topicPrefix(topic) + encodeURIComponent(subscription)),
    removeTopic: (topic) => batcher.delPrefix(topicPrefix(topic)),
  };
}

export function createMetadataStore(kv: KvBackend, batcher: KvBatcher): MetadataStore {
  return {
    async get<T>(key: string) {
      const value = await kv.get(METADATA_PREFIX + key);
      return value === undefined ? undefined : (parseJson(key, value) as T);
    },
    put(key, value) {
      const json = JSON.stringify(value);
      if (json === undefined) {
        return Promise.reject(new StorageError('INVALID_ARGUMENT', `metadata ${key}: value is not JSON`));
      }
      return batcher.put(METADATA_PREFIX + key, json);
    },
    delete: (key) => batcher.del(METADATA_PREFIX + key),
    async list<T>(prefix: string) {
      const result: Array<[string, T]> = [];
      for await (const [key, value] of kv.entries(METADATA_PREFIX + prefix)) {
        const name = key.slice(METADATA_PREFIX.length);
        result.push([name, parseJson(name, value) as T]);
      }
      return result;
    },
  };
}

export function createIndexStore(kv: KvBackend, batcher: KvBatcher): IndexStore {
  const spacePrefix = (space: string) => `${INDEX_PREFIX}${encodeURIComponent(space)}/`;
  return {
    put: (space, key, value) => batcher.put(spacePrefix(space) + key, value),
    delete: (space, key) => batcher.del(spacePrefix(space) + key),
    putMany(space, entries) {
      const prefix = spacePrefix(space);
      return batcher.apply(entries.map(([key, value]) => [prefix + key, value] as const));
    },
    removeRange(space, fromKey, toKey) {
      const prefix = spacePrefix(space);
      return batcher.delRange(prefix + fromKey, prefix + toKey);
    },
    async range(space, fromKey, limit) {
      const prefix = spacePrefix(space);
      // '0' follows '/' in byte order: the end of this space's keys.
      const entries = await kv.range(prefix + fromKey, `${prefix.slice(0, -1)}0`, limit);
      return entries.map(([key, value]): [string, string] => [key.slice(prefix.length), value]);
    },
    removeSpaces: (prefix) => batcher.delPrefix(INDEX_PREFIX + encodeURIComponent(prefix)),
  };
}

function parseJson(key: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new StorageError('CORRUPT_STATE', `metadata ${key} is not JSON`, { cause: error });
  }
}

/** The one storage-wide source of ledger ids. An id is durable before it is handed out. */
export class LedgerIdCounter {
  private constructor(
    private readonly batcher: KvBatcher,
    private next: number,
  ) {}

  static async load(kv: KvBackend, batcher: KvBatcher): Promise<LedgerIdCounter> {
    return LedgerIdCounter.fromStored(batcher, await kv.get(NEXT_LEDGER_ID_KEY));
  }

  static fromStored(batcher: KvBatcher, stored: string | undefined): LedgerIdCounter {
    const next = stored === undefined ? FIRST_LEDGER_ID : Number(stored);
    if (!Number.isSafeInteger(next) || next < FIRST_LEDGER_ID) {
      throw new StorageError('CORRUPT_STATE', `stored next ledger id is ${stored}`);
    }
    return new LedgerIdCounter(batcher, next);
  }

  async allocate(): Promise<number> {
    const ledgerId = this.next++;
    await this.batcher.put(NEXT_LEDGER_ID_KEY, String(this.next));
    return ledgerId;
  }

  /** Moves the counter past ids found on disk, in case its own record was lost or is behind. */
  async ensureAbove(ledgerId: number): Promise<void> {
    if (ledgerId < this.next) return;
    this.next = ledgerId + 1;
    await this.batcher.put(NEXT_LEDGER_ID_KEY, String(this.next));
    invariant(this.next > ledgerId, 'ledger ids only grow');
  }
}
