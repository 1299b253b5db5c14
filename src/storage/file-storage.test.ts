import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileStorage } from './file-storage.js';
import type { InstrumentedStorage } from './segment-backend.js';
import { defineStorageContract } from './storage-contract.js';

defineStorageContract('file', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vela-storage-'));
  const opened: InstrumentedStorage[] = [];
  return {
    async open(options) {
      const storage = await openFileStorage(dataDir, options);
      opened.push(storage);
      return storage;
    },
    async cleanup() {
      await Promise.all(opened.map((storage) => storage.close()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
