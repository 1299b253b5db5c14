/**
 * Entries to deliver again or held back, by position key, each with its cached slot, replayed in
 * position order (Pulsar MessageRedeliveryController). Counts entries per slot so that a normal read
 * can tell in O(1) whether an older entry of the same slot is still waiting.
 */
export class ReplayQueue {
  private readonly hashes = new Map<number, number>();
  private readonly perHash = new Map<number, number>();
  private ordered: number[] = [];
  private orderedValid = true;
  /** Bumped on every add, so a dispatcher can tell that entries arrived while it awaited a read. */
  additions = 0;

  get size(): number {
    return this.hashes.size;
  }

  has(key: number): boolean {
    return this.hashes.has(key);
  }

  hashOf(key: number): number | undefined {
    return this.hashes.get(key);
  }

  containsHash(hash: number): boolean {
    return this.perHash.has(hash);
  }

  add(key: number, hash: number): void {
    if (this.hashes.has(key)) return;
    this.hashes.set(key, hash);
    this.perHash.set(hash, (this.perHash.get(hash) ?? 0) + 1);
    this.orderedValid = false;
    this.additions++;
  }

  delete(key: number): boolean {
    const hash = this.hashes.get(key);
    if (hash === undefined) return false;
    this.hashes.delete(key);
    const left = this.perHash.get(hash)! - 1;
    if (left === 0) this.perHash.delete(hash);
    else this.perHash.set(hash, left);
    return true;
  }

  /**
   * Keys with their slots in position order. Sorted lazily (additions come in bursts, scans are
   * frequent); deleted keys are skipped and compacted away without sorting again.
   */
  *inOrder(): Generator<[key: number, hash: number]> {
    if (!this.orderedValid) {
      this.ordered = [...this.hashes.keys()].sort((a, b) => a - b);
      this.orderedValid = true;
    } else if (this.ordered.length > 2 * this.hashes.size + 64) {
      this.ordered = this.ordered.filter((key) => this.hashes.has(key));
    }
    for (const key of this.ordered) {
      const hash = this.hashes.get(key);
      if (hash !== undefined) yield [key, hash];
    }
  }

  clear(): void {
    this.hashes.clear();
    this.perHash.clear();
    this.ordered = [];
    this.orderedValid = true;
  }
}
