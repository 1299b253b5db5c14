import { createMemoryStorage, createMemoryStorageData, type MemoryStorageData } from './memory-storage.js';
import type { InstrumentedStorage } from './segment-backend.js';
import { defineStorageContract } from './storage-contract.js';

defineStorageContract('memory', () => {
  let data: MemoryStorageData = createMemoryStorageData();
  const opened: InstrumentedStorage[] = [];
  return {
    async open(options) {
      const storage = createMemoryStorage({ ...options, data });
      opened.push(storage);
      return storage;
    },
    async cleanup() {
      await Promise.all(opened.map((storage) => storage.close()));
      data = createMemoryStorageData();
    },
  };
});
