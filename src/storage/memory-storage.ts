/**
 * Storage in memory, for tests and embedding. Same Ledger semantics as the file storage (it shares
 * LedgerCore): one global ledger id counter, a new segment per openLedger(), rollover limits.
 * Pass the same `data` to a new storage to simulate a restart.
 */
import { createMemoryKv } from './kv-backend.js';
import { KvBatcher } from './kv-batcher.js';
import { LedgerIdCounter, createIndexStore, NEXT_LEDGER_ID_KEY, createCursorStore, createMetadataStore } from './kv-stores.js';
import { openLedgerCore } from './ledger-core.js';
import { LedgerRegistry } from './ledger-registry.js';
import { resolveLedgerOptions, type LedgerOptions, type ResolvedLedgerOptions } from './options.js';
import type {
  InstrumentedLedger,
  InstrumentedStorage,
  SegmentBackend,
  SegmentHandle,
  SegmentReadRequest,
} from './segment-backend.js';
import type { Position } from './types.js';

class MemorySegment implements SegmentHandle {
  readonly entries: Buffer[] = [];
  sizeBytes = 0;

  constructor(readonly ledgerId: number) {}

  get entryCount(): number {
    return this.entries.length;
  }
}

interface MemoryLedgerData {
  segments: MemorySegment[];
  trimmedPosition: Position | null;
}

/** What survives a memory storage's close(). */
export interface MemoryStorageData {
  readonly ledgers: Map<string, MemoryLedgerData>;
  readonly kv: Map<string, string>;
}

export function createMemoryStorageData(): MemoryStorageData {
  return { ledgers: new Map(), kv: new Map() };
}

export interface MemoryStorageOptions extends LedgerOptions {
  readonly data?: MemoryStorageData;
}

export function createMemoryStorage(options: MemoryStorageOptions = {}): InstrumentedStorage {
  const ledgerOptions = resolveLedgerOptions(options);
  const data = options.data ?? createMemoryStorageData();
  const kv = createMemoryKv(data.kv);
  const batcher = new KvBatcher(kv);
  const counter = LedgerIdCounter.fromStored(batcher, data.kv.get(NEXT_LEDGER_ID_KEY));
  const registry = new LedgerRegistry<InstrumentedLedger>();
  let closing: Promise<void> | null = null;
  return {
    openLedger: (name) => registry.get(name, () => openMemoryLedger(name, data, counter, ledgerOptions, registry)),
    async listLedgers() {
      return [...data.ledgers.keys()].sort();
    },
    cursors: createCursorStore(kv, batcher),
    metadata: createMetadataStore(kv, batcher),
    indexes: createIndexStore(kv, batcher),
    close() {
      closing ??= registry.closeAll().finally(() => batcher.idle());
      return closing;
    },
  };
}

function openMemoryLedger(
  name: string,
  data: MemoryStorageData,
  counter: LedgerIdCounter,
  options: ResolvedLedgerOptions,
  registry: LedgerRegistry<InstrumentedLedger>,
): Promise<InstrumentedLedger> {
  let ledger = data.ledgers.get(name);
  if (ledger === undefined) {
    ledger = { segments: [], trimmedPosition: null };
    data.ledgers.set(name, ledger);
  }
  // Like the file storage's recovery: empty segments of earlier runs carry nothing and are dropped.
  ledger.segments = ledger.segments.filter((segment) => segment.entryCount > 0);
  const recovered = { segments: [...ledger.segments], trimmedPosition: ledger.trimmedPosition };
  return openLedgerCore(name, memoryBackend(name, ledger, data, counter), recovered, options, registry);
}

function memoryBackend(
  name: string,
  ledger: MemoryLedgerData,
  data: MemoryStorageData,
  counter: LedgerIdCounter,
): SegmentBackend<MemorySegment> {
  return {
    async createSegment() {
      const segment = new MemorySegment(await counter.allocate());
      ledger.segments.push(segment);
      return segment;
    },
    async appendBatch(segment, entries) {
      for (const entry of entries) {
        // Copy: the caller may reuse its buffer once append() resolved.
        segment.entries.push(Buffer.from(entry));
        segment.sizeBytes += entry.length;
      }
    },
    async readEntries(segment, request: SegmentReadRequest) {
      const result: Buffer[] = [];
      let totalBytes = 0;
      for (let entryId = request.fromEntryId; entryId < request.toEntryId; entryId++) {
        const entry = segment.entries[entryId]!;
        const fits = totalBytes + entry.length <= request.maxBytes || (result.length === 0 && request.takeFirst);
        if (!fits) break;
        result.push(entry);
        totalBytes += entry.length;
      }
      return result;
    },
    async sealSegment() {},
    async saveTrimmedPosition(position) {
      ledger.trimmedPosition = position;
    },
    async removeSegment(segment) {
      ledger.segments = ledger.segments.filter((candidate) => candidate !== segment);
    },
    async close() {},
    async destroy() {
      if (data.ledgers.get(name) === ledger) data.ledgers.delete(name);
    },
  };
}
