/**
 * Pulsar frame layout (all sizes u32 big-endian):
 *   [totalSize][commandSize][BaseCommand] [payload...]
 * totalSize counts everything after itself; a frame carries a payload iff totalSize > 4 + commandSize.
 * Pure: no sockets, no timers.
 */

export const MAGIC_CRC32C = 0x0e01;
export const MAGIC_BROKER_ENTRY_METADATA = 0x0e02;
/** Pulsar's Commands.DEFAULT_MAX_MESSAGE_SIZE. */
export const DEFAULT_MAX_MESSAGE_SIZE_BYTES = 5 * 1024 * 1024;
/** Pulsar's Commands.MESSAGE_SIZE_FRAME_PADDING: room for the command and headers around a max-size message. */
export const FRAME_PADDING_BYTES = 10 * 1024;

export interface Frame {
  /** Serialized BaseCommand. */
  readonly command: Buffer;
  /** Bytes after the command ([magic][crc][metadataSize][metadata][payload] for SEND), or undefined. */
  readonly payload: Buffer | undefined;
}

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/**
 * Splits a TCP byte stream into frames. Handles partial and coalesced chunks; throws FrameError on
 * a frame larger than maxFrameSizeBytes or with an impossible command size (the caller closes the
 * connection: the stream cannot be resynchronised).
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxFrameSizeBytes: number) {}

  /** Feeds a chunk; returns every frame completed by it, in order. */
  push(chunk: Buffer): Frame[] {
    let buffer = chunk;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      // Join the pieces of a large frame once, when it is complete, not on every chunk.
      if (this.pendingBytes < this.pendingFrameBytes()) return [];
      buffer = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    const frames: Frame[] = [];
    let offset = 0;
    while (buffer.length - offset >= 4) {
      const totalSize = this.checkedFrameSize(buffer.readUInt32BE(offset));
      if (buffer.length - offset < 4 + totalSize) break;
      frames.push(parseFrame(buffer.subarray(offset + 4, offset + 4 + totalSize)));
      offset += 4 + totalSize;
    }
    if (offset < buffer.length) {
      this.pending = [buffer.subarray(offset)];
      this.pendingBytes = buffer.length - offset;
    }
    return frames;
  }

  /** Bytes received but not yet part of a complete frame. */
  bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Size of the frame being buffered, header included; 4 while its size field is incomplete. */
  private pendingFrameBytes(): number {
    if (this.pendingBytes < 4) return 4;
    let head = this.pending[0]!;
    if (head.length < 4) head = Buffer.concat(this.pending).subarray(0, 4);
    return 4 + this.checkedFrameSize(head.readUInt32BE(0));
  }

  private checkedFrameSize(totalSize: number): number {
    if (totalSize > this.maxFrameSizeBytes) {
      throw new FrameError(`frame of ${totalSize} bytes exceeds the limit of ${this.maxFrameSizeBytes}`);
    }
    if (totalSize < 4) throw new FrameError(`frame size ${totalSize} is too small`);
    return totalSize;
  }
}

function parseFrame(body: Buffer): Frame {
  const commandSize = body.readUInt32BE(0);
  if (commandSize === 0 || commandSize > body.length - 4) {
    throw new FrameError(`command size ${commandSize} does not fit a frame of ${body.length + 4} bytes`);
  }
  const command = body.subarray(4, 4 + commandSize);
  const payload = body.length > 4 + commandSize ? body.subarray(4 + commandSize) : undefined;
  return { command, payload };
}

/** [totalSize][commandSize][command] */
export function encodeSimpleFrame(command: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(8 + command.length);
  frame.writeUInt32BE(4 + command.length, 0);
  frame.writeUInt32BE(command.length, 4);
  frame.set(command, 8);
  return frame;
}

/** Header of a payload frame: [totalSize][commandSize][command]; the payload is written after it unchanged. */
export function encodePayloadFrameHeader(command: Uint8Array, payloadBytes: number): Buffer {
  const header = Buffer.allocUnsafe(8 + command.length);
  header.writeUInt32BE(4 + command.length + payloadBytes, 0);
  header.writeUInt32BE(command.length, 4);
  header.set(command, 8);
  return header;
}
