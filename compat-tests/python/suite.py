"""Conformance scenarios run with the official Python client (pulsar-client, which wraps the C++ client).

Black box: talks to the broker only through SERVICE_URL (binary), ADMIN_URL (HTTP) and the runner's
COMPAT_CONTROL_URL (restart the broker). Prints one JSON line per scenario on stdout:
  {"scenario": id, "client": "python", "status": "pass|fail|skip", "reason": "...", "ms": 123}
Scenarios to run come from COMPAT_SCENARIOS (comma-separated, run in that order).
Each scenario asserts what Apache Pulsar does; the docstring names the source (see compat-tests/scenarios.json).
"""
import json
import os
import random
import string
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from datetime import timedelta

import pulsar
from pulsar import CompressionType, ConsumerType, InitialPosition, MessageId

SERVICE_URL = os.environ.get("SERVICE_URL", "pulsar://127.0.0.1:6650")
ADMIN_URL = os.environ.get("ADMIN_URL", "http://127.0.0.1:8080").rstrip("/")
CONTROL_URL = os.environ.get("COMPAT_CONTROL_URL", "").rstrip("/")
RUN_ID = os.environ.get("COMPAT_RUN_ID") or "".join(random.choices(string.ascii_lowercase + string.digits, k=8))
SCALE = float(os.environ.get("COMPAT_TIMEOUT_SCALE", "1"))
LOG_DIR = os.environ.get("COMPAT_LOG_DIR") or "."

# The C++ client logs to stdout by default; keep stdout for result lines only.
CLIENT_LOGGER = pulsar.FileLogger(pulsar.LoggerLevel.Info, os.path.join(LOG_DIR, "python-client.log"))

SCENARIOS = {}
_topic_counter = [0]


class Skip(Exception):
    pass


def scenario(sid):
    def register(fn):
        SCENARIOS[sid] = fn
        return fn
    return register


def topic(name):
    _topic_counter[0] += 1
    return f"persistent://public/default/compat-{RUN_ID}-py-{name}-{_topic_counter[0]}"


def wait_s(seconds):
    """A wait for something that should happen: generous, scaled for slow brokers."""
    return seconds * SCALE


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


class Ctx:
    """Owns the clients a scenario opens and closes them all at the end, whatever happened."""

    def __init__(self):
        self.clients = []

    def client(self, url=None):
        c = pulsar.Client(url or SERVICE_URL, operation_timeout_seconds=int(30 * SCALE),
                          connection_timeout_ms=10000, logger=CLIENT_LOGGER)
        self.clients.append(c)
        return c

    def close_all(self):
        for c in self.clients:
            try:
                c.close()
            except Exception:
                pass
        self.clients = []


def recv(consumer, seconds):
    """Receive one message or None after `seconds`."""
    try:
        return consumer.receive(timeout_millis=max(1, int(seconds * 1000)))
    except pulsar.Timeout:
        return None


def read(reader, seconds):
    try:
        return reader.read_next(timeout_millis=max(1, int(seconds * 1000)))
    except pulsar.Timeout:
        return None


def drain(consumer, n, seconds=10, ack=False):
    """Receive up to n messages; stop early if none arrives for `seconds` (scaled)."""
    out = []
    while len(out) < n:
        m = recv(consumer, wait_s(seconds))
        if m is None:
            break
        out.append(m)
        if ack:
            consumer.acknowledge(m)
    return out


def receive_from_all(consumers, n, on_message, seconds=30, idle_s=4.0):
    """Poll several consumers until n messages arrived in total, nothing arrived for idle_s, or `seconds`
    (scaled) passed. on_message(name, consumer, msg) is called for each message."""
    total = 0
    deadline = time.time() + wait_s(seconds)
    last = time.time()
    while total < n and time.time() < deadline and time.time() - last < idle_s:
        for name, c in consumers.items():
            while total < n:
                m = recv(c, 0.05)
                if m is None:
                    break
                total += 1
                last = time.time()
                on_message(name, c, m)
    return total


def texts(msgs):
    return [m.data().decode() for m in msgs]


def mid(m):
    """(ledger, entry, batch) of a MessageId, for ordering and equality."""
    return (m.ledger_id(), m.entry_id(), m.batch_index())


def send_all(producer, payloads, **kw):
    """send_async every payload, wait for every receipt; return the message ids in send order."""
    ids = [None] * len(payloads)
    errors = []
    done = threading.Event()
    left = [len(payloads)]
    lock = threading.Lock()

    def cb(i):
        def f(res, msg_id):
            with lock:
                if res == pulsar.Result.Ok:
                    ids[i] = msg_id
                else:
                    errors.append((i, str(res)))
                left[0] -= 1
                if left[0] == 0:
                    done.set()
        return f

    for i, p in enumerate(payloads):
        producer.send_async(p if isinstance(p, bytes) else p.encode(), cb(i), **kw)
    producer.flush()
    check(done.wait(wait_s(30)), f"only {len(payloads) - left[0]} of {len(payloads)} sends completed")
    check(not errors, f"send errors: {errors[:3]}")
    return ids


def anchor(cl, t):
    """Create a durable subscription that never acks, so the topic's messages are retained.
    (Pulsar: with no durable subscription nothing is retained by default — SITE concepts-messaging.)"""
    cl.subscribe(t, "anchor", initial_position=InitialPosition.Earliest).close()


def control_restart(mode):
    if not CONTROL_URL:
        raise Skip("no control endpoint (external broker): cannot restart it")
    req = urllib.request.Request(f"{CONTROL_URL}/restart?mode={mode}", method="POST", data=b"")
    try:
        with urllib.request.urlopen(req, timeout=600 * SCALE) as r:
            body = json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        raise AssertionError(f"control restart failed: HTTP {e.code} {e.read()[:300]!r}")
    check(body.get("ok"), f"control restart failed: {body}")
    # SIGTERM must be a clean shutdown: the runner notes a broker that hung or exited with an error code
    check(mode != "term" or not body.get("note"), f"unclean shutdown on SIGTERM: {body.get('note')}")
    return body


# ------------------------------------------------------------------------------------------------
# connecting


@scenario("connect-binary-url")
def connect_binary_url(cx):
    """PROTOCOL.md §2.3 CONNECT→CONNECTED, §2.5 PARTITIONED_METADATA + LOOKUP on the binary service URL."""
    cl = cx.client(SERVICE_URL)
    t = topic("conn-bin")
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t)
    p.send(b"hello-binary")
    m = recv(c, wait_s(10))
    check(m is not None, "no message received")
    check(m.data() == b"hello-binary", f"got {m.data()!r}")
    c.acknowledge(m)


@scenario("connect-http-url")
def connect_http_url(cx):
    """PROTOCOL.md §6.1: with an http:// service URL the C++ client calls GET /lookup/v2/topic/... and
    /admin/v2/.../partitions, then connects to the returned brokerUrl (HTTPLookupService.cc)."""
    cl = cx.client(ADMIN_URL)
    t = topic("conn-http")
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t)
    p.send(b"hello-http")
    m = recv(c, wait_s(10))
    check(m is not None, "no message received")
    check(m.data() == b"hello-http", f"got {m.data()!r}")
    c.acknowledge(m)


# ------------------------------------------------------------------------------------------------
# producing


@scenario("produce-consume-order")
def produce_consume_order(cx):
    """Ordering per topic for one producer and an Exclusive consumer (SITE concepts-messaging;
    PULSAR-REFERENCE.md §5.3)."""
    cl = cx.client()
    t = topic("order")
    c = cl.subscribe(t, "sub", consumer_type=ConsumerType.Exclusive, initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t)
    want = [f"m-{i}" for i in range(200)]
    send_all(p, want)
    got = texts(drain(c, len(want), ack=True))
    check(got == want, f"received {len(got)} messages; first difference at "
          f"{next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), len(got))}")


@scenario("send-receipts-ids-increasing")
def send_receipts_ids_increasing(cx):
    """PROTOCOL.md §2.6: SEND_RECEIPT carries the message id, receipts in send order; §3 'Message ids':
    ids strictly increase by (ledgerId, entryId, batch_index); the consumer sees the same ids."""
    cl = cx.client()
    t = topic("ids")
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    p1 = cl.create_producer(t, batching_enabled=False)
    ids = [mid(p1.send(f"a-{i}".encode())) for i in range(20)]
    check(all(b == -1 for (_, _, b) in ids), f"non-batched ids carry a batch index: {ids[:3]}")
    p2 = cl.create_producer(t, batching_enabled=True, batching_max_publish_delay_ms=50)
    ids += [mid(x) for x in send_all(p2, [f"b-{i}" for i in range(20)])]
    for a, b in zip(ids, ids[1:]):
        check(b > a, f"message ids not strictly increasing: {a} then {b}")
    got = drain(c, 40, ack=True)
    check(len(got) == 40, f"received {len(got)} of 40")
    seen = [mid(m.message_id()) for m in got]
    check(seen == ids, f"consumer ids differ from receipts, e.g. {next(((s, r) for s, r in zip(seen, ids) if s != r), None)}")


@scenario("producer-name-generated-unique")
def producer_name_generated_unique(cx):
    """PROTOCOL.md §2.6: a producer without a name gets a broker-generated unique one
    (BrokerService.generateUniqueProducerName); the name is in each message's metadata."""
    cl = cx.client()
    t1, t2 = topic("pname-a"), topic("pname-b")
    c = cl.subscribe(t1, "sub", initial_position=InitialPosition.Earliest)
    p1 = cl.create_producer(t1)
    p2 = cl.create_producer(t1)
    p3 = cl.create_producer(t2)
    names = [p1.producer_name(), p2.producer_name(), p3.producer_name()]
    check(all(names), f"empty producer name: {names}")
    check(len(set(names)) == 3, f"generated names not unique: {names}")
    p1.send(b"x")
    m = recv(c, wait_s(10))
    check(m is not None, "no message received")
    check(m.producer_name() == names[0], f"message producer_name {m.producer_name()!r} != {names[0]!r}")


@scenario("producer-name-collision")
def producer_name_collision(cx):
    """PROTOCOL.md §2.6 'Uniqueness': a second producer with a connected name → ERROR ProducerBusy(16)
    'Producer with name ... is already connected to topic' (non-retriable: the create fails)."""
    cl = cx.client()
    t = topic("pbusy")
    name = f"compat-{RUN_ID}-fixed-name"
    p1 = cl.create_producer(t, producer_name=name)
    check(p1.producer_name() == name, f"producer name {p1.producer_name()!r} != requested {name!r}")
    cl2 = cx.client()
    try:
        cl2.create_producer(t, producer_name=name)
    except pulsar.ProducerBusy:
        pass
    except Exception as e:  # noqa: BLE001 - report what it was
        raise AssertionError(f"expected ProducerBusy, got {type(e).__name__}: {e}")
    else:
        raise AssertionError("second producer with the same name was accepted")
    p1.send(b"still-works")


@scenario("message-properties")
def message_properties(cx):
    """PROTOCOL.md §1.2/§1.6: the broker stores and forwards MessageMetadata bytes verbatim."""
    cl = cx.client()
    t = topic("props")
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t)
    props = {"a": "1", "ключ": "значение ✓", "empty": "", "json": '{"x": [1, 2]}'}
    p.send(b"with-props", properties=props)
    m = recv(c, wait_s(10))
    check(m is not None, "no message received")
    check(m.properties() == props, f"properties {m.properties()!r} != {props!r}")


@scenario("message-key-eventtime")
def message_key_eventtime(cx):
    """PROTOCOL.md §1.6: partition_key, ordering_key, event_time live in MessageMetadata (non-batched)
    and SingleMessageMetadata (batched); both forwarded unchanged. publish_time is stamped by the client."""
    cl = cx.client()
    t = topic("keys")
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    plain = cl.create_producer(t, batching_enabled=False)
    batched = cl.create_producer(t, batching_enabled=True, batching_max_publish_delay_ms=50)
    plain.send(b"plain", partition_key="pk-plain", ordering_key="ok-plain", event_timestamp=1700000000123)
    # a batch whose messages carry different keys: each key is in that message's SingleMessageMetadata
    done = threading.Event()
    n = [0]

    def cb(res, _mid):
        n[0] += 1
        if n[0] == 3:
            done.set()
    for i in range(3):
        batched.send_async(f"k{i}".encode(), cb, partition_key=f"pk-{i}", ordering_key=f"ok-{i}",
                           event_timestamp=1700000000000 + i)
    batched.flush()
    check(done.wait(wait_s(10)), "batched sends not receipted")
    got = drain(c, 4, ack=True)
    check(len(got) == 4, f"received {len(got)} of 4")
    m = got[0]
    now_ms = time.time() * 1000
    check(m.partition_key() == "pk-plain", f"partition_key {m.partition_key()!r}")
    check(m.ordering_key() == b"ok-plain" or m.ordering_key() == "ok-plain", f"ordering_key {m.ordering_key()!r}")
    check(m.event_timestamp() == 1700000000123, f"event_timestamp {m.event_timestamp()}")
    check(abs(m.publish_timestamp() - now_ms) < 600_000, f"publish_timestamp {m.publish_timestamp()} far from now")
    for i, k in enumerate(got[1:]):
        check(k.data() == f"k{i}".encode(), f"batched message {i} payload {k.data()!r}")
        check(k.partition_key() == f"pk-{i}", f"batched message {i} partition_key {k.partition_key()!r}")
        check(k.ordering_key() in (f"ok-{i}", f"ok-{i}".encode()), f"batched message {i} ordering_key {k.ordering_key()!r}")
        check(k.event_timestamp() == 1700000000000 + i, f"batched message {i} event_timestamp {k.event_timestamp()}")


def batch_roundtrip(cx, name, compression):
    """PROTOCOL.md §1.6: one entry holds N messages ([size][SingleMessageMetadata][payload] × N, optionally
    compressed as a whole); the broker never decompresses; the consumer splits it with batch indexes 0..N-1."""
    cl = cx.client()
    t = topic(name)
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, batching_enabled=True, batching_max_messages=50, batching_max_publish_delay_ms=100,
                           compression_type=compression)
    want = [f"{name}-{i}-" + "abcdefgh" * 40 for i in range(200)]
    receipts = send_all(p, want)
    got = drain(c, len(want), ack=True)
    check(texts(got) == want, f"received {len(got)} of {len(want)} or out of order")
    batch_idx = [m.message_id().batch_index() for m in got]
    check(max(batch_idx) > 0, "no message was delivered as part of a batch")
    entries = {(m.message_id().ledger_id(), m.message_id().entry_id()) for m in got}
    check(len(entries) < len(want), f"{len(entries)} entries for {len(want)} messages: nothing was batched")
    check([mid(x) for x in receipts] == [mid(m.message_id()) for m in got], "receipt ids differ from delivered ids")


@scenario("batch-uncompressed")
def batch_uncompressed(cx):
    batch_roundtrip(cx, "batch-none", CompressionType.NONE)


@scenario("batch-compression-lz4")
def batch_lz4(cx):
    batch_roundtrip(cx, "batch-lz4", CompressionType.LZ4)


@scenario("batch-compression-zlib")
def batch_zlib(cx):
    batch_roundtrip(cx, "batch-zlib", CompressionType.ZLib)


@scenario("batch-compression-zstd")
def batch_zstd(cx):
    batch_roundtrip(cx, "batch-zstd", CompressionType.ZSTD)


@scenario("batch-compression-snappy")
def batch_snappy(cx):
    batch_roundtrip(cx, "batch-snappy", CompressionType.SNAPPY)


@scenario("batching-off")
def batching_off(cx):
    """PROTOCOL.md §1.6/§3: without batching each message is one entry, batch_index -1.
    (Quirk: the Python wrapper's batching_enabled defaults to False, unlike Java/Go.)"""
    cl = cx.client()
    t = topic("nobatch")
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, batching_enabled=False)
    want = [f"nb-{i}" for i in range(30)]
    send_all(p, want)
    got = drain(c, len(want), ack=True)
    check(texts(got) == want, f"received {len(got)} of {len(want)} or out of order")
    ids = [mid(m.message_id()) for m in got]
    check(all(b == -1 for (_, _, b) in ids), f"batch index set on non-batched messages: {ids[:3]}")
    check(len({(l, e) for (l, e, _) in ids}) == len(want), "two messages share an entry")


@scenario("chunking-large-message")
def chunking_large_message(cx):
    """PROTOCOL.md §1.7: messages above max_message_size (5 MiB, §1.5) are sent as chunks
    (uuid, num_chunks_from_msg, total_chunk_msg_size, chunk_id; CommandSend.is_chunk) and reassembled."""
    cl = cx.client()
    t = topic("chunk")
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, chunking_enabled=True, batching_enabled=False, send_timeout_millis=int(60000 * SCALE))
    big = os.urandom(6 * 1024 * 1024)
    p.send(big)
    p.send(b"after-the-big-one")
    m = recv(c, wait_s(30))
    check(m is not None, "chunked message not received")
    data = m.data()
    check(len(data) == len(big), f"reassembled size {len(data)} != {len(big)}")
    check(data == big, "reassembled bytes differ")
    c.acknowledge(m)
    m2 = recv(c, wait_s(10))
    check(m2 is not None and m2.data() == b"after-the-big-one", "message after the chunked one missing")
    c.acknowledge(m2)


# ------------------------------------------------------------------------------------------------
# subscription types


@scenario("exclusive-second-consumer-refused")
def exclusive_second_consumer_refused(cx):
    """PROTOCOL.md §5.1: second Exclusive consumer → ConsumerBusy 'Exclusive consumer is already connected'
    (AbstractDispatcherSingleActiveConsumer.internalAddConsumer); non-retriable for clients (§2.10)."""
    cl = cx.client()
    t = topic("excl")
    c1 = cl.subscribe(t, "sub", consumer_type=ConsumerType.Exclusive)
    cl2 = cx.client()
    try:
        cl2.subscribe(t, "sub", consumer_type=ConsumerType.Exclusive)
    except pulsar.ConsumerBusy:
        pass
    except Exception as e:  # noqa: BLE001
        raise AssertionError(f"expected ConsumerBusy, got {type(e).__name__}: {e}")
    else:
        raise AssertionError("second Exclusive consumer was accepted")
    p = cl.create_producer(t)
    p.send(b"to-first")
    m = recv(c1, wait_s(10))
    check(m is not None and m.data() == b"to-first", "first consumer stopped receiving")
    c1.acknowledge(m)
    c1.close()
    c3 = cl2.subscribe(t, "sub", consumer_type=ConsumerType.Exclusive)
    p.send(b"to-new")
    m = recv(c3, wait_s(10))
    check(m is not None and m.data() == b"to-new", "consumer accepted after the first left receives nothing")


@scenario("shared-spread")
def shared_spread(cx):
    """PROTOCOL.md §5.1 'Shared': entries round-robin across consumers with permits; each message goes to one
    consumer (AbstractDispatcherMultipleConsumers.getNextConsumer)."""
    cl = cx.client()
    t = topic("shared")
    c1 = cl.subscribe(t, "sub", consumer_type=ConsumerType.Shared, receiver_queue_size=10, consumer_name="c1")
    c2 = cl.subscribe(t, "sub", consumer_type=ConsumerType.Shared, receiver_queue_size=10, consumer_name="c2")
    p = cl.create_producer(t, batching_enabled=False)
    want = [f"s-{i}" for i in range(200)]
    send_all(p, want)
    got = {"c1": [], "c2": []}

    def on_message(name, c, m):
        got[name].append(m.data().decode())
        c.acknowledge(m)
    receive_from_all({"c1": c1, "c2": c2}, len(want), on_message)
    total = got["c1"] + got["c2"]
    check(len(got["c1"]) > 0 and len(got["c2"]) > 0, f"not spread: c1={len(got['c1'])} c2={len(got['c2'])}")
    check(len(total) == len(set(total)), f"{len(total) - len(set(total))} messages delivered twice")
    check(set(total) == set(want), f"missing {len(set(want) - set(total))} messages")


@scenario("shared-close-redelivers-unacked")
def shared_close_redelivers_unacked(cx):
    """PROTOCOL.md §2.7 CLOSE_CONSUMER: a closing Shared consumer's unacked messages go back to the replay set
    and are dispatched to the others (PersistentDispatcherMultipleConsumers.removeConsumer)."""
    cl = cx.client()
    t = topic("shared-close")
    c1 = cl.subscribe(t, "sub", consumer_type=ConsumerType.Shared, consumer_name="c1")
    p = cl.create_producer(t, batching_enabled=False)
    want = [f"u-{i}" for i in range(20)]
    send_all(p, want)
    held = texts(drain(c1, len(want)))  # received, never acked
    check(held == want, f"first consumer received {len(held)} of {len(want)}")
    cl2 = cx.client()
    c2 = cl2.subscribe(t, "sub", consumer_type=ConsumerType.Shared, consumer_name="c2")
    early = recv(c2, 1.0)
    check(early is None, f"second consumer got {early.data() if early else None!r} while all were pending on the first")
    c1.close()
    got = texts(drain(c2, len(want), ack=True))
    check(sorted(got) == sorted(want), f"second consumer got {len(got)} of the {len(want)} unacked messages")


@scenario("failover-takeover")
def failover_takeover(cx):
    """PROTOCOL.md §5.1 'Failover': one active consumer; on change the cursor rewinds to mark-delete+1 and delivery
    restarts on the new active consumer (PersistentDispatcherSingleActiveConsumer) — so nothing is lost and order holds."""
    cl = cx.client()
    t = topic("failover")
    ca = cl.subscribe(t, "sub", consumer_type=ConsumerType.Failover, consumer_name="fa")
    cl2 = cx.client()
    cb_ = cl2.subscribe(t, "sub", consumer_type=ConsumerType.Failover, consumer_name="fb")
    time.sleep(2.0)  # let the active-consumer choice settle (activeConsumerFailoverDelayTimeMillis = 1000)
    p = cl.create_producer(t, batching_enabled=False)
    want = [f"f-{i}" for i in range(40)]
    send_all(p, want)
    active = other = None
    first = None
    deadline = time.time() + wait_s(15)
    while first is None and time.time() < deadline:
        for c, o in ((ca, cb_), (cb_, ca)):
            m = recv(c, 0.3)
            if m is not None:
                active, other, first = c, o, m
                break
    check(first is not None, "no consumer received anything")
    check(first.data() == b"f-0", f"active consumer started with {first.data()!r}")
    got_active = [first] + drain(active, 9)
    check(texts(got_active) == want[:10], f"active consumer got {texts(got_active)}")
    active.acknowledge_cumulative(got_active[-1])
    stray = recv(other, 1.0)
    check(stray is None, f"inactive consumer received {stray.data() if stray else None!r}")
    time.sleep(0.3)  # let the grouped ack go out before closing
    active.close()
    rest = []
    deadline = time.time() + wait_s(30)
    while time.time() < deadline and (not rest or rest[-1] != "f-39"):
        m = recv(other, 1.0)
        if m is not None:
            rest.append(m.data().decode())
            other.acknowledge(m)
    check(rest, "no takeover: the other consumer received nothing after the active one closed")
    idx = [int(x.split("-")[1]) for x in rest]
    check(idx[0] == 10, f"takeover started at f-{idx[0]}, expected f-10 (first unacked)")
    check(idx == list(range(10, 40)), f"takeover sequence not complete and in order: {idx[:5]}…{idx[-5:]}")


@scenario("key-shared-stickiness")
def key_shared_stickiness(cx):
    """PROTOCOL.md §4: Key_Shared routes by the sticky key's hash; one key → one consumer, in order
    (KeySharedSubscriptionTest.receiveAndCheck)."""
    cl = cx.client()
    t = topic("keyshared")
    c1 = cl.subscribe(t, "sub", consumer_type=ConsumerType.KeyShared, consumer_name="k1", receiver_queue_size=100)
    c2 = cl.subscribe(t, "sub", consumer_type=ConsumerType.KeyShared, consumer_name="k2", receiver_queue_size=100)
    p = cl.create_producer(t, batching_enabled=False)
    done = threading.Event()
    count = [0]

    def cb(res, _m):
        count[0] += 1
        if count[0] == 100:
            done.set()
    for i in range(100):
        key = f"key-{i % 10}"
        p.send_async(f"{key}:{i}".encode(), cb, partition_key=key)
    p.flush()
    check(done.wait(wait_s(20)), "sends not receipted")
    owner = {}
    per_key = {}

    def on_message(name, c, m):
        key, i = m.data().decode().split(":")
        check(m.partition_key() == key, f"partition_key {m.partition_key()!r} for {key}")
        owner.setdefault(key, set()).add(name)
        per_key.setdefault(key, []).append(int(i))
        c.acknowledge(m)
    total = receive_from_all({"k1": c1, "k2": c2}, 100, on_message)
    check(total == 100, f"received {total} of 100")
    shared_keys = [k for k, o in owner.items() if len(o) > 1]
    check(not shared_keys, f"keys delivered to both consumers: {shared_keys}")
    for k, seq in per_key.items():
        check(seq == sorted(seq), f"{k} out of order: {seq}")


# ------------------------------------------------------------------------------------------------
# Key_Shared (PROTOCOL.md §4; issue 4). Payloads are "<key>:<index>" with a global publish index, so per-key
# order is "indices strictly increasing". Consumer names are fixed: the AUTO_SPLIT ring is built from them
# (§4.3), so every run sees the same key → consumer split (topics are unique per run).

def murmur3_32(data, seed=0):
    """MurmurHash3 x86_32 (little-endian blocks, standard tail and fmix) — Pulsar's Murmur3_32Hash before the
    0x7fffffff mask (PROTOCOL.md §4.1). Vector: murmur3_32(b"key-1") == 2561742240."""
    m32 = 0xFFFFFFFF

    def rotl(x, r):
        return ((x << r) | (x >> (32 - r))) & m32
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed
    n = len(data)
    nblocks = n // 4
    for b in range(nblocks):
        k = int.from_bytes(data[4 * b:4 * b + 4], "little")
        k = rotl((k * c1) & m32, 15)
        h ^= (k * c2) & m32
        h = (rotl(h, 13) * 5 + 0xE6546B64) & m32
    tail = data[nblocks * 4:]
    k = 0
    if len(tail) >= 3:
        k ^= tail[2] << 16
    if len(tail) >= 2:
        k ^= tail[1] << 8
    if tail:
        k ^= tail[0]
        k = rotl((k * c1) & m32, 15)
        h ^= (k * c2) & m32
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & m32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & m32
    h ^= h >> 16
    return h


def sticky_slot(key):
    """Slot of a sticky key for the hash-range selectors (STICKY): (murmur3 & 0x7fffffff) % 65536, 0 → 1
    (StickyKeyConsumerSelector.makeStickyKeyHash, DEFAULT_RANGE_SIZE = 65536; PROTOCOL.md §4.1)."""
    s = (murmur3_32(key.encode()) & 0x7FFFFFFF) % 65536
    return 1 if s == 0 else s


# Keys found offline whose raw slot sits on a boundary: 0 (becomes 1), 1, 32767, 32768, 65535.
EDGE_KEYS = {"edge-53188": 0, "edge-51848": 1, "edge-32714": 32767, "edge-111552": 32768, "edge-3546": 65535}


def ks_sub(cl, t, name, policy=None, **kw):
    return cl.subscribe(t, "sub", consumer_type=ConsumerType.KeyShared, consumer_name=name,
                        key_shared_policy=policy, **kw)


def sticky(*ranges):
    return pulsar.ConsumerKeySharedPolicy(key_shared_mode=pulsar.KeySharedMode.Sticky, sticky_ranges=list(ranges))


def send_keyed(producer, items):
    """items: [(payload, {partition_key/ordering_key})]; send_async all, wait for every receipt."""
    errors = []
    done = threading.Event()
    left = [len(items)]
    lock = threading.Lock()

    def cb(res, _msg_id):
        with lock:
            if res != pulsar.Result.Ok:
                errors.append(str(res))
            left[0] -= 1
            if left[0] == 0:
                done.set()
    for payload, kw in items:
        producer.send_async(payload.encode(), cb, **kw)
    producer.flush()
    check(done.wait(wait_s(30)), f"only {len(items) - left[0]} of {len(items)} sends completed")
    check(not errors, f"send errors: {errors[:3]}")


def keyed(keys_of, indices, key_arg="partition_key"):
    """[(f"{key}:{i}", {key_arg: key})] for i in indices, key = keys_of(i)."""
    return [(f"{keys_of(i)}:{i}", {key_arg: keys_of(i)}) for i in indices]


class KsLog:
    """What a set of Key_Shared consumers received: per (consumer, key) the indices in receive order."""

    def __init__(self):
        self.seq = {}
        self.owners = {}
        self.deliveries = {}
        self.by_consumer = {}

    def add(self, name, m):
        key, i = m.data().decode().rsplit(":", 1)
        i = int(i)
        self.seq.setdefault((name, key), []).append(i)
        self.owners.setdefault(key, set()).add(name)
        self.deliveries[i] = self.deliveries.get(i, 0) + 1
        self.by_consumer[name] = self.by_consumer.get(name, 0) + 1
        return key, i

    def check_per_key_order(self):
        for (name, key), s in self.seq.items():
            bad = [(a, b) for a, b in zip(s, s[1:]) if b <= a]
            if bad:
                raise AssertionError(f"{key} on {name} out of publish order (or repeated): {bad[0][0]} then {bad[0][1]} in {s}")

    def check_single_owner(self):
        split = {k: sorted(o) for k, o in self.owners.items() if len(o) > 1}
        check(not split, f"{len(split)} keys delivered to more than one consumer, e.g. {list(split.items())[:3]}")

    def check_exactly_once(self, indices):
        want = set(indices)
        missing = sorted(want - set(self.deliveries))
        extra = sorted(set(self.deliveries) - want)
        dups = sorted(i for i, n in self.deliveries.items() if n > 1)
        check(not missing, f"{len(missing)} messages never delivered, e.g. {missing[:5]}")
        check(not extra, f"unexpected messages {extra[:5]}")
        check(not dups, f"{len(dups)} messages delivered more than once, e.g. {dups[:5]}")


def ks_collect(consumers, log, n, ack=True, seconds=30):
    """Receive from all consumers (acking) until n deliveries in total; returns how many arrived."""
    def on_message(name, c, m):
        log.add(name, m)
        if ack:
            c.acknowledge(m)
    return receive_from_all(consumers, n, on_message, seconds=seconds)


def ks_distribution(cx, name, key_arg, batching):
    """1000 messages over 100 keys to 3 AUTO_SPLIT consumers (KeySharedSubscriptionTest.receiveAndCheckDistribution)."""
    cl = cx.client()
    t = topic(name)
    cs = {n: ks_sub(cl, t, n) for n in ("c1", "c2", "c3")}
    if batching:
        # key-based batching: one batch per key (PROTOCOL.md §4.7; CPP KeyBasedBatching)
        p = cl.create_producer(t, batching_enabled=True, batching_type=pulsar.BatchingType.KeyBased,
                               batching_max_messages=1000, batching_max_publish_delay_ms=50,
                               block_if_queue_full=True)
    else:
        p = cl.create_producer(t, batching_enabled=False, block_if_queue_full=True)
    n = 1000
    if key_arg == "ordering_key":
        # a different partition_key on every message: routing by it would split each ordering key's 10 messages
        # over the consumers; the ordering key must win (Commands.resolveStickyKey)
        items = [(f"ok-{i % 100}:{i}", {"ordering_key": f"ok-{i % 100}", "partition_key": f"pk-{i}"}) for i in range(n)]
    else:
        items = keyed(lambda i: f"key-{i % 100}", range(n))
    send_keyed(p, items)
    log = KsLog()
    batched = [0]
    entries = {}

    def on_message(cname, c, m):
        key, i = log.add(cname, m)
        if key_arg == "ordering_key":
            check(m.ordering_key() in (key, key.encode()), f"ordering_key {m.ordering_key()!r} on {key}:{i}")
            check(m.partition_key() == f"pk-{i}", f"partition_key {m.partition_key()!r} on {key}:{i}")
        else:
            check(m.partition_key() == key, f"partition_key {m.partition_key()!r} on {key}:{i}")
        mi = m.message_id()
        if mi.batch_index() > 0:
            batched[0] += 1
        entries.setdefault((mi.ledger_id(), mi.entry_id()), set()).add(key)
        c.acknowledge(m)
    total = receive_from_all(cs, n, on_message, seconds=60)
    check(total == n, f"received {total} of {n} (per consumer {log.by_consumer})")
    log.check_exactly_once(range(n))
    log.check_single_owner()
    log.check_per_key_order()
    mean = n / len(cs)
    for cname in cs:
        got = log.by_consumer.get(cname, 0)
        check(0.6 * mean <= got <= 1.4 * mean, f"{cname} got {got} messages, outside ±40% of the mean {mean:.0f} "
              f"(per consumer {log.by_consumer})")
    if batching:
        check(batched[0] > 0, "no message arrived in a batch: key-based batching was not exercised")
        mixed = [ks for ks in entries.values() if len(ks) > 1]
        check(not mixed, f"a key-based batch mixed keys: {[sorted(ks)[:3] for ks in mixed[:1]]}")


@scenario("key-shared-many-keys")
def key_shared_many_keys(cx):
    """PROTOCOL.md §4.1/§4.3/§4.7: the partition key is the sticky key; AUTO_SPLIT consistent-hash ring
    (ConsistentHashingStickyKeyConsumerSelector); KeySharedSubscriptionTest.receiveAndCheckDistribution: one key never
    on two consumers, per-key order, each consumer within ±40% of the mean, nothing lost."""
    ks_distribution(cx, "ks-many", "partition_key", batching=False)


@scenario("key-shared-ordering-key")
def key_shared_ordering_key(cx):
    """PROTOCOL.md §4.1 (Commands.resolveStickyKey): ordering_key, if present, is the sticky key, not partition_key."""
    ks_distribution(cx, "ks-okey", "ordering_key", batching=False)


@scenario("key-shared-key-based-batching")
def key_shared_key_based_batching(cx):
    """PROTOCOL.md §4.7: the broker routes a whole entry by its batch-level key; with key-based batching each batch
    holds one key, so single owner and per-key order hold (KeySharedSubscriptionTest runs with KEY_BASED batching)."""
    ks_distribution(cx, "ks-kbatch", "partition_key", batching=True)


def auto_split_ring(names):
    """key → consumer of Pulsar 4.x's ConsistentHashingStickyKeyConsumerSelector with 100 points per consumer
    (subscriptionKeySharedConsistentHashingReplicaPoints): point i of a consumer is makeStickyKeyHash(name + "\0" +
    nameIndex + "\0" + i) over [1, 65535], i.e. (murmur3 & 0x7fffffff) % 65535 + 1 (nameIndex 0: distinct names); a
    point already taken keeps its first owner (consumers added in the order given); select = first point ≥ hash,
    wrapping around (PROTOCOL.md §4.1/§4.3)."""
    def ring_hash(b):
        return (murmur3_32(b) & 0x7FFFFFFF) % 65535 + 1
    owner = {}
    for n in names:
        for i in range(100):
            owner.setdefault(ring_hash(f"{n}\0{0}\0{i}".encode()), n)
    points = sorted(owner)

    def select(key):
        h = ring_hash(key.encode())
        j = next((j for j, pt in enumerate(points) if pt >= h), 0)
        return owner[points[j]]
    return select


@scenario("key-shared-auto-split-ring")
def key_shared_auto_split_ring(cx):
    """PROTOCOL.md §4.3: AUTO_SPLIT uses Pulsar 4.x's consistent-hash ring; each key goes to exactly the consumer the
    ring selects, and after a consumer leaves, to the ring of the remaining ones
    (testShouldNotChangeSelectedConsumerWhenConsumerIsRemoved)."""
    check(murmur3_32(b"key-1") == 2561742240, "murmur3 test vector")
    cl = cx.client()
    t = topic("ks-ring")
    cs = {n: ks_sub(cl, t, n) for n in ("c1", "c2", "c3")}
    p = cl.create_producer(t, batching_enabled=False)

    def round_(consumers, start):
        select = auto_split_ring(list(consumers))
        send_keyed(p, keyed(lambda i: f"key-{i % 100}", range(start, start + 100)))
        log = KsLog()
        wrong = []

        def on_message(name, c, m):
            k, _i = log.add(name, m)
            if select(k) != name:
                wrong.append(f"{k} on {name} (ring: {select(k)})")
            c.acknowledge(m)
        total = receive_from_all(consumers, 100, on_message)
        check(not wrong, f"with consumers {list(consumers)}, {len(wrong)} keys not where Pulsar's ring puts them, "
              f"e.g. {wrong[:3]}")
        check(total == 100, f"received {total} of 100")
        log.check_exactly_once(range(start, start + 100))
    round_(cs, 0)
    cs.pop("c2").close()
    round_(cs, 100)


@scenario("key-shared-consumer-joins-ordering")
def key_shared_consumer_joins_ordering(cx):
    """PROTOCOL.md §4.5 (PIP-379 draining hashes; KeySharedSubscriptionTest.testOrderingWhenAddingConsumers): a key
    moved to a joining consumer is not delivered there while the old owner holds unacked messages of it; after the
    old owner closes, the newcomer receives everything in per-key order."""
    cl = cx.client()
    t = topic("ks-join")
    p = cl.create_producer(t, batching_enabled=False)
    c1 = ks_sub(cl, t, "c1")
    key = lambda i: f"key-{i % 10}"  # noqa: E731
    send_keyed(p, keyed(key, range(10)))
    held = drain(c1, 10)  # received, never acked
    check(len(held) == 10, f"first consumer received {len(held)} of 10")
    c2 = ks_sub(cl, t, "c2")
    send_keyed(p, keyed(key, range(10, 20)))
    early = recv(c2, 1.0)  # absence: Pulsar's test waits 100 ms
    check(early is None, f"joining consumer got {early.data() if early else None!r} while the first held unacked "
          "messages of every key (draining hashes)")
    c1.close()
    log = KsLog()
    for m in drain(c2, 20, ack=True):
        log.add("c2", m)
    log.check_exactly_once(range(20))
    log.check_per_key_order()


@scenario("key-shared-close-redelivers")
def key_shared_close_redelivers(cx):
    """PROTOCOL.md §4.5 and §5.1: a closing consumer's unacked messages go to the replay set and reach the remaining
    consumers before newer messages of the same keys (canDispatchEntry holds back hashes in the replay set); removing a
    consumer from the ring does not move the keys of the others (testShouldNotChangeSelectedConsumerWhenConsumerIsRemoved)."""
    cl = cx.client()
    t = topic("ks-close")
    c1, c2, c3 = (ks_sub(cl, t, n) for n in ("c1", "c2", "c3"))
    p = cl.create_producer(t, batching_enabled=False)
    key = lambda i: f"key-{i % 20}"  # noqa: E731
    send_keyed(p, keyed(key, range(100)))
    before = KsLog()

    def on_first(name, c, m):
        before.add(name, m)
        if name != "c1":
            c.acknowledge(m)  # c1 holds its messages unacked
    total = receive_from_all({"c1": c1, "c2": c2, "c3": c3}, 100, on_first)
    check(total == 100, f"received {total} of 100 before the close (per consumer {before.by_consumer})")
    before.check_single_owner()
    before.check_per_key_order()
    held = before.by_consumer.get("c1", 0)
    c1_keys = {k for k, o in before.owners.items() if o == {"c1"}}
    check(held > 0 and len(c1_keys) < 20, f"setup: c1 owns {len(c1_keys)} of 20 keys")
    c1.close()
    send_keyed(p, keyed(key, range(100, 200)))
    after = KsLog()
    total = ks_collect({"c2": c2, "c3": c3}, after, held + 100)
    check(total == held + 100, f"after the close received {total} of {held} redelivered + 100 new")
    want = {i for i in range(200) if i >= 100 or key(i) in c1_keys}
    after.check_exactly_once(want)
    after.check_single_owner()
    after.check_per_key_order()  # a redelivered message of a key before any newer one
    moved = {k: sorted(o) for k, o in after.owners.items() if k not in c1_keys and o != before.owners[k]}
    check(not moved, f"keys of the remaining consumers moved when c1 left: {list(moved.items())[:3]}")


@scenario("key-shared-nack-order")
def key_shared_nack_order(cx):
    """PROTOCOL.md §4.5/§5.2: a negatively acked message comes back (REDELIVER_UNACKNOWLEDGED_MESSAGES) with
    redelivery_count ≥ 1 to the same consumer (membership unchanged); PIP-379 gives no ordering guarantee for nacks, so
    only delivery-exactly-once-per-(non)nack and key ownership are asserted."""
    cl = cx.client()
    t = topic("ks-nack")
    cs = {n: ks_sub(cl, t, n, negative_ack_redelivery_delay_ms=300) for n in ("c1", "c2")}
    p = cl.create_producer(t, batching_enabled=False)
    n = 100
    key = lambda i: f"key-{i % 10}"  # noqa: E731
    send_keyed(p, keyed(key, range(n)))
    nacked = {i for i in range(n) if i % 3 == 0}
    owners = {}
    firsts, redeliveries, acked = {}, {}, {}

    def on_message(name, c, m):
        k, i = m.data().decode().rsplit(":", 1)
        i = int(i)
        owners.setdefault(k, set()).add(name)
        rc = m.redelivery_count()
        if rc == 0:
            firsts[i] = firsts.get(i, 0) + 1
            if i in nacked:
                c.negative_acknowledge(m)
                return
        else:
            redeliveries.setdefault(i, []).append(rc)
        acked[i] = acked.get(i, 0) + 1
        c.acknowledge(m)
    total = receive_from_all(cs, n + len(nacked), on_message, seconds=40)
    check(total == n + len(nacked), f"received {total} deliveries, expected {n} + {len(nacked)} redeliveries")
    check(sorted(firsts) == list(range(n)) and all(v == 1 for v in firsts.values()),
          f"first deliveries (redelivery_count 0) not exactly once each: {len(firsts)} distinct")
    check(set(redeliveries) == nacked, f"redelivered {sorted(redeliveries)[:10]}, expected the nacked {sorted(nacked)[:10]}")
    bad = {i: rc for i, rc in redeliveries.items() if len(rc) != 1 or rc[0] < 1}
    check(not bad, f"redelivery counts {list(bad.items())[:5]}")
    check(sorted(acked) == list(range(n)) and all(v == 1 for v in acked.values()), "not every message acked exactly once")
    split = {k: sorted(o) for k, o in owners.items() if len(o) > 1}
    check(not split, f"keys delivered to two consumers (redeliveries must go to the key's owner): {split}")


def sticky_expect(ranges_by_consumer, keys):
    """key → the consumer whose inclusive ranges contain sticky_slot(key) (None: no consumer covers it)."""
    out = {}
    for k in keys:
        s = sticky_slot(k)
        out[k] = next((c for c, rs in ranges_by_consumer.items() if any(a <= s <= b for a, b in rs)), None)
    return out


@scenario("key-shared-sticky-ranges")
def key_shared_sticky_ranges(cx):
    """PROTOCOL.md §4.1/§4.2/§4.4: STICKY consumers (HashRangeExclusiveStickyKeyConsumerSelector) receive exactly the
    keys whose slot (murmur3_32 & 0x7fffffff) % 65536 (0 → 1) lies in their inclusive ranges. c1 = [1, 32767] so the
    key whose raw slot is 0 reaches c1 only through the 0 → 1 rule (StickyKeyConsumerSelector.makeStickyKeyHash)."""
    check(murmur3_32(b"key-1") == 2561742240 and sticky_slot("key-1") == 5536, "murmur3 test vector")
    for k, raw in EDGE_KEYS.items():
        check((murmur3_32(k.encode()) & 0x7FFFFFFF) % 65536 == raw, f"edge key {k} slot")
    ranges = {"c1": [(1, 32767)], "c2": [(32768, 65535)]}
    cl = cx.client()
    t = topic("ks-sticky")
    cs = {n: ks_sub(cl, t, n, sticky(*rs)) for n, rs in ranges.items()}
    keys = [f"key-{j}" for j in range(50)] + list(EDGE_KEYS)
    expect = sticky_expect(ranges, keys)
    check(all(expect.values()) and set(expect.values()) == set(ranges), "setup: both consumers must own keys")
    p = cl.create_producer(t, batching_enabled=False)
    n = 4 * len(keys)
    send_keyed(p, keyed(lambda i: keys[i % len(keys)], range(n)))
    log = KsLog()
    wrong = []

    def on_message(name, c, m):
        k, i = log.add(name, m)
        if expect[k] != name:
            wrong.append(f"{k} (slot {sticky_slot(k)}) on {name}")
        c.acknowledge(m)
    total = receive_from_all(cs, n, on_message)
    check(not wrong, f"{len(wrong)} messages on the wrong consumer, e.g. {wrong[:3]}")
    check(total == n, f"received {total} of {n}")
    log.check_exactly_once(range(n))
    log.check_per_key_order()


@scenario("key-shared-sticky-uncovered-waits")
def key_shared_sticky_uncovered_waits(cx):
    """PROTOCOL.md §4.2: with STICKY, a message whose slot no consumer covers is not delivered (held in the replay set)
    until a consumer covering it connects; then it arrives in per-key order."""
    cl = cx.client()
    t = topic("ks-uncovered")
    c1 = ks_sub(cl, t, "c1", sticky((0, 32767)))
    keys = [f"key-{j}" for j in range(20)] + ["edge-32714", "edge-111552"]
    expect = sticky_expect({"c1": [(0, 32767)], "c2": [(32768, 65535)]}, keys)
    p = cl.create_producer(t, batching_enabled=False)
    n = 3 * len(keys)
    send_keyed(p, keyed(lambda i: keys[i % len(keys)], range(n)))
    mine = [i for i in range(n) if expect[keys[i % len(keys)]] == "c1"]
    rest = [i for i in range(n) if expect[keys[i % len(keys)]] == "c2"]
    check(mine and rest, "setup: keys on both halves")
    log1 = KsLog()
    for m in drain(c1, len(mine), ack=True):
        log1.add("c1", m)
    log1.check_exactly_once(mine)
    extra = recv(c1, 1.0)
    check(extra is None, f"c1 got {extra.data() if extra else None!r} outside its range")
    c2 = ks_sub(cl, t, "c2", sticky((32768, 65535)))
    log2 = KsLog()
    for m in drain(c2, len(rest), ack=True):
        log2.add("c2", m)
    log2.check_exactly_once(rest)
    log2.check_per_key_order()


@scenario("key-shared-sticky-overlap-refused")
def key_shared_sticky_overlap_refused(cx):
    """PROTOCOL.md §4.4 (HashRangeExclusiveStickyKeyConsumerSelector.validateKeySharedMeta; testHashRangeConflict):
    a STICKY consumer whose range overlaps a connected consumer's gets ConsumerAssignError and is not added; the first
    keeps receiving; a non-overlapping range is accepted, and the refused range once the first consumer left."""
    cl = cx.client()
    t = topic("ks-overlap")
    c1 = ks_sub(cl, t, "c1", sticky((0, 32767)))
    try:
        c2 = ks_sub(cl, t, "c2", sticky((32000, 40000)))
        c2.close()
        raise AssertionError("a STICKY consumer overlapping [0, 32767] with [32000, 40000] was accepted")
    except pulsar.ConsumerAssignError:
        pass
    c3 = ks_sub(cl, t, "c3", sticky((32768, 65535)))
    p = cl.create_producer(t, batching_enabled=False)
    send_keyed(p, [("edge-32714:0", {"partition_key": "edge-32714"}), ("edge-111552:1", {"partition_key": "edge-111552"})])
    m = recv(c1, wait_s(10))
    check(m is not None and m.data() == b"edge-32714:0", f"c1 got {m.data() if m else None!r}, expected edge-32714:0")
    c1.acknowledge(m)
    m = recv(c3, wait_s(10))
    check(m is not None and m.data() == b"edge-111552:1", f"c3 got {m.data() if m else None!r}, expected edge-111552:1")
    c3.acknowledge(m)
    try:
        ks_sub(cl, t, "c4", sticky((30000, 40000))).close()
        raise AssertionError("[30000, 40000] overlapping c1 and c3 was accepted")
    except pulsar.ConsumerAssignError:
        pass
    c1.close()
    c5 = ks_sub(cl, t, "c5", sticky((32000, 32767)))
    send_keyed(p, [("edge-32714:2", {"partition_key": "edge-32714"})])
    m = recv(c5, wait_s(10))
    check(m is not None and m.data() == b"edge-32714:2", f"c5 got {m.data() if m else None!r}, expected edge-32714:2")


@scenario("key-shared-out-of-order-join")
def key_shared_out_of_order_join(cx):
    """PROTOCOL.md §4.6: with allowOutOfOrderDelivery there is no draining: a joining consumer receives new messages of
    the keys it now owns at once, although the old owner still holds unacked messages of them (contrast with
    key-shared-consumer-joins-ordering); after the old owner closes nothing is lost."""
    pol = pulsar.ConsumerKeySharedPolicy(allow_out_of_order_delivery=True)
    cl = cx.client()
    t = topic("ks-ooo")
    p = cl.create_producer(t, batching_enabled=False)
    c1 = ks_sub(cl, t, "c1", pol)
    key = lambda i: f"key-{i % 10}"  # noqa: E731
    send_keyed(p, keyed(key, range(10)))
    held = drain(c1, 10)
    check(len(held) == 10, f"first consumer received {len(held)} of 10")
    c2 = ks_sub(cl, t, "c2", pol)
    send_keyed(p, keyed(key, range(10, 20)))
    log = KsLog()
    m = recv(c2, wait_s(10))
    check(m is not None, "joining consumer received nothing although out-of-order delivery is allowed")
    log.add("c2", m)
    c2.acknowledge(m)
    # the rest of 10..19 from both consumers (each new message goes to one of them; c1 holds 0..9 unacked)
    ks_collect({"c1": c1, "c2": c2}, log, 9)
    c2_old = sorted(i for (name, _k), seq in log.seq.items() if name == "c2" for i in seq if i < 10)
    check(not c2_old, f"joining consumer got old messages {c2_old} while c1 still held them")
    log.check_exactly_once(range(10, 20))
    c1.close()
    for m in drain(c2, 10, ack=True):  # c1's unacked 0..9 come back (order across keys' old/new not guaranteed)
        log.add("c2", m)
    log.check_exactly_once(range(20))  # nothing lost or duplicated (c1's own deliveries of 0..9 are not logged)


# ------------------------------------------------------------------------------------------------
# positions: initial position, readers, seek


@scenario("initial-position-earliest-latest")
def initial_position(cx):
    """PROTOCOL.md §2.7: initialPosition applies when a durable subscription is created —
    Earliest = first available entry, Latest = after the current last entry."""
    cl = cx.client()
    t = topic("initpos")
    anchor(cl, t)
    p = cl.create_producer(t, batching_enabled=False)
    old = [f"old-{i}" for i in range(5)]
    send_all(p, old)
    ce = cl.subscribe(t, "early", initial_position=InitialPosition.Earliest)
    cl_ = cl.subscribe(t, "late", initial_position=InitialPosition.Latest)
    got_e = texts(drain(ce, 5, ack=True))
    check(got_e == old, f"Earliest subscription got {got_e}")
    stray = recv(cl_, 1.5)
    check(stray is None, f"Latest subscription got old message {stray.data() if stray else None!r}")
    p.send(b"new")
    m = recv(cl_, wait_s(10))
    check(m is not None and m.data() == b"new", "Latest subscription did not get the new message")
    m = recv(ce, wait_s(10))
    check(m is not None and m.data() == b"new", "Earliest subscription did not get the new message")


def reader_setup(cx, name, n=10):
    cl = cx.client()
    t = topic(name)
    anchor(cl, t)
    p = cl.create_producer(t, batching_enabled=False)
    ids = [p.send(f"m{i}".encode()) for i in range(n)]
    return cl, t, p, ids


def read_n(r, n):
    out = []
    while len(out) < n:
        m = read(r, wait_s(10))
        if m is None:
            break
        out.append(m.data().decode())
    return out


@scenario("reader-earliest")
def reader_earliest(cx):
    """PROTOCOL.md §2.7 start_message_id: ledgerId -1 (earliest) → from the first entry."""
    cl, t, _p, _ids = reader_setup(cx, "rd-earliest")
    r = cl.create_reader(t, MessageId.earliest)
    got = read_n(r, 10)
    check(got == [f"m{i}" for i in range(10)], f"reader got {got}")
    extra = read(r, 1.0)
    check(extra is None, f"reader got an extra message {extra.data() if extra else None!r}")


@scenario("reader-latest")
def reader_latest(cx):
    """PROTOCOL.md §2.7 start_message_id: latest (Long.MAX) → nothing old, only new messages."""
    cl, t, p, _ids = reader_setup(cx, "rd-latest")
    r = cl.create_reader(t, MessageId.latest)
    old = read(r, 1.5)
    check(old is None, f"reader from latest got old message {old.data() if old else None!r}")
    p.send(b"fresh")
    m = read(r, wait_s(10))
    check(m is not None and m.data() == b"fresh", "reader from latest did not get the new message")


@scenario("reader-start-exclusive")
def reader_start_exclusive(cx):
    """PROTOCOL.md §2.7: the broker re-delivers the start entry; the client drops ids <= start unless inclusive."""
    cl, t, _p, ids = reader_setup(cx, "rd-excl")
    r = cl.create_reader(t, ids[4])
    got = read_n(r, 5)
    check(got == [f"m{i}" for i in range(5, 10)], f"reader from m4 (exclusive) got {got}")


@scenario("reader-start-inclusive")
def reader_start_inclusive(cx):
    """PROTOCOL.md §2.7: startMessageIdInclusive → the start message itself is the first one read."""
    cl, t, _p, ids = reader_setup(cx, "rd-incl")
    r = cl.create_reader(t, ids[4], start_message_id_inclusive=True)
    got = read_n(r, 6)
    check(got == [f"m{i}" for i in range(4, 10)], f"reader from m4 (inclusive) got {got}")


@scenario("reader-has-message-available")
def reader_has_message_available(cx):
    """PROTOCOL.md §2.7 GET_LAST_MESSAGE_ID: hasMessageAvailable compares the last read id with the topic's last id."""
    cl, t, p, _ids = reader_setup(cx, "rd-hma", n=3)
    r = cl.create_reader(t, MessageId.earliest)
    check(r.has_message_available(), "has_message_available false before reading anything")
    got = read_n(r, 3)
    check(got == ["m0", "m1", "m2"], f"reader got {got}")
    check(not r.has_message_available(), "has_message_available true after reading everything")
    p.send(b"m3")
    check(r.has_message_available(), "has_message_available false after a new publish")
    m = read(r, wait_s(10))
    check(m is not None and m.data() == b"m3", "new message not read")


@scenario("seek-message-id")
def seek_message_id(cx):
    """PROTOCOL.md §2.7 SEEK by id: consumers are disconnected, the cursor reset so that message_id's entry is the
    next one delivered, then SUCCESS; the client reconnects. Like a reader's start id, the C++ client then drops
    the seek message itself unless the consumer was created with start_message_id_inclusive (observed against
    Apache Pulsar 4.0: default → m4 first; inclusive → m3 first). The inclusive case proves the broker re-sends
    the seek entry."""
    cl = cx.client()
    t = topic("seek-id")
    p = cl.create_producer(t, batching_enabled=False)
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    ci = cl.subscribe(t, "sub-incl", initial_position=InitialPosition.Earliest, start_message_id_inclusive=True)
    ids = [p.send(f"m{i}".encode()) for i in range(10)]
    for consumer, first_expected in ((c, 4), (ci, 3)):
        first = texts(drain(consumer, 10, ack=True))
        check(first == [f"m{i}" for i in range(10)], f"first pass got {first}")
        consumer.seek(ids[3])
        got = []
        while True:
            m = recv(consumer, wait_s(10) if not got else 1.5)
            if m is None:
                break
            got.append(m.data().decode())
            consumer.acknowledge(m)
        kind = "inclusive" if consumer is ci else "default"
        check(got == [f"m{i}" for i in range(first_expected, 10)], f"after seek to m3 ({kind} consumer) got {got}")


@scenario("seek-time")
def seek_time(cx):
    """PROTOCOL.md §2.7 SEEK by time: reset to the first entry with publish_time >= T
    (PersistentSubscription.resetCursor(long))."""
    cl = cx.client()
    t = topic("seek-time")
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, batching_enabled=False)
    send_all(p, [f"a{i}" for i in range(5)])
    time.sleep(1.0)
    ts = int(time.time() * 1000)
    time.sleep(1.0)
    send_all(p, [f"b{i}" for i in range(5)])
    first = texts(drain(c, 10, ack=True))
    check(len(first) == 10, f"first pass got {len(first)} of 10")
    c.seek(ts)
    got = []
    while True:
        m = recv(c, wait_s(10) if not got else 1.5)
        if m is None:
            break
        got.append(m.data().decode())
        c.acknowledge(m)
    check(got == [f"b{i}" for i in range(5)], f"after seek to a time between a4 and b0 got {got}")


# ------------------------------------------------------------------------------------------------
# acknowledgements


@scenario("individual-ack-reconnect")
def individual_ack_reconnect(cx):
    """PROTOCOL.md §2.7 ACK Individual + §5.1: a reconnecting consumer resumes at mark-delete+1 and skips
    individually deleted messages, so exactly the unacked ones come back, in order."""
    cl = cx.client()
    t = topic("iack")
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, batching_enabled=False)
    send_all(p, [f"m{i}" for i in range(10)])
    got = drain(c, 10)
    check(len(got) == 10, f"received {len(got)} of 10")
    for i, m in enumerate(got):
        if i % 2 == 0:
            c.acknowledge(m)
    time.sleep(0.5)  # the client groups acks for 100 ms; let them reach the broker
    c.close()
    c2 = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    again = []
    while True:
        m = recv(c2, wait_s(10) if not again else 1.5)
        if m is None:
            break
        again.append(m.data().decode())
    check(again == ["m1", "m3", "m5", "m7", "m9"], f"after reconnect got {again}")


@scenario("cumulative-ack-reconnect")
def cumulative_ack_reconnect(cx):
    """PROTOCOL.md §2.7 ACK Cumulative: everything <= the id is acked; delivery resumes after it."""
    cl = cx.client()
    t = topic("cack")
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, batching_enabled=False)
    send_all(p, [f"m{i}" for i in range(10)])
    got = drain(c, 10)
    check(len(got) == 10, f"received {len(got)} of 10")
    c.acknowledge_cumulative(got[5])
    time.sleep(0.5)
    c.close()
    c2 = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    again = []
    while True:
        m = recv(c2, wait_s(10) if not again else 1.5)
        if m is None:
            break
        again.append(m.data().decode())
    check(again == ["m6", "m7", "m8", "m9"], f"after reconnect got {again}")


@scenario("negative-ack-redelivery")
def negative_ack_redelivery(cx):
    """PROTOCOL.md §2.7/§5.2: a nack ends in REDELIVER_UNACKNOWLEDGED_MESSAGES; on Shared the broker redelivers
    with redelivery_count + 1 (InMemoryRedeliveryTracker)."""
    cl = cx.client()
    t = topic("nack")
    c = cl.subscribe(t, "sub", consumer_type=ConsumerType.Shared, initial_position=InitialPosition.Earliest,
                     negative_ack_redelivery_delay_ms=300)
    p = cl.create_producer(t, batching_enabled=False)
    send_all(p, ["m0", "m1", "m2"])
    first = recv(c, wait_s(10))
    check(first is not None and first.data() == b"m0", "first message not m0")
    check(first.redelivery_count() == 0, f"fresh message has redelivery_count {first.redelivery_count()}")
    c.negative_acknowledge(first)
    for _ in range(2):
        m = recv(c, wait_s(10))
        check(m is not None, "m1/m2 not received")
        c.acknowledge(m)
    m = recv(c, wait_s(15))
    check(m is not None, "nacked message not redelivered")
    check(m.data() == b"m0", f"redelivered {m.data()!r}, expected m0")
    check(m.redelivery_count() == 1, f"redelivery_count {m.redelivery_count()}, expected 1")
    c.acknowledge(m)


@scenario("dead-letter-after-max-redeliveries")
def dead_letter_after_max_redeliveries(cx):
    """PROTOCOL.md §5.2 / PULSAR-REFERENCE.md §5.4: the DLQ is client-side; it relies on the broker's
    redelivery_count on Shared subscriptions. Once a message arrives with redelivery_count >= maxRedeliverCount,
    the client publishes it to <topic>-<subscription>-DLQ and acks the original."""
    cl = cx.client()
    t = topic("dlq")
    dlq = f"{t}-sub-DLQ"
    d = cl.subscribe(dlq, "dlq-reader", initial_position=InitialPosition.Earliest)
    c = cl.subscribe(t, "sub", consumer_type=ConsumerType.Shared, initial_position=InitialPosition.Earliest,
                     negative_ack_redelivery_delay_ms=200,
                     dead_letter_policy=pulsar.ConsumerDeadLetterPolicy(max_redeliver_count=1))
    p = cl.create_producer(t, batching_enabled=False)
    p.send(b"poison", properties={"k": "v"})
    p.send(b"fine")
    counts = []
    fine_seen = False
    deadline = time.time() + wait_s(20)
    while time.time() < deadline:
        m = recv(c, 1.0)
        if m is None:
            if counts and fine_seen:
                dm = recv(d, 0.5)
                if dm is not None:
                    break
            continue
        if m.data() == b"fine":
            fine_seen = True
            c.acknowledge(m)
        else:
            counts.append(m.redelivery_count())
            c.negative_acknowledge(m)
    else:
        dm = None
    check(counts[:2] == [0, 1], f"poison message seen with redelivery counts {counts}, expected [0, 1]")
    check(dm is not None, f"nothing arrived on {dlq}")
    check(dm.data() == b"poison", f"DLQ got {dm.data()!r}")
    check(dm.properties().get("k") == "v", f"DLQ message lost its properties: {dm.properties()}")
    stray = recv(c, 1.5)
    check(stray is None, f"original subscription still delivers {stray.data() if stray else None!r} after the DLQ took it")


@scenario("unsubscribe-resubscribe")
def unsubscribe_resubscribe(cx):
    """PROTOCOL.md §2.7 UNSUBSCRIBE deletes the subscription; a new one with the same name starts at its
    initialPosition (Earliest → everything again; Latest → only new messages)."""
    cl = cx.client()
    t = topic("unsub")
    anchor(cl, t)
    p = cl.create_producer(t, batching_enabled=False)
    want = [f"m{i}" for i in range(5)]
    send_all(p, want)
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    check(texts(drain(c, 5, ack=True)) == want, "first subscription did not get the 5 messages")
    time.sleep(0.3)
    c.unsubscribe()
    c2 = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    again = texts(drain(c2, 5, ack=True))
    check(again == want, f"resubscribed (Earliest) got {again}, expected all 5 again")
    time.sleep(0.3)
    c2.unsubscribe()
    c3 = cl.subscribe(t, "sub", initial_position=InitialPosition.Latest)
    stray = recv(c3, 1.5)
    check(stray is None, f"resubscribed (Latest) got old message {stray.data() if stray else None!r}")
    p.send(b"m5")
    m = recv(c3, wait_s(10))
    check(m is not None and m.data() == b"m5", "resubscribed (Latest) did not get the new message")


@scenario("get-last-message-id")
def get_last_message_id(cx):
    """PROTOCOL.md §2.7 GET_LAST_MESSAGE_ID → last entry {ledgerId, entryId}."""
    cl = cx.client()
    t = topic("lastid")
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, batching_enabled=False)
    ids = [p.send(f"m{i}".encode()) for i in range(5)]
    last = c.get_last_message_id()
    check((last.ledger_id(), last.entry_id()) == (ids[-1].ledger_id(), ids[-1].entry_id()),
          f"last id {mid(last)} != last sent {mid(ids[-1])}")
    more = p.send(b"m5")
    last = c.get_last_message_id()
    check((last.ledger_id(), last.entry_id()) == (more.ledger_id(), more.entry_id()),
          f"after one more send: last id {mid(last)} != {mid(more)}")


@scenario("delayed-delivery-shared")
def delayed_delivery_shared(cx):
    """PROTOCOL.md §5.3: Shared dispatchers hold messages with deliver_at_time until then (tick 1 s, may be one
    tick early); other messages flow past them."""
    cl = cx.client()
    t = topic("delay")
    c = cl.subscribe(t, "sub", consumer_type=ConsumerType.Shared, initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, batching_enabled=False)
    t0 = time.time()
    p.send(b"late", deliver_after=timedelta(seconds=3))
    p.send(b"now")
    m = recv(c, wait_s(10))
    check(m is not None, "nothing received")
    check(m.data() == b"now", f"first delivered {m.data()!r}: the delayed message was not held")
    c.acknowledge(m)
    m = recv(c, wait_s(20))
    check(m is not None and m.data() == b"late", "delayed message never delivered")
    waited = time.time() - t0
    check(waited >= 1.8, f"delayed message delivered after {waited:.2f}s, before its 3 s delay minus one tick")
    c.acknowledge(m)


@scenario("partitioned-topic")
def partitioned_topic(cx):
    """PROTOCOL.md §6.2 PUT …/partitions (204), §2.5 PARTITIONED_METADATA → N then LOOKUP per '-partition-i',
    §3 naming: partitions are ordinary topics '<name>-partition-<i>'."""
    name = f"compat-{RUN_ID}-py-part-{random.randint(0, 1 << 30)}"
    url = f"{ADMIN_URL}/admin/v2/persistent/public/default/{name}/partitions"
    req = urllib.request.Request(url, method="PUT", data=b"3", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=wait_s(15)) as r:
            check(200 <= r.status < 300, f"PUT partitions answered {r.status}")
    except urllib.error.HTTPError as e:
        raise AssertionError(f"PUT {url} answered HTTP {e.code}: {e.read()[:200]!r}")
    t = f"persistent://public/default/{name}"
    cl = cx.client()
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, batching_enabled=False,
                           message_routing_mode=pulsar.PartitionsRoutingMode.RoundRobinDistribution)
    want = [f"p{i}" for i in range(30)]
    send_all(p, want)
    got = drain(c, 30, ack=True)
    check(sorted(texts(got)) == sorted(want), f"received {len(got)} of 30")
    topics = {m.topic_name() for m in got}
    check(topics == {f"{t}-partition-{i}" for i in range(3)}, f"messages came from {sorted(topics)}")


# ------------------------------------------------------------------------------------------------
# retries, time and exactly-once: redelivery counts, ack timeout, delayed delivery, batch-index acks

# Pulsar's delayedDeliveryTickTimeMillis default: Pulsar (isDelayedDeliveryDeliverAtTimeStrict=false) may deliver a
# delayed message up to one tick early; Vela never early. Both must deliver within one tick plus 1 s after its time.
DELAY_TICK_S = 1.0


def admin_call(method, path, body=None):
    """An admin REST call; returns (status, parsed JSON or text). A non-string body is sent as JSON."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(f"{ADMIN_URL}{path}", method=method, data=data,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=wait_s(30)) as r:
            raw = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        raw = e.read()
        status = e.code
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


def dedup_namespace():
    """A namespace of this run with deduplication on (POST …/deduplication), so no other scenario is affected."""
    ns = f"public/compat-dedup-{RUN_ID}-py"
    status, body = admin_call("PUT", f"/admin/v2/namespaces/{ns}")
    check(status in (204, 409), f"creating namespace {ns}: HTTP {status} {body}")
    status, body = admin_call("POST", f"/admin/v2/namespaces/{ns}/deduplication", True)
    check(status == 204, f"enabling deduplication on {ns}: HTTP {status} {body}")
    status, body = admin_call("GET", f"/admin/v2/namespaces/{ns}/deduplication")
    check(status == 200 and body is True, f"GET deduplication of {ns}: HTTP {status} {body}")
    return ns


def receive_timed(consumer, n, seconds):
    """Up to n messages with the wall-clock time each arrived, acking each; stops after `seconds` (scaled)."""
    out = []
    deadline = time.time() + wait_s(seconds)
    while len(out) < n and time.time() < deadline:
        m = recv(consumer, 0.2)
        if m is not None:
            out.append((m.data().decode(), time.time()))
            consumer.acknowledge(m)
    return out


def check_delayed_timing(arrivals, due, not_before_extra=0.0):
    """Each delayed message arrived no earlier than its time minus one tick, and within one tick + 1 s after it
    (or after `not_before_extra`, the moment it could be delivered again at the earliest, e.g. after a restart)."""
    for name, at in arrivals:
        if name not in due:
            continue
        check(at >= due[name] - DELAY_TICK_S - 0.05,
              f"{name} arrived {due[name] - at:.2f} s before its delivery time")
        latest = max(due[name], not_before_extra) + DELAY_TICK_S + 1.0 * SCALE + 0.25
        check(at <= latest, f"{name} arrived {at - due[name]:.2f} s after its delivery time (allowed {latest - due[name]:.2f} s)")


@scenario("nack-redelivery-count")
def nack_redelivery_count(cx):
    """PROTOCOL.md §2.7/§5.2: each negative ack ends in REDELIVER_UNACKNOWLEDGED_MESSAGES; on Shared the broker counts
    redeliveries per entry (InMemoryRedeliveryTracker) and sends them in MESSAGE.redelivery_count: 0, 1, 2, 3."""
    cl = cx.client()
    t = topic("nack-count")
    c = cl.subscribe(t, "sub", consumer_type=ConsumerType.Shared, initial_position=InitialPosition.Earliest,
                     negative_ack_redelivery_delay_ms=200)
    p = cl.create_producer(t, batching_enabled=False)
    p.send(b"retry-me")
    counts = []
    for attempt in range(4):
        m = recv(c, wait_s(10))
        check(m is not None, f"attempt {attempt}: message not (re)delivered; counts so far {counts}")
        check(m.data() == b"retry-me", f"got {m.data()!r}")
        counts.append(m.redelivery_count())
        if attempt < 3:
            c.negative_acknowledge(m)
        else:
            c.acknowledge(m)
    check(counts == [0, 1, 2, 3], f"redelivery counts {counts}, expected [0, 1, 2, 3]")
    stray = recv(c, 1.0)
    check(stray is None, f"acked message delivered again: {stray.data() if stray else None!r}")


@scenario("ack-timeout-redelivery")
def ack_timeout_redelivery(cx):
    """PROTOCOL.md §5.2: the ack timeout is a client timer (C++: at least 10 s) that ends in
    REDELIVER_UNACKNOWLEDGED_MESSAGES with the message ids; on Shared the message comes back with redelivery_count 1."""
    cl = cx.client()
    t = topic("ack-timeout")
    c = cl.subscribe(t, "sub", consumer_type=ConsumerType.Shared, initial_position=InitialPosition.Earliest,
                     unacked_messages_timeout_ms=10000)
    p = cl.create_producer(t, batching_enabled=False)
    p.send(b"slow")
    first = recv(c, wait_s(10))
    check(first is not None and first.redelivery_count() == 0, "first delivery missing or already counted")
    t0 = time.time()
    again = recv(c, wait_s(25))
    check(again is not None, "not redelivered after the ack timeout")
    check(again.data() == b"slow", f"redelivered {again.data()!r}")
    check(time.time() - t0 >= 8.0, f"redelivered after {time.time() - t0:.1f} s, before the 10 s ack timeout")
    check(again.redelivery_count() == 1, f"redelivery_count {again.redelivery_count()}, expected 1")
    c.acknowledge(again)


@scenario("delayed-delivery-timing")
def delayed_delivery_timing(cx):
    """PROTOCOL.md §5.3: deliver_after and deliver_at on a Shared subscription; each message arrives no earlier than its
    time minus one tick (real Pulsar may be a tick early) and within one tick plus 1 s after it, in the order of
    their times; a message without a delay is not held behind them."""
    cl = cx.client()
    t = topic("delay-timing")
    c = cl.subscribe(t, "sub", consumer_type=ConsumerType.Shared, initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, batching_enabled=False)
    due = {}
    for name, delay_ms, how in [("after-5", 5000, "after"), ("at-2", 2000, "at"), ("after-7", 7000, "after"),
                                ("at-3", 3000, "at"), ("now", 0, None)]:
        if how == "after":
            due[name] = time.time() + delay_ms / 1000
            p.send(name.encode(), deliver_after=timedelta(milliseconds=delay_ms))
        elif how == "at":
            at_ms = int(time.time() * 1000) + delay_ms
            due[name] = at_ms / 1000
            p.send(name.encode(), deliver_at=at_ms)
        else:
            p.send(name.encode())
    arrivals = receive_timed(c, 5, 20)
    names = [n for n, _ in arrivals]
    check(len(names) == 5, f"received {names}, expected 5 messages")
    check(names == ["now", "at-2", "at-3", "after-5", "after-7"], f"arrival order {names}")
    check_delayed_timing(arrivals, due)


@scenario("batch-index-ack")
def batch_index_ack(cx):
    """PROTOCOL.md §2.7 (ACK ack_set, MESSAGE ack_set): with batch-index acknowledgement (consumer batch_index_ack_enabled;
    broker acknowledgmentAtBatchIndexLevelEnabled, on in Vela and in the reference config) acking some messages of a
    batch and reconnecting brings back only the others: the broker keeps the ack set with the cursor and sends it."""
    cl = cx.client()
    t = topic("batch-index-ack")
    c = cl.subscribe(t, "sub", consumer_type=ConsumerType.Shared, initial_position=InitialPosition.Earliest,
                     batch_index_ack_enabled=True)
    p = cl.create_producer(t, batching_enabled=True, batching_max_messages=10, batching_max_publish_delay_ms=1000)
    ids = send_all(p, [f"m{i}" for i in range(10)])
    check(len({(i.ledger_id(), i.entry_id()) for i in ids}) == 1, "the 10 messages were not sent as one batch")
    got = drain(c, 10)
    check(texts(got) == [f"m{i}" for i in range(10)], f"first delivery {texts(got)}")
    for m in got:
        if int(m.data()[1:]) % 2 == 0:
            c.acknowledge(m)
    time.sleep(1.0)  # acks are grouped for up to 100 ms before they go out
    cx.close_all()
    cl = cx.client()
    c = cl.subscribe(t, "sub", consumer_type=ConsumerType.Shared, initial_position=InitialPosition.Earliest,
                     batch_index_ack_enabled=True)
    again = texts(drain(c, 10, seconds=3))
    check(again == [f"m{i}" for i in range(1, 10, 2)], f"after reconnecting got {again}, expected only the unacked m1 m3 m5 m7 m9")


@scenario("backlog-quota-producer-exception")
def backlog_quota_producer_exception(cx):
    """PROTOCOL.md §5.5 / §2.10: with a namespace backlog quota (POST …/backlogQuota, policy producer_exception) that the
    slowest subscription's backlog exceeds, a new producer is refused with ProducerBlockedQuotaExceededException
    (PersistentTopic.checkBacklogQuotaExceeded); once the backlog is acknowledged producers are accepted again."""
    ns = f"public/compat-quota-{RUN_ID}-py"
    status, body = admin_call("PUT", f"/admin/v2/namespaces/{ns}")
    check(status in (204, 409), f"creating namespace {ns}: HTTP {status} {body}")
    quota = {"limitSize": 10 * 1024, "limitTime": -1, "policy": "producer_exception"}
    status, body = admin_call("POST", f"/admin/v2/namespaces/{ns}/backlogQuota?backlogQuotaType=destination_storage", quota)
    check(status == 204, f"setting the backlog quota: HTTP {status} {body}")
    t = f"persistent://{ns}/quota-{random.randint(0, 1 << 30)}"
    cl = cx.client()
    c = cl.subscribe(t, "slow", initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, batching_enabled=False)
    send_all(p, [b"x" * 1024] * 30)
    try:
        cl.create_producer(t, batching_enabled=False)
        raise AssertionError("a new producer was accepted with 30 KiB of backlog over a 10 KiB quota")
    except pulsar.ProducerBlockedQuotaExceededException:
        pass
    for m in drain(c, 30):
        c.acknowledge(m)
    deadline = time.time() + wait_s(20)
    while True:
        try:
            cl.create_producer(t, batching_enabled=False)
            break
        except pulsar.ProducerBlockedQuotaExceededException:
            check(time.time() < deadline, "producers still refused after the backlog was acknowledged")
            time.sleep(0.5)


# ------------------------------------------------------------------------------------------------
# broker restarts (through the runner's control endpoint)


@scenario("restart-subscription-position")
def restart_subscription_position(cx):
    """PULSAR-REFERENCE.md §5.1: a durable cursor (mark-delete + individually acked ranges) survives a restart."""
    if not CONTROL_URL:
        raise Skip("no control endpoint (external broker): cannot restart it")
    cl = cx.client()
    t = topic("restart-pos")
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, batching_enabled=False)
    send_all(p, [f"m{i}" for i in range(10)])
    got = drain(c, 10)
    check(len(got) == 10, f"received {len(got)} of 10")
    for m in got[:5] + [got[7]]:
        c.acknowledge(m)
    time.sleep(0.5)
    cx.close_all()
    control_restart("term")
    cl = cx.client()
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    again = []
    while True:
        m = recv(c, wait_s(30) if not again else 2.0)
        if m is None:
            break
        again.append(m.data().decode())
    check(again == ["m5", "m6", "m8", "m9"], f"after restart got {again}, expected m5 m6 m8 m9")


@scenario("consumer-across-restart")
def consumer_across_restart(cx):
    """PROTOCOL.md §2.6/§2.7: producers and consumers that stay open across a broker restart reconnect by
    themselves (lookup, PRODUCER/SUBSCRIBE again); the durable cursor keeps acked messages acked
    (PULSAR-REFERENCE.md §5.1), so the consumer gets exactly the messages published after its acks."""
    if not CONTROL_URL:
        raise Skip("no control endpoint (external broker): cannot restart it")
    cl = cx.client()
    t = topic("open-restart")
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, batching_enabled=False, send_timeout_millis=int(300_000 * SCALE))
    send_all(p, [f"m{i}" for i in range(5)])
    check(texts(drain(c, 5, ack=True)) == [f"m{i}" for i in range(5)], "first five not received")
    time.sleep(0.5)
    control_restart("term")
    for i in range(5, 10):
        p.send(f"m{i}".encode())  # waits for the producer to reconnect and for the receipt
    got = []
    while len(got) < 5:
        m = recv(c, wait_s(60) if not got else 5.0)
        if m is None:
            break
        got.append(m.data().decode())
        c.acknowledge(m)
    extra = recv(c, 1.5)
    if extra is not None:
        got.append(extra.data().decode())
    check(got == [f"m{i}" for i in range(5, 10)], f"after the restart the open consumer got {got}")


@scenario("durability-kill")
def durability_kill(cx):
    """PULSAR-REFERENCE.md §5.10: SEND_RECEIPT means persisted; a process crash (SIGKILL) loses nothing receipted."""
    if not CONTROL_URL:
        raise Skip("no control endpoint (external broker): cannot restart it")
    n = 2000
    cl = cx.client()
    t = topic("durable")
    cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest).close()
    p = cl.create_producer(t, batching_enabled=True, batching_max_publish_delay_ms=5, max_pending_messages=500,
                           block_if_queue_full=True)
    ids = send_all(p, [f"d{i:05d}" for i in range(n)])
    check(all(x is not None for x in ids), "not every send was receipted")
    cx.close_all()
    control_restart("kill")
    cl = cx.client()
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest, receiver_queue_size=1000)
    got = []
    while len(got) < n:
        m = recv(c, wait_s(30) if not got else 5.0)
        if m is None:
            break
        got.append(m.data().decode())
        c.acknowledge(m)
    want = [f"d{i:05d}" for i in range(n)]
    missing = sorted(set(want) - set(got))
    check(not missing, f"{len(missing)} receipted messages lost after SIGKILL, e.g. {missing[:5]}")
    check(got == want, "all messages present but not in publish order (or duplicated)")


@scenario("producer-across-restart")
def producer_across_restart(cx):
    """PROTOCOL.md §2.6: after a broker restart the client reconnects and resends what is pending; every
    receipted message must be stored (PULSAR-REFERENCE.md §5.10), first occurrences in send order (§5.3)."""
    if not CONTROL_URL:
        raise Skip("no control endpoint (external broker): cannot restart it")
    cl = cx.client()
    t = topic("live-restart")
    cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest).close()
    p = cl.create_producer(t, batching_enabled=False, max_pending_messages=100, block_if_queue_full=True,
                           send_timeout_millis=int(300_000 * SCALE))
    lock = threading.Lock()
    receipted = set()
    failed = []
    stop = threading.Event()
    sent = [0]

    def cb(i):
        def f(res, _mid):
            with lock:
                if res == pulsar.Result.Ok:
                    receipted.add(i)
                else:
                    failed.append((i, str(res)))
        return f

    def sender():
        i = 0
        while not stop.is_set():
            p.send_async(f"r{i:06d}".encode(), cb(i))
            i += 1
            sent[0] = i
            time.sleep(0.002)

    th = threading.Thread(target=sender, daemon=True)
    th.start()
    try:
        deadline = time.time() + wait_s(30)
        while len(receipted) < 200 and time.time() < deadline:
            time.sleep(0.05)
        check(len(receipted) >= 200, f"only {len(receipted)} receipts before the restart")
        control_restart("term")
        before = len(receipted)
        deadline = time.time() + wait_s(120)
        while len(receipted) < before + 200 and time.time() < deadline:
            time.sleep(0.1)
        check(len(receipted) >= before + 200, f"producer did not recover: {len(receipted) - before} receipts after restart")
    finally:
        stop.set()
        th.join(timeout=wait_s(60))
    p.flush()
    check(not failed, f"{len(failed)} sends failed, e.g. {failed[:3]}")
    p.close()
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest, receiver_queue_size=1000)
    got = []
    while True:
        m = recv(c, wait_s(30) if not got else 3.0)
        if m is None:
            break
        got.append(int(m.data().decode()[1:]))
        c.acknowledge(m)
    missing = sorted(receipted - set(got))
    check(not missing, f"{len(missing)} receipted messages lost across the restart, e.g. {missing[:5]}")
    firsts = []
    seen = set()
    for i in got:
        if i not in seen:
            seen.add(i)
            firsts.append(i)
    check(firsts == sorted(firsts), "messages stored out of send order across the restart")


@scenario("delayed-delivery-restart")
def delayed_delivery_restart(cx):
    """PROTOCOL.md §5.3: delayed messages stay delayed across a broker restart (kill): none arrives before its time
    (minus one tick), all arrive, each within one tick plus 1 s of its time or of the moment the broker was back."""
    if not CONTROL_URL:
        raise Skip("no control endpoint (external broker): cannot restart it")
    cl = cx.client()
    t = topic("delay-restart")
    c = cl.subscribe(t, "sub", consumer_type=ConsumerType.Shared, initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, batching_enabled=False)
    base_ms = int(time.time() * 1000) + 25_000
    due = {}
    for i in range(5):
        due[f"d{i}"] = (base_ms + i * 1000) / 1000
        p.send(f"d{i}".encode(), deliver_at=base_ms + i * 1000)
    p.send(b"now")
    m = recv(c, wait_s(10))
    check(m is not None and m.data() == b"now", f"the undelayed message did not come first: {m.data() if m else None!r}")
    c.acknowledge(m)
    stray = recv(c, 1.0)
    check(stray is None, f"delayed message {stray.data() if stray else None!r} delivered long before its time")
    cx.close_all()
    control_restart("kill")
    cl = cx.client()
    c = cl.subscribe(t, "sub", consumer_type=ConsumerType.Shared, initial_position=InitialPosition.Earliest)
    back_at = time.time()
    arrivals = receive_timed(c, 5, max(40, base_ms / 1000 + 10 - time.time()))
    check(sorted(n for n, _ in arrivals) == sorted(due), f"after the restart received {[n for n, _ in arrivals]}")
    check_delayed_timing(arrivals, due, not_before_extra=back_at)


@scenario("dedup-across-restart")
def dedup_across_restart(cx):
    """PROTOCOL.md §5.4 (MessageDeduplication): with deduplication on for the namespace (POST …/deduplication), a producer
    that re-sends sequence ids after a broker restart (kill) creates no duplicates: PRODUCER_SUCCESS.last_sequence_id
    is the highest id stored before the crash, and re-sent ids are acknowledged without being stored again."""
    if not CONTROL_URL:
        raise Skip("no control endpoint (external broker): cannot restart it")
    ns = dedup_namespace()
    t = f"persistent://{ns}/dedup-{random.randint(0, 1 << 30)}"
    name = f"dedup-producer-{RUN_ID}"
    cl = cx.client()
    anchor(cl, t)
    p = cl.create_producer(t, producer_name=name, batching_enabled=False)
    check(p.last_sequence_id() == -1, f"new producer's last_sequence_id {p.last_sequence_id()}, expected -1")
    for i in range(10):
        p.send(f"m{i}".encode(), sequence_id=i)
    check(p.last_sequence_id() == 9, f"last_sequence_id {p.last_sequence_id()} after sending 0..9")
    cx.close_all()
    control_restart("kill")
    cl = cx.client()
    p = cl.create_producer(t, producer_name=name, batching_enabled=False)
    check(p.last_sequence_id() == 9, f"after the restart last_sequence_id is {p.last_sequence_id()}, expected 9")
    for i in range(5, 15):
        p.send(f"m{i}".encode(), sequence_id=i)
    c = cl.subscribe(t, "anchor", initial_position=InitialPosition.Earliest)
    got = texts(drain(c, 30, seconds=3))
    check(got == [f"m{i}" for i in range(15)], f"stored messages {got}, expected m0..m14 once each")


# ------------------------------------------------------------------------------------------------


def emit(sid, status, reason, ms):
    line = {"scenario": sid, "client": "python", "status": status, "reason": reason, "ms": ms}
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def load_scenario_modules():
    """scen_*.py beside this file hold one feature area each; they run in this module's namespace
    so they use its helpers and its @scenario decorator without importing."""
    here = os.path.dirname(os.path.abspath(__file__))
    for name in sorted(os.listdir(here)):
        if name.startswith("scen_") and name.endswith(".py"):
            path = os.path.join(here, name)
            with open(path) as f:
                exec(compile(f.read(), path, "exec"), globals())


def main():
    load_scenario_modules()
    wanted = [s for s in os.environ.get("COMPAT_SCENARIOS", "").split(",") if s] or list(SCENARIOS)
    for sid in wanted:
        fn = SCENARIOS.get(sid)
        t0 = time.time()
        if fn is None:
            emit(sid, "fail", "not implemented in the python suite", 0)
            continue
        cx = Ctx()
        try:
            fn(cx)
            status, reason = "pass", ""
        except Skip as e:
            status, reason = "skip", str(e)
        except AssertionError as e:
            status, reason = "fail", str(e)
        except Exception as e:  # noqa: BLE001 - any client error is a failure of the scenario
            status, reason = "fail", f"{type(e).__name__}: {e}"
            traceback.print_exc(file=sys.stderr)
        finally:
            cx.close_all()
        emit(sid, status, reason[:500], int((time.time() - t0) * 1000))


if __name__ == "__main__":
    main()
