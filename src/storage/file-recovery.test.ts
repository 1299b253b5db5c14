import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SegmentRecoveryReport } from './file-ledger.js';
import { openFileStorage, type FileStorageOptions } from './file-storage.js';
import { ledgerDirectoryName } from './ledger-directory.js';
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, checksum } from './record-format.js';
import type { InstrumentedStorage } from './segment-backend.js';
import { appendMany, entryData } from './storage-contract.js';
import type { Position } from './types.js';

const ZERO: Position = { ledgerId: 0, entryId: 0 };

describe('file storage recovery', () => {
  let dataDir: string;
  let opened: InstrumentedStorage[];
  let reports: SegmentRecoveryReport[];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'vela-recovery-'));
    opened = [];
    reports = [];
  });
  afterEach(async () => {
    await Promise.all(opened.map((storage) => storage.close()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function open(options: FileStorageOptions = {}): Promise<InstrumentedStorage> {
    const storage = await openFileStorage(dataDir, { onRecovery: (r) => reports.push(r), ...options });
    opened.push(storage);
    return storage;
  }

  /** Writes `count` entries into ledger t1, closes, and returns the path of the segment holding them. */
  async function writeSegment(count: number): Promise<string> {
    const storage = await open();
    await appendMany(await storage.openLedger('t1'), count);
    await storage.close();
    const directory = join(dataDir, 'ledgers', ledgerDirectoryName('t1'));
    const segments = readdirSync(directory).filter((name) => name.endsWith('.seg'));
    expect(segments).toHaveLength(1);
    return join(directory, segments[0]!);
  }

  async function expectEntriesAfterReopen(count: number): Promise<void> {
    const storage = await open();
    const ledger = await storage.openLedger('t1');
    const entries = await ledger.read(ZERO, 100);
    expect(entries.map((e) => e.data.toString())).toEqual(Array.from({ length: count }, (_, i) => `entry-${i}`));
    const next = await ledger.append(Buffer.from('after'));
    expect((await ledger.read(next, 1))[0]!.data.toString()).toBe('after');
    await storage.close();
    const again = await (await open()).openLedger('t1');
    expect(await again.read(ZERO, 100)).toHaveLength(count + 1);
  }

  const tornTails: Array<[string, (path: string) => void, number]> = [
    ['half a record', (path) => appendFileSync(path, recordBytes('entry-5').subarray(0, 11)), 5],
    ['a record header only', (path) => appendFileSync(path, recordBytes('entry-5').subarray(0, 6)), 5],
    ['random garbage', (path) => appendFileSync(path, Buffer.from('\x00\x00\x00\x04garbage-bytes')), 5],
    ['a zero-filled tail', (path) => appendFileSync(path, Buffer.alloc(4096)), 5],
    ['a flipped byte in the last record', (path) => flipByte(path, statSync(path).size - 1), 4],
    ['a flipped length in the last record', (path) => flipByte(path, lastRecordOffset(path, 5) + 3), 4],
  ];

  for (const [label, damage, kept] of tornTails) {
    it(`keeps every complete entry before ${label} and drops the rest`, async () => {
      const path = await writeSegment(5);
      const sizeBefore = statSync(path).size;
      damage(path);
      await expectEntriesAfterReopen(kept);
      expect(reports).toHaveLength(1);
      expect(reports[0]).toMatchObject({ ledgerName: 't1', keptEntries: kept });
      expect(statSync(path).size).toBeLessThanOrEqual(sizeBefore);
    });
  }

  it('deletes segments that are empty or never got a complete header', async () => {
    const path = await writeSegment(2);
    const directory = join(path, '..');
    writeFileSync(join(directory, '0000000000000900.seg'), Buffer.alloc(7));
    const storage = await open();
    const ledger = await storage.openLedger('t1');
    expect(await ledger.read(ZERO, 10)).toHaveLength(2);
    const files = readdirSync(directory).filter((name) => name.endsWith('.seg'));
    expect(files).toHaveLength(2); // the recovered one and the new current one
    expect(files).not.toContain('0000000000000900.seg');
    expect(ledger.nextPosition().ledgerId).toBeGreaterThan(900);
  });

  it('refuses to open a segment whose header is damaged but which holds data', async () => {
    const path = await writeSegment(3);
    flipByte(path, 0);
    const storage = await open();
    await expect(storage.openLedger('t1')).rejects.toMatchObject({ code: 'CORRUPT_SEGMENT' });
  });

  it('writes the documented record format', async () => {
    const path = await writeSegment(3);
    const file = readFileSync(path);
    expect(file.subarray(0, 4).toString('latin1')).toBe('VSEG');
    let offset = SEGMENT_HEADER_BYTES;
    for (let i = 0; i < 3; i++) {
      const length = file.readUInt32BE(offset);
      const data = file.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + length);
      expect(data).toEqual(entryData(i));
      expect(file.readUInt32BE(offset + 4)).toBe(checksum(data));
      offset += RECORD_HEADER_BYTES + length;
    }
    expect(offset).toBe(file.length);
  });
});

function recordBytes(text: string): Buffer {
  const data = Buffer.from(text);
  const header = Buffer.alloc(RECORD_HEADER_BYTES);
  header.writeUInt32BE(data.length, 0);
  header.writeUInt32BE(checksum(data), 4);
  return Buffer.concat([header, data]);
}

function flipByte(path: string, offset: number): void {
  const file = readFileSync(path);
  file[offset] = file[offset]! ^ 0xff;
  writeFileSync(path, file);
}

function lastRecordOffset(path: string, recordCount: number): number {
  const file = readFileSync(path);
  let offset = SEGMENT_HEADER_BYTES;
  for (let i = 0; i < recordCount - 1; i++) offset += RECORD_HEADER_BYTES + file.readUInt32BE(offset);
  return offset;
}
