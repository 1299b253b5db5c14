/**
 * Bounds the file descriptors held for reading sealed segments: a storage may hold thousands of
 * segments, but only the least recently read ones beyond `limit` are closed (when no read is using them).
 */
export interface PooledFile {
  /** Closes the file's read handle if no read is using it; true when it did. */
  closeIfIdle(): boolean;
}

export class HandlePool {
  /** Insertion order is recency order: the first element is the least recently used. */
  private readonly openFiles = new Set<PooledFile>();

  constructor(readonly limit: number) {}

  get openCount(): number {
    return this.openFiles.size;
  }

  touch(file: PooledFile): void {
    this.openFiles.delete(file);
    this.openFiles.add(file);
    if (this.openFiles.size <= this.limit) return;
    for (const candidate of this.openFiles) {
      if (this.openFiles.size <= this.limit) break;
      if (candidate !== file && candidate.closeIfIdle()) this.openFiles.delete(candidate);
    }
  }

  forget(file: PooledFile): void {
    this.openFiles.delete(file);
  }
}
