/**
 * Every file operation of the file storage goes through FileIo, so tests can inject a failure at
 * any step (open, write, fsync, truncate, rename, unlink …) by wrapping nodeFileIo.
 */
import * as fs from 'node:fs/promises';
import { join } from 'node:path';

export interface FileHandleIo {
  /** Positional write of all buffers; resolves with the bytes written. */
  writev(buffers: readonly Buffer[], positionBytes: number): Promise<number>;
  /** Positional read into target[targetOffset ..]; resolves with the bytes read (0 at end of file). */
  read(target: Buffer, targetOffset: number, lengthBytes: number, positionBytes: number): Promise<number>;
  datasync(): Promise<void>;
  truncate(sizeBytes: number): Promise<void>;
  sizeBytes(): Promise<number>;
  /** Waits for operations in flight on the handle, then closes it. */
  close(): Promise<void>;
}

/** 'create' fails when the file exists; 'readwrite' and 'read' when it does not. */
export type OpenMode = 'create' | 'readwrite' | 'read';

export interface FileIo {
  open(path: string, mode: OpenMode): Promise<FileHandleIo>;
  readFile(path: string): Promise<Buffer>;
  rename(fromPath: string, toPath: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Creates the directory and missing parents; no error when it exists. */
  mkdir(path: string): Promise<void>;
  /** Names in the directory; an empty list when it does not exist. */
  readdir(path: string): Promise<string[]>;
  /** Removes a directory tree; no error when it does not exist. */
  removeTree(path: string): Promise<void>;
  /** fsync of a directory, so created, renamed and removed names survive a crash. */
  syncDirectory(path: string): Promise<void>;
}

const OPEN_FLAGS: Record<OpenMode, string> = { create: 'wx+', readwrite: 'r+', read: 'r' };

function wrapHandle(handle: fs.FileHandle): FileHandleIo {
  return {
    async writev(buffers, positionBytes) {
      const { bytesWritten } = await handle.writev(buffers as Buffer[], positionBytes);
      return bytesWritten;
    },
    async read(target, targetOffset, lengthBytes, positionBytes) {
      const { bytesRead } = await handle.read(target, targetOffset, lengthBytes, positionBytes);
      return bytesRead;
    },
    datasync: () => handle.datasync(),
    truncate: (sizeBytes) => handle.truncate(sizeBytes),
    sizeBytes: async () => (await handle.stat()).size,
    close: () => handle.close(),
  };
}

export const nodeFileIo: FileIo = {
  open: async (path, mode) => wrapHandle(await fs.open(path, OPEN_FLAGS[mode])),
  readFile: (path) => fs.readFile(path),
  rename: (fromPath, toPath) => fs.rename(fromPath, toPath),
  unlink: (path) => fs.unlink(path),
  mkdir: async (path) => {
    await fs.mkdir(path, { recursive: true });
  },
  async readdir(path) {
    try {
      return await fs.readdir(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  },
  removeTree: (path) => fs.rm(path, { recursive: true, force: true }),
  async syncDirectory(path) {
    const handle = await fs.open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

/** Reads exactly lengthBytes unless the file ends first; resolves with the bytes read. */
export async function readFully(
  handle: FileHandleIo,
  target: Buffer,
  lengthBytes: number,
  positionBytes: number,
): Promise<number> {
  let done = 0;
  while (done < lengthBytes) {
    const bytesRead = await handle.read(target, done, lengthBytes - done, positionBytes + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** Replaces a small file atomically: temp file, fsync, rename, fsync of the directory. */
export async function writeFileAtomic(
  io: FileIo,
  directory: string,
  fileName: string,
  data: Buffer,
  sync: boolean,
): Promise<void> {
  const tempPath = join(directory, `${fileName}.tmp`);
  await io.unlink(tempPath).catch(() => undefined);
  const handle = await io.open(tempPath, 'create');
  try {
    const written = await handle.writev([data], 0);
    if (written !== data.length) throw new Error(`short write of ${tempPath}`);
    if (sync) await handle.datasync();
  } finally {
    await handle.close();
  }
  await io.rename(tempPath, join(directory, fileName));
  if (sync) await io.syncDirectory(directory);
}
