interface DrainingHash<C> {
  /** The previous owner, which still has unacknowledged entries of this hash. */
  readonly consumer: C;
  /** How many of those entries are still unacknowledged. */
  refCount: number;
}

/**
 * Slots that changed owner while the previous owner still held unacknowledged entries of them
 * (PIP-379, Pulsar DrainingHashesTracker). Until those entries are acknowledged, redelivered or their
 * consumer leaves, no other consumer may receive entries of the slot. Holds only slots in flight.
 */
export class DrainingHashes<C> {
  private readonly draining = new Map<number, DrainingHash<C>>();

  get size(): number {
    return this.draining.size;
  }

  has(hash: number): boolean {
    return this.draining.has(hash);
  }

  hashes(): IterableIterator<number> {
    return this.draining.keys();
  }

  /** One more unacknowledged entry of `hash` held by its previous owner `consumer`. */
  add(consumer: C, hash: number): void {
    const entry = this.draining.get(hash);
    if (!entry) {
      this.draining.set(hash, { consumer, refCount: 1 });
    } else if (entry.consumer === consumer) {
      entry.refCount++;
    } else {
      // Two consumers holding one slot is what this class exists to prevent.
      throw new Error(`hash ${hash} is already draining on another consumer`);
    }
  }

  /** An entry of `hash` left `consumer`'s pending set. Returns true when the slot stopped draining. */
  release(consumer: C, hash: number): boolean {
    const entry = this.draining.get(hash);
    if (!entry || entry.consumer !== consumer) return false;
    if (--entry.refCount > 0) return false;
    this.draining.delete(hash);
    return true;
  }

  /**
   * Whether `consumer` must not receive entries of `hash` now (shouldBlockStickyKeyHash). A slot that
   * went back to its draining consumer stops draining: that consumer already holds its entries in order.
   */
  blocks(consumer: C, hash: number): boolean {
    const entry = this.draining.get(hash);
    if (!entry) return false;
    if (entry.consumer !== consumer) return true;
    this.draining.delete(hash);
    return false;
  }

  /** Drops every slot that `consumer` was draining (it left; its entries go to the replay set). */
  removeConsumer(consumer: C): void {
    for (const [hash, entry] of this.draining) if (entry.consumer === consumer) this.draining.delete(hash);
  }

  /**
   * After slots changed owner (registerDrainingHashes): each slot a consumer lost while holding
   * unacknowledged entries of it drains at that consumer, one reference per entry. A held slot that
   * was not draining was owned by its holder until now, so comparing with the new owner finds exactly
   * the lost ones. A slot back at its draining consumer stops draining (Pulsar's ADD impact).
   * `holders` gives each remaining consumer with the slots of its unacknowledged entries.
   */
  ownersChanged(holders: Iterable<[C, Iterable<number>]>, ownerOf: (hash: number) => C | undefined): void {
    for (const [hash, entry] of this.draining) if (ownerOf(hash) === entry.consumer) this.draining.delete(hash);
    const drainingBefore = new Set(this.draining.keys());
    for (const [holder, hashes] of holders) {
      for (const hash of hashes) if (!drainingBefore.has(hash) && ownerOf(hash) !== holder) this.add(holder, hash);
    }
  }

  clear(): void {
    this.draining.clear();
  }
}
