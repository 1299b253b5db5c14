// Conformance scenarios run with pulsar-flex 1.1.1 (pure JS, protocol v17).
// Quirks that shape these tests (read from node_modules/pulsar-flex/src, see also PROTOCOL.md §3 'pulsar-flex'):
//  - it never sends initialPosition, so every new subscription starts at Latest: consumers subscribe first;
//  - it cannot set keys, event time, compression or producer names;
//  - every ack carries request_id and waits up to 10 s for ACK_RESPONSE;
//  - a MESSAGE that arrives while its receive queue is full is dropped (it relies on exact FLOW permits);
//  - its consume loop polls an empty queue once a second, so waits here are in seconds;
//  - it has no consumer close: closing = ending the TCP connection (the broker sees a disconnect);
//  - its Consumer.unsubscribe() sends CLOSE_CONSUMER, not UNSUBSCRIBE: it cannot delete a subscription.
// Prints one JSON line per scenario (see compat-tests/README.md).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Producer, Consumer, logLevel: LEVELS } = require('pulsar-flex');

const SERVICE_URL = process.env.SERVICE_URL ?? 'pulsar://127.0.0.1:6650';
const RUN_ID = process.env.COMPAT_RUN_ID ?? Math.random().toString(36).slice(2, 10);
const SCALE = Number(process.env.COMPAT_TIMEOUT_SCALE ?? '1') || 1;
const { hostname: HOST, port: PORT } = new URL(SERVICE_URL);
const DISCOVERY = [`${HOST}:${PORT || 6650}`];
const WAIT_MS = 15000 * SCALE; // for something that should arrive
const QUIET_MS = 2500; // for something that should not arrive (longer than flex's 1 s poll)

// flex logs through console.* (stdout); keep stdout for result lines only
const logCreator = () => ({ label, log }) => process.stderr.write(`${JSON.stringify({ label, ...log })}\n`);
const COMMON = { discoveryServers: DISCOVERY, logLevel: LEVELS.WARN, logCreator };
const { SUB_TYPES, ACK_TYPES, CONSUMER_STATES } = Consumer;

process.on('unhandledRejection', (e) => process.stderr.write(`unhandled rejection inside pulsar-flex: ${e?.stack ?? e}\n`));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let topicCounter = 0;
const topicName = (name) => `persistent://public/default/compat-${RUN_ID}-flex-${name}-${++topicCounter}`;

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

// Everything a scenario opens, closed at its end whatever happened.
class Ctx {
  constructor() { this.closers = []; }
  async producer(topic) {
    const p = new Producer({ topic, producerAccessMode: Producer.ACCESS_MODES.SHARED, ...COMMON });
    this.closers.push(() => closeProducer(p));
    await p.create();
    return p;
  }
  async consumer(topic, subscription, subType, { name, queue = 100 } = {}) {
    const h = new FlexConsumer(topic, subscription, subType, name ?? `c${Math.random().toString(36).slice(2, 7)}`, queue);
    this.closers.push(() => h.close());
    await h.start();
    return h;
  }
  async closeAll() {
    for (const c of this.closers.splice(0).reverse()) await Promise.resolve().then(c).catch(() => {});
  }
}

async function closeProducer(p) {
  try { if (p._connected) await p.close(); } catch { /* best effort */ }
  try { p._client.getCnx()?.close(); } catch { /* not connected */ }
}

// A consumer whose messages land in an inbox the test can wait on.
class FlexConsumer {
  constructor(topic, subscription, subType, name, queue) {
    this.c = new Consumer({ topic, subscription, subType, consumerName: name, receiveQueueSize: queue, ...COMMON });
    this.inbox = [];
    this.taken = 0;
    this.waiters = [];
    this.closed = false;
  }

  async start() {
    await this.c.subscribe();
    await this.c.run({
      autoAck: false,
      onMessage: async ({ message, properties, redeliveryCount, command, metadata, ack }) => {
        this.inbox.push({ text: message.toString(), properties, redeliveryCount: redeliveryCount ?? 0, id: command.messageId, metadata, ack });
        for (const w of this.waiters.splice(0)) w();
      },
    });
  }

  // next n messages (fewer if none arrives for `ms`)
  async take(n, ms = WAIT_MS) {
    const out = [];
    while (out.length < n) {
      if (this.taken < this.inbox.length) { out.push(this.inbox[this.taken++]); continue; }
      const got = await new Promise((resolve) => {
        const t = setTimeout(() => resolve(false), ms);
        this.waiters.push(() => { clearTimeout(t); resolve(true); });
      });
      if (!got) break;
    }
    return out;
  }

  // true if nothing new arrives within `ms`
  async quiet(ms = QUIET_MS) {
    const before = this.inbox.length;
    await sleep(ms);
    return this.inbox.length === before;
  }

  // pulsar-flex has no close(): stop its reconnect logic, then end the TCP connection.
  async close() {
    if (this.closed) return;
    this.closed = true;
    this.c._setState(CONSUMER_STATES.UNSUBSCRIBED);
    this.c._cleanState();
    try { this.c._client.getCnx()?.close(); } catch { /* not connected */ }
  }
}

const texts = (msgs) => msgs.map((m) => m.text);
const entry = (m) => `${m.id.ledgerid}:${m.id.entryid}`;
const cmpId = (a, b) => (a.id.ledgerid - b.id.ledgerid) || (a.id.entryid - b.id.entryid);

async function sendAll(p, payloads) {
  for (const payload of payloads) await p.sendMessage({ payload });
}

// ---------------------------------------------------------------------------------------------
// scenarios (ids and sources in compat-tests/scenarios.json)

const SCENARIOS = {
  // PROTOCOL.md §2.3/§2.5: LOOKUP on a discovery connection, then CONNECT to brokerServiceUrl.
  async 'connect-binary-url'(cx) {
    const t = topicName('conn');
    const c = await cx.consumer(t, 'sub', SUB_TYPES.EXCLUSIVE);
    const p = await cx.producer(t);
    await p.sendMessage({ payload: 'hello-flex' });
    const [m] = await c.take(1);
    check(m && m.text === 'hello-flex', `got ${m?.text}`);
    await m.ack();
  },

  // Ordering per topic, Exclusive (SITE concepts-messaging; PULSAR-REFERENCE.md §5.3). A receive queue of 10 for
  // 50 messages also checks that the broker sends no more than the FLOW permits (PROTOCOL.md §2.7): pulsar-flex
  // drops what overflows its queue, which would show up here as missing messages.
  async 'produce-consume-order'(cx) {
    const t = topicName('order');
    const c = await cx.consumer(t, 'sub', SUB_TYPES.EXCLUSIVE, { queue: 10 });
    const p = await cx.producer(t);
    const want = Array.from({ length: 50 }, (_, i) => `m-${i}`);
    await sendAll(p, want);
    const got = await c.take(want.length);
    check(texts(got).join() === want.join(), `received ${got.length} of ${want.length} or out of order`);
    await Promise.all(got.map((m) => m.ack()));
  },

  // PROTOCOL.md §2.6: unnamed producers get unique broker-generated names, carried in message metadata.
  async 'producer-name-generated-unique'(cx) {
    const t = topicName('pname');
    const c = await cx.consumer(t, 'sub', SUB_TYPES.EXCLUSIVE);
    const p1 = await cx.producer(t);
    const p2 = await cx.producer(t);
    const names = [p1._producerName, p2._producerName];
    check(names.every((n) => typeof n === 'string' && n.length > 0), `empty producer name: ${names}`);
    check(names[0] !== names[1], `generated names not unique: ${names}`);
    await p1.sendMessage({ payload: 'x' });
    const [m] = await c.take(1);
    check(m, 'no message');
    check(m.metadata.producerName === names[0], `message producer_name ${m.metadata.producerName} != ${names[0]}`);
  },

  // PROTOCOL.md §1.2/§1.6: metadata forwarded verbatim.
  async 'message-properties'(cx) {
    const t = topicName('props');
    const c = await cx.consumer(t, 'sub', SUB_TYPES.EXCLUSIVE);
    const p = await cx.producer(t);
    const props = { a: '1', 'ключ': 'значение ✓', json: '{"x":[1,2]}' };
    await p.sendMessage({ payload: 'with-props', properties: props });
    const [m] = await c.take(1);
    check(m, 'no message');
    check(JSON.stringify(m.properties) === JSON.stringify(props), `properties ${JSON.stringify(m.properties)}`);
  },

  // PROTOCOL.md §1.6: a batch is one entry with N single messages, each with its own SingleMessageMetadata.
  async 'batch-uncompressed'(cx) {
    const t = topicName('batch');
    const c = await cx.consumer(t, 'sub', SUB_TYPES.EXCLUSIVE);
    const p = await cx.producer(t);
    const messages = Array.from({ length: 10 }, (_, i) => ({ payload: `b-${i}`, properties: { i: String(i) } }));
    await p.sendBatch({ messages });
    const got = await c.take(10);
    check(texts(got).join() === messages.map((m) => m.payload).join(), `received ${texts(got)}`);
    check(got.every((m, i) => m.properties.i === String(i)), 'per-message properties lost in the batch');
    check(new Set(got.map(entry)).size === 1, `batch spread over entries ${[...new Set(got.map(entry))]}`);
    await got[0].ack();
  },

  // PROTOCOL.md §1.6/§3: one message per entry, ids increasing.
  async 'batching-off'(cx) {
    const t = topicName('nobatch');
    const c = await cx.consumer(t, 'sub', SUB_TYPES.EXCLUSIVE);
    const p = await cx.producer(t);
    const want = Array.from({ length: 10 }, (_, i) => `nb-${i}`);
    await sendAll(p, want);
    const got = await c.take(10);
    check(texts(got).join() === want.join(), `received ${texts(got)}`);
    check(new Set(got.map(entry)).size === 10, 'two messages share an entry');
    for (let i = 1; i < got.length; i++) check(cmpId(got[i - 1], got[i]) < 0, `ids not increasing at ${i}`);
    await Promise.all(got.map((m) => m.ack()));
  },

  // PROTOCOL.md §5.1: second Exclusive consumer → ConsumerBusy; accepted once the first is gone.
  async 'exclusive-second-consumer-refused'(cx) {
    const t = topicName('excl');
    const c1 = await cx.consumer(t, 'sub', SUB_TYPES.EXCLUSIVE);
    let refused = false;
    try {
      await cx.consumer(t, 'sub', SUB_TYPES.EXCLUSIVE);
    } catch (e) {
      refused = true;
      check(/busy|exclusive/i.test(`${e.message} ${e.name}`), `refused with an unexpected error: ${e.name}: ${e.message}`);
    }
    check(refused, 'second Exclusive consumer was accepted');
    const p = await cx.producer(t);
    await p.sendMessage({ payload: 'to-first' });
    const [m] = await c1.take(1);
    check(m?.text === 'to-first', 'first consumer stopped receiving');
    await m.ack();
    await c1.close();
    let c3;
    const deadline = Date.now() + WAIT_MS;
    while (!c3 && Date.now() < deadline) {
      try { c3 = await cx.consumer(t, 'sub', SUB_TYPES.EXCLUSIVE); } catch { await sleep(500); }
    }
    check(c3, 'no consumer accepted after the first disconnected');
    await p.sendMessage({ payload: 'to-new' });
    const [m2] = await c3.take(1);
    check(m2?.text === 'to-new', 'new consumer receives nothing');
  },

  // PROTOCOL.md §5.1 'Shared': round-robin, each message to one consumer. Small queues also test exact permits
  // (flex drops anything beyond its queue).
  async 'shared-spread'(cx) {
    const t = topicName('shared');
    const c1 = await cx.consumer(t, 'sub', SUB_TYPES.SHARED, { name: 'c1', queue: 10 });
    const c2 = await cx.consumer(t, 'sub', SUB_TYPES.SHARED, { name: 'c2', queue: 10 });
    const p = await cx.producer(t);
    const want = Array.from({ length: 60 }, (_, i) => `s-${i}`);
    await sendAll(p, want);
    const acks = [];
    const seen = { c1: [], c2: [] };
    const deadline = Date.now() + WAIT_MS * 2;
    while (seen.c1.length + seen.c2.length < want.length && Date.now() < deadline) {
      for (const [name, c] of [['c1', c1], ['c2', c2]]) {
        for (const m of await c.take(100, 200)) { seen[name].push(m.text); acks.push(m.ack()); }
      }
    }
    await Promise.all(acks);
    const all = [...seen.c1, ...seen.c2];
    check(seen.c1.length > 0 && seen.c2.length > 0, `not spread: c1=${seen.c1.length} c2=${seen.c2.length}`);
    check(all.length === new Set(all).size, `${all.length - new Set(all).size} messages delivered twice`);
    check(new Set(all).size === want.length, `received ${new Set(all).size} of ${want.length}`);
  },

  // PROTOCOL.md §2.7/§5.1: a departing Shared consumer's unacked messages go to the others.
  async 'shared-close-redelivers-unacked'(cx) {
    const t = topicName('shared-close');
    const c1 = await cx.consumer(t, 'sub', SUB_TYPES.SHARED, { name: 'c1' });
    const p = await cx.producer(t);
    const want = Array.from({ length: 20 }, (_, i) => `u-${i}`);
    await sendAll(p, want);
    const held = await c1.take(20);
    check(held.length === 20, `first consumer got ${held.length} of 20`);
    const c2 = await cx.consumer(t, 'sub', SUB_TYPES.SHARED, { name: 'c2' });
    check(await c2.quiet(1500), 'second consumer got messages pending on the first');
    await c1.close();
    const got = await c2.take(20);
    check(texts(got).sort().join() === [...want].sort().join(), `second consumer got ${got.length} of the 20 unacked`);
    await Promise.all(got.map((m) => m.ack()));
  },

  // PROTOCOL.md §5.1 'Failover': one active consumer; takeover rewinds to mark-delete+1.
  async 'failover-takeover'(cx) {
    const t = topicName('failover');
    const ca = await cx.consumer(t, 'sub', SUB_TYPES.FAILOVER, { name: 'fa' });
    const cb = await cx.consumer(t, 'sub', SUB_TYPES.FAILOVER, { name: 'fb' });
    await sleep(2000); // activeConsumerFailoverDelayTimeMillis = 1000
    const p = await cx.producer(t);
    const want = Array.from({ length: 40 }, (_, i) => `f-${i}`);
    await sendAll(p, want);
    const deadline = Date.now() + WAIT_MS;
    while (ca.inbox.length + cb.inbox.length < 10 && Date.now() < deadline) await sleep(200);
    check(ca.inbox.length + cb.inbox.length > 0, 'no consumer received anything');
    check(ca.inbox.length === 0 || cb.inbox.length === 0, `both received: fa=${ca.inbox.length} fb=${cb.inbox.length}`);
    const [active, other] = ca.inbox.length ? [ca, cb] : [cb, ca];
    const first = await active.take(10);
    check(texts(first).join() === want.slice(0, 10).join(), `active consumer got ${texts(first)}`);
    await first[9].ack({ type: ACK_TYPES.CUMULATIVE });
    check(other.inbox.length === 0, 'inactive consumer received messages');
    await active.close();
    const rest = [];
    const end = Date.now() + WAIT_MS * 2;
    while (Date.now() < end && rest[rest.length - 1]?.text !== 'f-39') {
      const got = await other.take(1, 1000);
      rest.push(...got);
    }
    check(rest.length > 0, 'no takeover: the other consumer received nothing');
    const idx = rest.map((m) => Number(m.text.split('-')[1]));
    check(idx[0] === 10, `takeover started at f-${idx[0]}, expected f-10`);
    check(idx.join() === Array.from({ length: 30 }, (_, i) => i + 10).join(), `takeover sequence ${idx.slice(0, 5)}…${idx.slice(-5)}`);
    await Promise.all(rest.map((m) => m.ack()));
  },

  // PROTOCOL.md §2.7/§5.1: after individual acks and a reconnect only the unacked come back.
  async 'individual-ack-reconnect'(cx) {
    const t = topicName('iack');
    const c = await cx.consumer(t, 'sub', SUB_TYPES.EXCLUSIVE);
    const p = await cx.producer(t);
    await sendAll(p, Array.from({ length: 10 }, (_, i) => `m${i}`));
    const got = await c.take(10);
    check(got.length === 10, `received ${got.length} of 10`);
    await Promise.all(got.filter((_, i) => i % 2 === 0).map((m) => m.ack())); // each waits for ACK_RESPONSE
    await c.close();
    const c2 = await cx.consumer(t, 'sub', SUB_TYPES.EXCLUSIVE);
    const again = await c2.take(10, 4000);
    check(texts(again).join() === 'm1,m3,m5,m7,m9', `after reconnect got ${texts(again)}`);
  },

  // PROTOCOL.md §2.7 ACK Cumulative.
  async 'cumulative-ack-reconnect'(cx) {
    const t = topicName('cack');
    const c = await cx.consumer(t, 'sub', SUB_TYPES.EXCLUSIVE);
    const p = await cx.producer(t);
    await sendAll(p, Array.from({ length: 10 }, (_, i) => `m${i}`));
    const got = await c.take(10);
    check(got.length === 10, `received ${got.length} of 10`);
    await got[5].ack({ type: ACK_TYPES.CUMULATIVE });
    await c.close();
    const c2 = await cx.consumer(t, 'sub', SUB_TYPES.EXCLUSIVE);
    const again = await c2.take(10, 4000);
    check(texts(again).join() === 'm6,m7,m8,m9', `after reconnect got ${texts(again)}`);
  },

  // PROTOCOL.md §2.7/§5.2: REDELIVER_UNACKNOWLEDGED_MESSAGES on Shared → redelivered with redelivery_count 1.
  // (pulsar-flex sends the redeliver at once for a negative ack; no client-side delay.)
  async 'negative-ack-redelivery'(cx) {
    const t = topicName('nack');
    const c = await cx.consumer(t, 'sub', SUB_TYPES.SHARED);
    const p = await cx.producer(t);
    await sendAll(p, ['m0', 'm1', 'm2']);
    const got = await c.take(3);
    check(texts(got).join() === 'm0,m1,m2', `received ${texts(got)}`);
    check(got[0].redeliveryCount === 0, `fresh message has redelivery count ${got[0].redeliveryCount}`);
    await got[0].ack({ type: ACK_TYPES.NEGATIVE });
    await Promise.all([got[1].ack(), got[2].ack()]);
    const [again] = await c.take(1);
    check(again, 'negatively acked message not redelivered');
    check(again.text === 'm0', `redelivered ${again.text}, expected m0`);
    check(again.redeliveryCount === 1, `redelivery count ${again.redeliveryCount}, expected 1`);
    await again.ack();
  },

  // PROTOCOL.md §2.6/§2.7 + PULSAR-REFERENCE.md §5.1: pulsar-flex reconnects its producer (resending what is
  // pending) and its consumer (every 5 s) after a broker restart; acked messages stay acked.
  async 'consumer-across-restart'(cx) {
    const control = process.env.COMPAT_CONTROL_URL;
    if (!control) return 'skip: no control endpoint (external broker): cannot restart it';
    const t = topicName('open-restart');
    const c = await cx.consumer(t, 'sub', SUB_TYPES.EXCLUSIVE);
    const p = await cx.producer(t);
    await sendAll(p, ['m0', 'm1', 'm2']);
    const first = await c.take(3);
    check(texts(first).join() === 'm0,m1,m2', `before the restart got ${texts(first)}`);
    await Promise.all(first.map((m) => m.ack()));
    const res = await fetch(`${control}/restart?mode=term`, { method: 'POST', signal: AbortSignal.timeout(600_000 * SCALE) });
    const body = await res.json();
    check(res.ok && body.ok, `control restart failed: ${JSON.stringify(body)}`);
    check(!body.note, `unclean shutdown on SIGTERM: ${body.note}`);
    await sendAll(p, ['m3', 'm4', 'm5']); // queued until the producer has reconnected
    const after = await c.take(3, WAIT_MS * 4);
    const extra = await c.take(1, QUIET_MS);
    check(texts([...after, ...extra]).join() === 'm3,m4,m5', `after the restart got ${texts([...after, ...extra])}`);
    await Promise.all(after.map((m) => m.ack()));
  },
};

// ---------------------------------------------------------------------------------------------

function emit(scenario, status, reason, ms) {
  process.stdout.write(JSON.stringify({ scenario, client: 'flex', status, reason, ms }) + '\n');
}

async function main() {
  const wanted = (process.env.COMPAT_SCENARIOS ?? '').split(',').filter(Boolean);
  for (const id of wanted.length ? wanted : Object.keys(SCENARIOS)) {
    const t0 = Date.now();
    const fn = SCENARIOS[id];
    if (!fn) { emit(id, 'fail', 'not implemented in the flex suite', 0); continue; }
    const cx = new Ctx();
    try {
      const r = await fn(cx);
      if (typeof r === 'string' && r.startsWith('skip: ')) emit(id, 'skip', r.slice(6), Date.now() - t0);
      else emit(id, 'pass', '', Date.now() - t0);
    } catch (e) {
      emit(id, 'fail', `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message ?? e}`.slice(0, 500), Date.now() - t0);
    } finally {
      await cx.closeAll();
    }
  }
}

// pulsar-flex leaves timers (pings, 10 s response timeouts) running: exit explicitly.
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
