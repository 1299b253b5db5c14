// Raw-frame conformance scenarios: hand-made Pulsar frames for edge cases no client sends.
// Encodes commands with protobufjs from the repo's proto/PulsarApi.proto (COMPAT_PROTO), talks plain TCP to
// SERVICE_URL. Prints one JSON line per scenario (see compat-tests/README.md). Every expectation cites the
// Apache Pulsar behaviour it mirrors (section numbers refer to shared/PROTOCOL.md).
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVICE_URL = process.env.SERVICE_URL ?? 'pulsar://127.0.0.1:6650';
const PROTO = process.env.COMPAT_PROTO ?? path.join(HERE, '..', '..', 'proto', 'PulsarApi.proto');
const RUN_ID = process.env.COMPAT_RUN_ID ?? Math.random().toString(36).slice(2, 10);
const SCALE = Number(process.env.COMPAT_TIMEOUT_SCALE ?? '1') || 1;
const { hostname: HOST, port: PORT_STR } = new URL(SERVICE_URL);
const PORT = Number(PORT_STR) || 6650;

const MAX_MESSAGE_SIZE = 5 * 1024 * 1024; // Commands.DEFAULT_MAX_MESSAGE_SIZE
const FRAME_PADDING = 10 * 1024; // Commands.MESSAGE_SIZE_FRAME_PADDING
const CLOSE_WAIT_MS = 5000 * SCALE;
const REPLY_WAIT_MS = 10000 * SCALE;

// ---------------------------------------------------------------------------------------------
// codec

let BaseCommand;
let MessageMetadata;
let Type;
function loadProto() {
  const root = new protobuf.Root().loadSync(PROTO, { keepCase: true });
  BaseCommand = root.lookupType('pulsar.proto.BaseCommand');
  MessageMetadata = root.lookupType('pulsar.proto.MessageMetadata');
  Type = root.lookupEnum('pulsar.proto.BaseCommand.Type').values;
}

// CRC-32C (Castagnoli), reflected polynomial 0x82F63B78, init and xorout 0xFFFFFFFF (PROTOCOL.md §1.3).
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc32c(buf) {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function u32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

// [totalSize][commandSize][BaseCommand]   (PROTOCOL.md §1.1)
function simpleFrame(cmd) {
  const body = Buffer.from(BaseCommand.encode(BaseCommand.fromObject(cmd)).finish());
  return Buffer.concat([u32(4 + body.length), u32(body.length), body]);
}

// [totalSize][commandSize][cmd][0x0e01][crc32c][metadataSize][metadata][payload]   (PROTOCOL.md §1.2/§1.3)
function payloadFrame(cmd, metadata, payload, { badChecksum = false } = {}) {
  const body = Buffer.from(BaseCommand.encode(BaseCommand.fromObject(cmd)).finish());
  const meta = Buffer.from(MessageMetadata.encode(MessageMetadata.fromObject(metadata)).finish());
  const covered = Buffer.concat([u32(meta.length), meta, payload]);
  let crc = crc32c(covered);
  if (badChecksum) crc = (crc ^ 0xdeadbeef) >>> 0;
  const magic = Buffer.from([0x0e, 0x01]);
  const rest = Buffer.concat([magic, u32(crc), covered]);
  return Buffer.concat([u32(4 + body.length + rest.length), u32(body.length), body, rest]);
}

function typeName(n) {
  return Object.keys(Type).find((k) => Type[k] === n) ?? `type ${n}`;
}

// ---------------------------------------------------------------------------------------------
// a connection that decodes frames, answers the broker's PINGs and lets a test wait for commands

class RawConn {
  static open() {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: HOST, port: PORT });
      const t = setTimeout(() => { s.destroy(); reject(new Error(`TCP connect to ${HOST}:${PORT} timed out`)); }, REPLY_WAIT_MS);
      s.once('connect', () => { clearTimeout(t); resolve(new RawConn(s)); });
      s.once('error', (e) => { clearTimeout(t); reject(e); });
    });
  }

  constructor(socket) {
    this.s = socket;
    this.s.setNoDelay(true);
    this.buf = Buffer.alloc(0);
    this.inbox = [];
    this.waiters = [];
    this.decodeError = null;
    this.isClosed = false;
    this.closed = new Promise((resolve) => this.s.once('close', () => { this.isClosed = true; resolve(); this.wake(); }));
    this.s.on('error', () => {}); // resets are expected in several scenarios; 'close' follows
    this.s.on('data', (d) => this.onData(d));
  }

  onData(d) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.buf.length >= 4) {
      const total = this.buf.readUInt32BE(0);
      if (this.buf.length < 4 + total) break;
      const frame = this.buf.subarray(4, 4 + total);
      this.buf = this.buf.subarray(4 + total);
      const cmdSize = frame.readUInt32BE(0);
      try {
        const cmd = BaseCommand.toObject(BaseCommand.decode(frame.subarray(4, 4 + cmdSize)), { longs: Number, enums: Number, defaults: false });
        if (cmd.type === Type.PING) this.send(simpleFrame({ type: Type.PONG, pong: {} }));
        this.inbox.push(cmd);
      } catch (e) {
        this.decodeError = `broker sent a frame that does not decode as BaseCommand: ${e.message}`;
      }
    }
    this.wake();
  }

  wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  send(buf) {
    if (!this.isClosed && this.s.writable) this.s.write(buf);
  }

  // Wait for the first received command matching `pred`; resolves null on close or timeout.
  async next(pred, ms = REPLY_WAIT_MS) {
    const deadline = Date.now() + ms;
    for (;;) {
      if (this.decodeError) throw new Error(this.decodeError);
      const i = this.inbox.findIndex(pred);
      if (i >= 0) return this.inbox.splice(i, 1)[0];
      if (this.isClosed) return null;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => { clearTimeout(t); r(); });
      });
    }
  }

  async expect(type, ms = REPLY_WAIT_MS, extra = () => true) {
    const got = await this.next((c) => c.type === type || c.type === Type.ERROR || c.type === Type.SEND_ERROR, ms);
    if (!got) throw new Error(`no ${typeName(type)} within ${ms} ms${this.isClosed ? ' (connection closed)' : ''}`);
    if (got.type !== type) throw new Error(`expected ${typeName(type)}, got ${typeName(got.type)} ${JSON.stringify(got.error ?? got.send_error)}`);
    if (!extra(got)) throw new Error(`unexpected ${typeName(type)}: ${JSON.stringify(got)}`);
    return got;
  }

  // true if the broker closed the connection within `ms`
  async closedWithin(ms = CLOSE_WAIT_MS) {
    let t;
    const r = await Promise.race([this.closed.then(() => true), new Promise((res) => { t = setTimeout(() => res(false), ms); })]);
    clearTimeout(t);
    return r;
  }

  async handshake(protocolVersion = 21) {
    this.send(simpleFrame({ type: Type.CONNECT, connect: { client_version: 'vela-compat-raw', protocol_version: protocolVersion } }));
    return (await this.expect(Type.CONNECTED)).connected;
  }

  async ping() {
    this.send(simpleFrame({ type: Type.PING, ping: {} }));
    await this.expect(Type.PONG);
  }

  close() {
    this.s.destroy();
  }
}

async function connected(protocolVersion = 21) {
  const c = await RawConn.open();
  await c.handshake(protocolVersion);
  return c;
}

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

function topicName(name) {
  return `persistent://public/default/compat-${RUN_ID}-raw-${name}`;
}

// LOOKUP then PRODUCER on one connection, as clients do (PROTOCOL.md §2.5/§2.6). A lookup also makes the
// broker own the topic's namespace bundle before PRODUCER.
async function createProducer(c, topic, producerId, requestId) {
  c.send(simpleFrame({ type: Type.LOOKUP, lookupTopic: { topic, request_id: requestId, authoritative: false } }));
  const lr = (await c.expect(Type.LOOKUP_RESPONSE)).lookupTopicResponse;
  check(lr.response === 1, `LOOKUP_RESPONSE.response ${lr.response} (expected Connect=1): ${JSON.stringify(lr)}`);
  c.send(simpleFrame({ type: Type.PRODUCER, producer: { topic, producer_id: producerId, request_id: requestId + 1 } }));
  return (await c.expect(Type.PRODUCER_SUCCESS)).producer_success.producer_name;
}

function sendFrame(producerId, producerName, seq, payload, opts) {
  return payloadFrame(
    { type: Type.SEND, send: { producer_id: producerId, sequence_id: seq, num_messages: 1 } },
    { producer_name: producerName, sequence_id: seq, publish_time: Date.now() },
    Buffer.from(payload),
    opts,
  );
}

// A misbehaving connection must not hurt the others: a connection opened before must still answer PING.
async function healthyStillWorks(healthy) {
  check(!healthy.isClosed, 'the healthy connection was closed too');
  await healthy.ping();
}

// ---------------------------------------------------------------------------------------------
// scenarios

const SCENARIOS = {
  // PulsarHandler answers PING with PONG (PROTOCOL.md §2.4).
  async 'raw-connect-ping-pong'() {
    const c = await connected();
    try {
      await c.ping();
      await c.ping();
    } finally { c.close(); }
  },

  // Commands.newConnectedCommand: protocol_version = min(client, current=21); ServerCnx.completeConnect always sets
  // max_message_size (5242880 by default) and server_version (PROTOCOL.md §2.2/§2.3/§1.5).
  async 'raw-connected-fields'() {
    const a = await RawConn.open();
    const b = await RawConn.open();
    try {
      const hi = await a.handshake(30);
      check(typeof hi.server_version === 'string' && hi.server_version.length > 0, `server_version missing: ${JSON.stringify(hi)}`);
      check(hi.protocol_version === 21, `client v30 → CONNECTED.protocol_version ${hi.protocol_version}, expected 21`);
      check(hi.max_message_size === MAX_MESSAGE_SIZE, `max_message_size ${hi.max_message_size}, expected ${MAX_MESSAGE_SIZE}`);
      const lo = await b.handshake(17);
      check(lo.protocol_version === 17, `client v17 → CONNECTED.protocol_version ${lo.protocol_version}, expected 17`);
    } finally { a.close(); b.close(); }
  },

  // ServerCnx handlers checkArgument(state == Connected); the failure reaches exceptionCaught → close (PROTOCOL.md §2.3).
  async 'raw-command-before-connect'() {
    const healthy = await connected();
    const bad = await RawConn.open();
    try {
      bad.send(simpleFrame({ type: Type.LOOKUP, lookupTopic: { topic: topicName('early'), request_id: 1 } }));
      const answer = await bad.next((x) => x.type === Type.LOOKUP_RESPONSE, CLOSE_WAIT_MS);
      check(!answer, `broker answered a LOOKUP sent before CONNECT: ${JSON.stringify(answer)}`);
      check(await bad.closedWithin(), 'connection not closed after a command before CONNECT');
      await healthyStillWorks(healthy);
    } finally { healthy.close(); bad.close(); }
  },

  // Producer.verifyChecksum → SEND_ERROR{ChecksumError(9), "Checksum failed on the broker"}; the producer and the
  // connection stay usable (PROTOCOL.md §1.3, §2.6).
  async 'raw-send-bad-checksum'() {
    const c = await connected();
    try {
      const name = await createProducer(c, topicName('crc'), 1, 10);
      c.send(sendFrame(1, name, 0, 'corrupted', { badChecksum: true }));
      const err = await c.expect(Type.SEND_ERROR);
      check(err.send_error.error === 9, `SEND_ERROR.error ${err.send_error.error}, expected ChecksumError (9)`);
      check(Number(err.send_error.sequence_id) === 0 && Number(err.send_error.producer_id) === 1, `SEND_ERROR ids ${JSON.stringify(err.send_error)}`);
      c.send(sendFrame(1, name, 1, 'good'));
      const receipt = await c.expect(Type.SEND_RECEIPT);
      check(Number(receipt.send_receipt.sequence_id) === 1, `SEND_RECEIPT for sequence ${receipt.send_receipt.sequence_id}, expected 1`);
      check(receipt.send_receipt.message_id, 'SEND_RECEIPT without message_id');
    } finally { c.close(); }
  },

  // FrameDecoderUtil: LengthFieldBasedFrameDecoder(maxMessageSize + 10240) → TooLongFrameException → close
  // (PROTOCOL.md §1.5). We stream the whole declared frame unless the broker closes first.
  async 'raw-oversized-frame'() {
    const healthy = await connected();
    const bad = await connected();
    try {
      const total = MAX_MESSAGE_SIZE + FRAME_PADDING + 1024 * 1024;
      const cmd = Buffer.from(BaseCommand.encode(BaseCommand.fromObject({ type: Type.PING, ping: {} })).finish());
      bad.send(Buffer.concat([u32(total), u32(cmd.length), cmd]));
      const chunk = Buffer.alloc(64 * 1024);
      let left = total - 4 - cmd.length;
      while (left > 0 && !bad.isClosed) {
        const n = Math.min(left, chunk.length);
        if (!bad.s.write(chunk.subarray(0, n))) await Promise.race([new Promise((r) => bad.s.once('drain', r)), bad.closed, new Promise((r) => setTimeout(r, 1000))]);
        left -= n;
      }
      check(await bad.closedWithin(REPLY_WAIT_MS), `connection still open after a ${total}-byte frame (limit ${MAX_MESSAGE_SIZE + FRAME_PADDING})`);
      await healthyStillWorks(healthy);
    } finally { healthy.close(); bad.close(); }
  },

  // A BaseCommand that fails to parse ends in ServerCnx.exceptionCaught → close (PROTOCOL.md §1.8, §7 item 1).
  async 'raw-garbage-frame'() {
    const healthy = await connected();
    const bad = await connected();
    try {
      const junk = Buffer.alloc(24, 0xff);
      bad.send(Buffer.concat([u32(4 + junk.length), u32(junk.length), junk]));
      check(await bad.closedWithin(), 'connection not closed after an unparsable command');
      await healthyStillWorks(healthy);
    } finally { healthy.close(); bad.close(); }
  },

  // An unknown value in the required enum BaseCommand.type leaves the field unset → required-field check fails →
  // exceptionCaught → close (PROTOCOL.md §1.8 'Enums are closed'). An ERROR before the close is tolerated.
  async 'raw-unknown-command-type'() {
    const healthy = await connected();
    const bad = await connected();
    try {
      const body = Buffer.from(protobuf.Writer.create().uint32(8).uint32(99).finish()); // field 1 (type) = 99
      bad.send(Buffer.concat([u32(4 + body.length), u32(body.length), body]));
      const closed = await bad.closedWithin();
      const err = bad.inbox.find((x) => x.type === Type.ERROR);
      check(closed || err, 'unknown command type neither closed the connection nor got an ERROR');
      await healthyStillWorks(healthy);
    } finally { healthy.close(); bad.close(); }
  },

  // ServerCnx.handleSend: no producer with that id (and not recently closed) → "Closing the connection"
  // (PROTOCOL.md §2.6).
  async 'raw-send-unknown-producer'() {
    const healthy = await connected();
    const bad = await connected();
    try {
      bad.send(sendFrame(77, 'nobody', 0, 'orphan'));
      const receipt = await bad.next((x) => x.type === Type.SEND_RECEIPT, 1000);
      check(!receipt, 'SEND for an unknown producer id was receipted');
      check(await bad.closedWithin(), 'connection not closed after SEND for an unknown producer id');
      await healthyStillWorks(healthy);
    } finally { healthy.close(); bad.close(); }
  },

  // ServerCnx.handleProducer → validateTopicName fails → ERROR{InvalidTopicName(17)}; the connection stays open
  // (PROTOCOL.md §2.10).
  async 'raw-invalid-topic-name'() {
    const c = await connected();
    try {
      c.send(simpleFrame({ type: Type.PRODUCER, producer: { topic: 'invalid-domain://public/default/x', producer_id: 1, request_id: 5 } }));
      const e = await c.expect(Type.ERROR).catch((err) => { throw new Error(`${err.message} (expected ERROR InvalidTopicName)`); });
      check(e.error.error === 17, `ERROR.error ${e.error.error} (${e.error.message}), expected InvalidTopicName (17)`);
      check(Number(e.error.request_id) === 5, `ERROR.request_id ${e.error.request_id}, expected 5`);
      await c.ping();
    } finally { c.close(); }
  },
};

// ---------------------------------------------------------------------------------------------

function emit(scenario, status, reason, ms) {
  process.stdout.write(JSON.stringify({ scenario, client: 'raw', status, reason, ms }) + '\n');
}

async function main() {
  const wanted = (process.env.COMPAT_SCENARIOS ?? '').split(',').filter(Boolean);
  const ids = wanted.length ? wanted : Object.keys(SCENARIOS);
  let protoError = null;
  try { loadProto(); } catch (e) { protoError = `cannot load ${PROTO}: ${e.message}`; }
  for (const id of ids) {
    const t0 = Date.now();
    const fn = SCENARIOS[id];
    if (!fn) { emit(id, 'fail', 'not implemented in the raw suite', 0); continue; }
    if (protoError) { emit(id, 'fail', protoError, 0); continue; }
    try {
      await fn();
      emit(id, 'pass', '', Date.now() - t0);
    } catch (e) {
      emit(id, 'fail', String(e.message ?? e).slice(0, 500), Date.now() - t0);
    }
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
