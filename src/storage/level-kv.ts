import { ClassicLevel } from 'classic-level';
import type { KvBackend } from './kv-backend.js';

export interface LevelKvOptions {
  /** false only in tests: LevelDB then acknowledges before its log reaches the disk. */
  readonly sync: boolean;
}

/** Opens (creating if needed) a LevelDB. LevelDB's lock file also keeps a second process out. */
export async function openLevelKv(location: string, options: LevelKvOptions): Promise<KvBackend> {
  const db = new ClassicLevel<string, string>(location, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  await db.open();
  return {
    get: (key) => db.get(key),
    async *entries(prefix) {
      // Keys sharing a prefix are contiguous in byte order, starting at the prefix itself.
      for await (const [key, value] of db.iterator({ gte: prefix })) {
        if (!key.startsWith(prefix)) break;
        yield [key, value];
      }
    },
    async range(fromKey, endKey, limit) {
      return db.iterator({ gte: fromKey, lt: endKey, limit }).all();
    },
    async write(operations) {
      if (operations.length === 0) return;
      await db.batch([...operations], { sync: options.sync });
    },
    close: () => db.close(),
  };
}
