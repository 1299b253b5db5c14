/**
 * Storage contracts. Storage knows nothing about Pulsar: entries are opaque bytes,
 * positions are (ledgerId, entryId) pairs that only grow within one ledger.
 */

export interface Position {
  readonly ledgerId: number;
  readonly entryId: number;
}

export interface Entry {
  readonly position: Position;
  readonly data: Buffer;
}

/** One append-only segment of a ledger; Pulsar's "ledger" inside a managed ledger. */
export interface SegmentInfo {
  readonly ledgerId: number;
  readonly entryCount: number;
  readonly sizeBytes: number;
}

/**
 * A topic's append-only log: Pulsar's ManagedLedger.
 * append() resolves only after the entry is durable (fsync, grouped with concurrent appends).
 */
export interface Ledger {
  readonly name: string;
  /**
   * Durable append. Entries appended concurrently share one fsync. Resolution order = append order.
   * `data` belongs to the ledger afterwards (large entries are kept by reference): do not modify it.
   */
  append(data: Buffer): Promise<Position>;
  /** Up to maxEntries entries with position >= from (skipping gaps between segments), stopping after maxBytes. */
  read(from: Position, maxEntries: number, maxBytes?: number): Promise<Entry[]>;
  /** Position of the last durable entry, or null when the ledger has never held an entry. */
  lastPosition(): Position | null;
  /** First position still stored (next append position when empty). */
  firstPosition(): Position;
  /** The position the next append will get. */
  nextPosition(): Position;
  /** Segments in position order (oldest first), including the one being written. */
  segments(): readonly SegmentInfo[];
  /** Number of stored entries in the half-open interval (from, to]. */
  countEntries(fromExclusive: Position, toInclusive: Position): number;
  /** The position `n` entries after `from` (n >= 0, counting stored entries), clamped to nextPosition(). */
  positionAfter(from: Position, n: number): Position;
  /** Delete whole segments whose every entry is < position. Never deletes the segment being written. */
  trimBefore(position: Position): Promise<number>;
  /** Total stored bytes. */
  sizeBytes(): number;
  /** Flush pending appends and close files. Further calls reject. */
  close(): Promise<void>;
  /** Close and remove all data of this ledger. */
  delete(): Promise<void>;
}

/** Durable state of a subscription's cursor: Pulsar's ManagedCursor. */
export interface CursorState {
  /** Everything <= markDelete is acknowledged. */
  readonly markDelete: Position;
  /** Acknowledged ranges above markDelete, each [start, end] inclusive, sorted and disjoint. */
  readonly individuallyDeleted: ReadonlyArray<readonly [Position, Position]>;
  /** Free-form subscription attributes (type, properties) persisted alongside. */
  readonly properties: Readonly<Record<string, string>>;
  /**
   * Entries above markDelete that are partly acknowledged: per position, opaque unsigned 32-bit words
   * (a bitset the subscription layer interprets). Optional: states written before it existed have none.
   */
  readonly batchAckSets?: ReadonlyArray<readonly [Position, readonly number[]]>;
}

export interface CursorStore {
  /** All persisted cursors of a topic, by subscription name. */
  load(topic: string): Promise<Map<string, CursorState>>;
  /** Durable write (synced before resolve). Concurrent saves may be batched. */
  save(topic: string, subscription: string, state: CursorState): Promise<void>;
  remove(topic: string, subscription: string): Promise<void>;
  removeTopic(topic: string): Promise<void>;
}

/**
 * Ordered key spaces for indexes kept beside the data (e.g. a subscription's delayed-delivery index).
 * Storage does not interpret keys or values; keys sort as UTF-8 bytes. Writes are durable when they
 * resolve; range() reads what is durable.
 */
export interface IndexStore {
  put(space: string, key: string, value: string): Promise<void>;
  delete(space: string, key: string): Promise<void>;
  /** Many puts in one durable write (one promise): for writers of thousands of keys a second. */
  putMany(space: string, entries: ReadonlyArray<readonly [string, string]>): Promise<void>;
  /** Deletes the keys of `space` in [fromKey, toKey). */
  removeRange(space: string, fromKey: string, toKey: string): Promise<void>;
  /** Up to `limit` entries of `space` whose key is >= fromKey, in key order. */
  range(space: string, fromKey: string, limit: number): Promise<Array<[string, string]>>;
  /** Removes every entry of every space whose name starts with `spacePrefix`. */
  removeSpaces(spacePrefix: string): Promise<void>;
}

/** Small durable key/value metadata (topics, partitions, policies). Values are JSON. */
export interface MetadataStore {
  get<T>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /** Entries whose key starts with prefix, in key order. */
  list<T>(prefix: string): Promise<Array<[string, T]>>;
}

export interface Storage {
  /** Open (creating if needed) a topic's ledger, recovering it from disk. */
  openLedger(name: string): Promise<Ledger>;
  /** Names of all ledgers that exist in storage. */
  listLedgers(): Promise<string[]>;
  readonly cursors: CursorStore;
  readonly metadata: MetadataStore;
  readonly indexes: IndexStore;
  close(): Promise<void>;
}

export function comparePositions(a: Position, b: Position): number {
  return a.ledgerId !== b.ledgerId ? a.ledgerId - b.ledgerId : a.entryId - b.entryId;
}
