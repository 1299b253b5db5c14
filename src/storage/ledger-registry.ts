/**
 * At most one open instance per ledger name: a second openLedger() returns the open instance, and an
 * open while the previous instance is still closing (or being deleted) waits for it to finish.
 */
import { StorageError } from './errors.js';
import type { LedgerCoreHooks } from './ledger-core.js';
import { requireLedgerName } from './options.js';

export class LedgerRegistry<L extends { close(): Promise<void> }> implements LedgerCoreHooks {
  private readonly open = new Map<string, Promise<L>>();
  private readonly closing = new Map<string, Promise<void>>();
  private closed = false;

  async get(name: string, create: () => Promise<L>): Promise<L> {
    requireLedgerName(name);
    this.requireOpen();
    for (let done = this.closing.get(name); done !== undefined; done = this.closing.get(name)) {
      await done.catch(() => undefined);
    }
    this.requireOpen();
    const existing = this.open.get(name);
    if (existing !== undefined) return existing;
    const created = create();
    this.open.set(name, created);
    created.catch(() => {
      if (this.open.get(name) === created) this.open.delete(name);
    });
    return created;
  }

  onClosing(name: string, done: Promise<void>): void {
    this.open.delete(name);
    this.closing.set(name, done);
    const forget = () => {
      if (this.closing.get(name) === done) this.closing.delete(name);
    };
    done.then(forget, forget);
  }

  /** Refuses new opens, then closes every open ledger. */
  async closeAll(): Promise<void> {
    this.closed = true;
    const ledgers = await Promise.allSettled([...this.open.values()]);
    const closes = ledgers.map((result) => (result.status === 'fulfilled' ? result.value.close() : undefined));
    const results = await Promise.allSettled([...closes, ...this.closing.values()]);
    const failure = results.find((result) => result.status === 'rejected');
    if (failure?.status === 'rejected') throw failure.reason;
  }

  private requireOpen(): void {
    if (this.closed) throw new StorageError('STORAGE_CLOSED', 'storage is closed');
  }
}
