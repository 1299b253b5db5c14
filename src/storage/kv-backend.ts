/** A small ordered string key/value store: LevelDB on disk, a Map in memory. */
export type KvOperation =
  | { readonly type: 'put'; readonly key: string; readonly value: string }
  | { readonly type: 'del'; readonly key: string };

export interface KvBackend {
  get(key: string): Promise<string | undefined>;
  /** Entries whose key starts with prefix, in key order. */
  entries(prefix: string): AsyncIterable<[string, string]>;
  /** Up to `limit` entries with fromKey <= key < endKey, in key order. */
  range(fromKey: string, endKey: string, limit: number): Promise<Array<[string, string]>>;
  /** Deletes every key with fromKey <= key < endKey; durable when it resolves. */
  clearRange(fromKey: string, endKey: string): Promise<void>;
  /** Applies all operations atomically, in order; durable when it resolves. */
  write(operations: readonly KvOperation[]): Promise<void>;
  close(): Promise<void>;
}

/** In-memory KvBackend; `data` may outlive it to simulate a restart. */
export function createMemoryKv(data: Map<string, string> = new Map()): KvBackend {
  return {
    async get(key) {
      return data.get(key);
    },
    async *entries(prefix) {
      const keys = [...data.keys()].filter((key) => key.startsWith(prefix)).sort(compareKeys);
      for (const key of keys) {
        const value = data.get(key);
        if (value !== undefined) yield [key, value];
      }
    },
    async range(fromKey, endKey, limit) {
      const keys = [...data.keys()]
        .filter((key) => compareKeys(key, fromKey) >= 0 && compareKeys(key, endKey) < 0)
        .sort(compareKeys)
        .slice(0, limit);
      return keys.map((key): [string, string] => [key, data.get(key)!]);
    },
    async clearRange(fromKey, endKey) {
      for (const key of [...data.keys()]) {
        if (compareKeys(key, fromKey) >= 0 && compareKeys(key, endKey) < 0) data.delete(key);
      }
    },
    async write(operations) {
      for (const operation of operations) {
        if (operation.type === 'put') data.set(operation.key, operation.value);
        else data.delete(operation.key);
      }
    },
    async close() {},
  };
}

/** Byte order of the UTF-8 encodings, as LevelDB sorts keys. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
