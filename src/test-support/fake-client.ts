import { Duplex } from 'node:stream';
import { crc32c } from '../protocol/checksum.js';
import { decodeCommand } from '../protocol/commands.js';
import { encodePayloadFrameHeader, encodeSimpleFrame, FrameDecoder } from '../protocol/frame.js';
import { BaseCommandType, MessageMetadataType } from '../protocol/proto.js';
import type { BaseCommand } from '../protocol/wire-types.js';

export interface Received {
  command: BaseCommand & Record<string, any>;
  payload: Buffer | undefined;
}

/**
 * A scripted Pulsar client over an in-memory duplex pair: the broker side is a Transport for
 * Connection, the client side encodes commands and queues what the broker answers.
 */
export class FakeClient {
  readonly brokerSide: Duplex & { writableNeedDrain: boolean; remoteAddress: string; remotePort: number };
  private readonly received: Received[] = [];
  private readonly waiters: Array<() => void> = [];
  private readonly decoder = new FrameDecoder(64 * 1024 * 1024);
  closed = false;
  /** Every command type received, in arrival order. */
  readonly typesSeen: number[] = [];
  /** Answer the broker's PINGs like real clients do. */
  autoPong = true;

  constructor() {
    const client = this;
    this.brokerSide = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        for (const frame of client.decoder.push(chunk)) {
          const command = decodeCommand(frame.command) as Received['command'];
          if (command.type === 18 && client.autoPong) setImmediate(() => client.send(19, 'pong', {}));
          client.typesSeen.push(command.type);
          client.received.push({ command, payload: frame.payload });
        }
        client.waiters.splice(0).forEach((wake) => wake());
        callback();
      },
      final(callback) {
        client.closed = true;
        client.waiters.splice(0).forEach((wake) => wake());
        callback();
      },
    }) as FakeClient['brokerSide'];
    this.brokerSide.remoteAddress = '127.0.0.1';
    this.brokerSide.remotePort = 1;
    this.brokerSide.on('close', () => {
      this.closed = true;
      this.waiters.splice(0).forEach((wake) => wake());
    });
  }

  sendRaw(bytes: Buffer): void {
    this.brokerSide.push(bytes);
  }

  send(type: number, field: string, body: object): void {
    this.sendRaw(encodeSimpleFrame(BaseCommandType.encode({ type, [field]: body }).finish()));
  }

  /** SEND with a real MessageMetadata and checksum, like a producer. */
  publish(producerId: number, sequenceId: number, payload: string, options: { corruptChecksum?: boolean; numMessages?: number } = {}): void {
    const metadata = Buffer.from(MessageMetadataType.encode({
      producer_name: 'fake', sequence_id: sequenceId, publish_time: Date.now(),
      ...(options.numMessages ? { num_messages_in_batch: options.numMessages } : {}),
    }).finish());
    const covered = Buffer.concat([Buffer.alloc(4), metadata, Buffer.from(payload)]);
    covered.writeUInt32BE(metadata.length, 0);
    const head = Buffer.alloc(6);
    head.writeUInt16BE(0x0e01, 0);
    head.writeUInt32BE((crc32c(covered) ^ (options.corruptChecksum ? 1 : 0)) >>> 0, 2);
    const entry = Buffer.concat([head, covered]);
    const command = BaseCommandType.encode({
      type: 6, send: { producer_id: producerId, sequence_id: sequenceId, num_messages: options.numMessages ?? 1 },
    }).finish();
    this.sendRaw(Buffer.concat([encodePayloadFrameHeader(command, entry.length), entry]));
  }

  connect(protocolVersion = 21): Promise<Received> {
    this.send(2, 'connect', { client_version: 'fake', protocol_version: protocolVersion });
    return this.next(3);
  }

  /** Waits for the next received command of `type` (and drops earlier ones of other types only if asked). */
  async next(type: number, timeoutMs = 2000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.received.findIndex((r) => r.command.type === type);
      if (at >= 0) return this.received.splice(at, 1)[0]!;
      if (this.closed) throw new Error(`connection closed while waiting for command ${type}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for command ${type}; have ${this.received.map((r) => r.command.type).join(',')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async waitClosed(timeoutMs = 2000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.closed;
  }
}
