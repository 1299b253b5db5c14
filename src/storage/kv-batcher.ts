/**
 * Coalesces concurrent writes into one durable batch: while a batch is being written, new writes
 * collect in a map that keeps only the latest value per key, and go out together in the next batch.
 * Each write resolves once a batch holding it (or a later value of its key) is durable.
 */
import { compareKeys, type KvBackend, type KvOperation } from './kv-backend.js';

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class KvBatcher {
  /** null marks a delete. */
  private pending = new Map<string, string | null>();
  private prefixDeletes: string[] = [];
  private rangeDeletes: Array<readonly [string, string]> = [];
  private waiters: Waiter[] = [];
  private writing = false;
  private idleWaiters: Array<() => void> = [];
  batchesWritten = 0;

  constructor(private readonly kv: KvBackend) {}

  put(key: string, value: string): Promise<void> {
    this.pending.set(key, value);
    return this.enqueue();
  }

  del(key: string): Promise<void> {
    this.pending.set(key, null);
    return this.enqueue();
  }

  /** Many puts and deletes, one promise: for writers that produce thousands of keys a second. */
  apply(puts: ReadonlyArray<readonly [string, string]>, deletes: readonly string[] = []): Promise<void> {
    for (const [key, value] of puts) this.pending.set(key, value);
    for (const key of deletes) this.pending.set(key, null);
    return this.enqueue();
  }

  /** Deletes every key in [from, to) (UTF-8 byte order), including keys whose puts are still pending. */
  delRange(from: string, to: string): Promise<void> {
    for (const key of this.pending.keys()) {
      if (compareKeys(key, from) >= 0 && compareKeys(key, to) < 0) this.pending.delete(key);
    }
    this.rangeDeletes.push([from, to]);
    return this.enqueue();
  }

  /** Deletes every key with this prefix, including keys whose puts are still pending. */
  delPrefix(prefix: string): Promise<void> {
    for (const key of this.pending.keys()) {
      if (key.startsWith(prefix)) this.pending.delete(key);
    }
    this.prefixDeletes.push(prefix);
    return this.enqueue();
  }

  /** Resolves when every write enqueued so far has settled. */
  async idle(): Promise<void> {
    if (!this.writing) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private enqueue(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.writing) {
      this.writing = true;
      // Let writes issued in the same tick join the first batch.
      setImmediate(() => void this.writeLoop());
    }
    return done;
  }

  private async writeLoop(): Promise<void> {
    while (this.waiters.length > 0) {
      const waiters = this.waiters;
      const pending = this.pending;
      const prefixes = this.prefixDeletes;
      const ranges = this.rangeDeletes;
      this.waiters = [];
      this.pending = new Map();
      this.prefixDeletes = [];
      this.rangeDeletes = [];
      try {
        // Range deletes run first (natively), so puts enqueued after them survive, as with prefix deletes.
        for (const [from, to] of ranges) await this.kv.clearRange(from, to);
        await this.kv.write(await this.buildOperations(pending, prefixes));
        this.batchesWritten++;
        for (const waiter of waiters) waiter.resolve();
      } catch (error) {
        for (const waiter of waiters) waiter.reject(error);
      }
    }
    this.writing = false;
    const idleWaiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of idleWaiters) resolve();
  }

  /** Prefix deletes go first so puts enqueued after them survive. */
  private async buildOperations(
    pending: Map<string, string | null>,
    prefixes: readonly string[],
  ): Promise<KvOperation[]> {
    const operations: KvOperation[] = [];
    for (const prefix of prefixes) {
      for await (const [key] of this.kv.entries(prefix)) operations.push({ type: 'del', key });
    }
    for (const [key, value] of pending) {
      operations.push(value === null ? { type: 'del', key } : { type: 'put', key, value });
    }
    return operations;
  }
}
