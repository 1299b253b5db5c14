# Message TTL, retention, backlog quota policies and delayed-message stats, seen through the admin API and the
# client's errors. Exec'd inside suite.py's namespace: uses its helpers (scenario, check, admin_call, drain, ...).


def ret_namespace(what):
    """A namespace of this run for one scenario (PUT /admin/v2/namespaces/{t}/{ns}), so its policies touch nothing else."""
    ns = f"public/compat-{what}-{RUN_ID}-py"
    status, body = admin_call("PUT", f"/admin/v2/namespaces/{ns}")
    check(status in (204, 409), f"creating namespace {ns}: HTTP {status} {body}")
    return ns


def ret_sub_stats(t, sub):
    """The subscription's entry of GET /admin/v2/persistent/.../stats, and the topic's stats."""
    status, body = admin_call("GET", f"/admin/v2/{t.replace('://', '/')}/stats")
    check(status == 200 and isinstance(body, dict), f"GET stats of {t}: HTTP {status} {body}")
    return body.get("subscriptions", {}).get(sub, {}), body


def ret_wait_until(seconds, every_s, probe):
    """Polls probe() until it is true or `seconds` (scaled) pass; returns its last value."""
    deadline = time.time() + wait_s(seconds)
    while True:
        value = probe()
        if value or time.time() > deadline:
            return value
        time.sleep(every_s)


def ret_set_backlog_quota(ns, limit_bytes, policy):
    quota = {"limitSize": limit_bytes, "limitTime": -1, "policy": policy}
    status, body = admin_call("POST", f"/admin/v2/namespaces/{ns}/backlogQuota?backlogQuotaType=destination_storage", quota)
    check(status == 204, f"setting the backlog quota: HTTP {status} {body}")


def ret_payload(i):
    """1 KiB: 'mNN-' 256 times."""
    return (f"m{i:02d}-" * 256).encode()


def ret_fill_backlog(cl, t):
    """A slow subscription and 30 KiB of backlog (30 unbatched 1 KiB messages) on a new topic."""
    c = cl.subscribe(t, "slow", initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, batching_enabled=False)
    send_all(p, [ret_payload(i) for i in range(30)])
    p.close()
    return c


@scenario("message-ttl-expiry")
def message_ttl_expiry(cx):
    """PROTOCOL.md §5.5: with a namespace message TTL (POST …/messageTTL) the broker's periodic expiry
    (messageExpiryCheckIntervalInMinutes; PersistentTopic.checkMessageExpiry, PersistentMessageExpiryMonitor) moves every
    subscription past messages older than the TTL: the subscription's msgBacklog in GET …/stats drops from 5 to 0 and the
    subscription then delivers nothing."""
    ns = ret_namespace("ttl")
    status, body = admin_call("POST", f"/admin/v2/namespaces/{ns}/messageTTL", 5)
    check(status == 204, f"setting the message TTL: HTTP {status} {body}")
    status, body = admin_call("GET", f"/admin/v2/namespaces/{ns}/messageTTL")
    check(status == 200 and body == 5, f"GET messageTTL: HTTP {status} {body}")
    t = f"persistent://{ns}/ttl-{random.randint(0, 1 << 30)}"
    cl = cx.client()
    cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest).close()
    send_all(cl.create_producer(t, batching_enabled=False), [f"m{i}" for i in range(5)])
    backlog = ret_sub_stats(t, "sub")[0].get("msgBacklog")
    check(backlog == 5, f"msgBacklog after producing: {backlog}")
    expired = ret_wait_until(110, 2.0, lambda: ret_sub_stats(t, "sub")[0].get("msgBacklog") == 0)
    check(expired, f"messages never expired: msgBacklog {ret_sub_stats(t, 'sub')[0].get('msgBacklog')}")
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    stray = recv(c, 2.0)
    check(stray is None, f"expired message {stray.data() if stray else None!r} still delivered")


@scenario("retention-keeps-acked")
def retention_keeps_acked(cx):
    """PROTOCOL.md §5.5: with a namespace retention policy (POST …/retention) acknowledged messages are kept: the
    subscription's msgBacklog is 0, the topic's storageSize stays above 0, and a reader from the earliest position still
    reads every message (ManagedLedgerImpl trims only what retention allows)."""
    ns = ret_namespace("retention")
    status, body = admin_call("POST", f"/admin/v2/namespaces/{ns}/retention",
                              {"retentionTimeInMinutes": 60, "retentionSizeInMB": 100})
    check(status == 204, f"setting retention: HTTP {status} {body}")
    status, body = admin_call("GET", f"/admin/v2/namespaces/{ns}/retention")
    check(status == 200 and isinstance(body, dict) and body.get("retentionTimeInMinutes") == 60
          and body.get("retentionSizeInMB") == 100, f"GET retention: HTTP {status} {body}")
    t = f"persistent://{ns}/ret-{random.randint(0, 1 << 30)}"
    cl = cx.client()
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    want = [f"m{i}" for i in range(5)]
    send_all(cl.create_producer(t, batching_enabled=False), want)
    check(texts(drain(c, 5, ack=True)) == want, "the subscription did not get m0..m4")
    acked = ret_wait_until(10, 0.5, lambda: ret_sub_stats(t, "sub")[0].get("msgBacklog") == 0)
    check(acked, f"msgBacklog after acking everything: {ret_sub_stats(t, 'sub')[0].get('msgBacklog')}")
    storage = ret_sub_stats(t, "sub")[1].get("storageSize")
    check(isinstance(storage, int) and storage > 0, f"storageSize {storage} with retention on")
    reader = cl.create_reader(t, MessageId.earliest)
    got = []
    while len(got) < 5:
        m = read(reader, wait_s(10))
        if m is None:
            break
        got.append(m.data().decode())
    check(got == want, f"a reader from earliest read {got} of the acknowledged messages")


@scenario("backlog-quota-producer-request-hold")
def backlog_quota_producer_request_hold(cx):
    """PROTOCOL.md §5.5 / §2.10: under producer_request_hold, PRODUCER on a topic over its backlog quota is answered with
    ProducerBlockedQuotaExceededError (ServerCnx.handleProducer, PersistentTopic.checkBacklogQuotaExceeded); the C++
    client treats it as fatal for a new producer (isResultRetryable). Once the backlog is acknowledged producers are
    accepted again."""
    ns = ret_namespace("quota-hold")
    ret_set_backlog_quota(ns, 10 * 1024, "producer_request_hold")
    t = f"persistent://{ns}/hold-{random.randint(0, 1 << 30)}"
    cl = cx.client()
    c = ret_fill_backlog(cl, t)
    try:
        cl.create_producer(t, batching_enabled=False)
        raise AssertionError("a new producer was accepted with 30 KiB of backlog over a 10 KiB quota")
    except pulsar.ProducerBlockedQuotaExceededError:
        pass
    for m in drain(c, 30):
        c.acknowledge(m)
    deadline = time.time() + wait_s(20)
    while True:
        try:
            p = cl.create_producer(t, batching_enabled=False)
            break
        except pulsar.ProducerBlockedQuotaExceededError:
            check(time.time() < deadline, "producers still refused after the backlog was acknowledged")
            time.sleep(0.5)
    p.send(b"after")
    m = recv(c, wait_s(10))
    check(m is not None and m.data() == b"after", "the new producer's message did not arrive")


@scenario("backlog-quota-consumer-eviction")
def backlog_quota_consumer_eviction(cx):
    """PROTOCOL.md §5.5: under consumer_backlog_eviction producers are never refused; the periodic quota check
    (backlogQuotaCheckIntervalInSeconds) makes the slowest cursor skip its oldest entries until the backlog is under 90 %
    of the quota (BacklogQuotaManager.dropBacklogForSizeLimit): the subscription then gets only a suffix of the
    messages, ending with the newest."""
    ns = ret_namespace("quota-evict")
    ret_set_backlog_quota(ns, 10 * 1024, "consumer_backlog_eviction")
    t = f"persistent://{ns}/evict-{random.randint(0, 1 << 30)}"
    cl = cx.client()
    ret_fill_backlog(cl, t).close()
    cl.create_producer(t, batching_enabled=False).close()
    backlog = ret_sub_stats(t, "slow")[0].get("msgBacklog")
    check(backlog == 30, f"msgBacklog before eviction: {backlog}")
    evicted = ret_wait_until(100, 2.0, lambda: (ret_sub_stats(t, "slow")[0].get("msgBacklog") or 30) < 30)
    check(evicted, f"the slow subscription's backlog was never evicted: msgBacklog {ret_sub_stats(t, 'slow')[0].get('msgBacklog')}")
    c = cl.subscribe(t, "slow", initial_position=InitialPosition.Earliest)
    got = []
    while True:
        m = recv(c, wait_s(10) if not got else 2.0)
        if m is None:
            break
        got.append(m.data())
        c.acknowledge(m)
    check(0 < len(got) < 30, f"after eviction the subscription delivered {len(got)} messages")
    check(got == [ret_payload(i) for i in range(30 - len(got), 30)],
          f"after eviction the subscription did not deliver the newest {len(got)} messages in order")


@scenario("delayed-delivery-msg-delayed-stat")
def delayed_delivery_msg_delayed_stat(cx):
    """PROTOCOL.md §5.3: the subscription stats count the delayed messages the dispatcher holds (msgDelayed,
    Dispatcher.getNumberOfDelayedMessages) and leave them out of msgBacklogNoDelayed."""
    cl = cx.client()
    t = topic("delay-stat")
    c = cl.subscribe(t, "sub", consumer_type=ConsumerType.Shared, initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, batching_enabled=False)
    for i in range(3):
        p.send(f"later{i}".encode(), deliver_after=timedelta(seconds=60))
    p.send(b"now")
    m = recv(c, wait_s(10))
    check(m is not None and m.data() == b"now", f"the undelayed message did not come: {m.data() if m else None!r}")
    c.acknowledge(m)
    want = {"msgDelayed": 3, "msgBacklog": 3, "msgBacklogNoDelayed": 0}
    seen = {}

    def counted():
        sub = ret_sub_stats(t, "sub")[0]
        seen.update({k: sub.get(k) for k in want})
        return seen == want

    check(ret_wait_until(10, 0.5, counted), f"subscription stats {seen}, expected {want}")


@scenario("backlog-quota-producer-exception-send")
def backlog_quota_producer_exception_send(cx):
    """PROTOCOL.md §5.5 / §2.10: a producer connected before the backlog grew over a producer_exception quota keeps
    sending until the periodic quota check (backlogQuotaCheckIntervalInSeconds) disconnects it
    (BacklogQuotaManager.disconnectProducers); its reconnection is refused with ProducerBlockedQuotaExceededException and
    the client fails its pending sends with it (C++ ProducerImpl::handleCreateProducer failPendingMessages)."""
    ns = ret_namespace("quota-send")
    ret_set_backlog_quota(ns, 10 * 1024, "producer_exception")
    t = f"persistent://{ns}/send-{random.randint(0, 1 << 30)}"
    cl = cx.client()
    c = cl.subscribe(t, "slow", initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, batching_enabled=False)
    send_all(p, [ret_payload(i) for i in range(30)])
    deadline = time.time() + wait_s(100)
    sent = 30
    while True:
        try:
            p.send(ret_payload(sent % 100))
            sent += 1
        except pulsar.ProducerBlockedQuotaExceededException:
            break
        check(time.time() < deadline, f"{sent} sends over the quota all succeeded: the producer was never refused")
        time.sleep(1.0)
    for m in drain(c, sent, seconds=5):
        c.acknowledge(m)
    deadline = time.time() + wait_s(20)
    while True:
        try:
            cl.create_producer(t, batching_enabled=False)
            break
        except pulsar.ProducerBlockedQuotaExceededException:
            check(time.time() < deadline, "producers still refused after the backlog was acknowledged")
            time.sleep(0.5)


@scenario("backlog-quota-request-hold-send")
def backlog_quota_request_hold_send(cx):
    """PROTOCOL.md §5.5 / §2.10: under producer_request_hold the periodic quota check disconnects a connected producer
    (BacklogQuotaManager.disconnectProducers) and its reconnection is answered with ProducerBlockedQuotaExceededError: the
    client keeps its sends pending (held, not failed) and retries; once the backlog is acknowledged the producer
    reconnects and the held send completes and is delivered."""
    ns = ret_namespace("quota-hold-send")
    ret_set_backlog_quota(ns, 10 * 1024, "producer_request_hold")
    t = f"persistent://{ns}/hold-send-{random.randint(0, 1 << 30)}"
    cl = cx.client()
    c = cl.subscribe(t, "slow", initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, batching_enabled=False, send_timeout_millis=int(120_000 * SCALE))
    send_all(p, [ret_payload(i) for i in range(30)])
    disconnected = ret_wait_until(100, 0.5, lambda: not p.is_connected())
    check(disconnected, "the producer was never disconnected while over the quota")
    done = threading.Event()
    result = []
    p.send_async(b"held", lambda res, _id: (result.append(res), done.set()))
    check(not done.wait(3.0), f"the send was not held while over the quota: {result}")
    for m in drain(c, 30, seconds=5):
        c.acknowledge(m)
    check(done.wait(wait_s(30)), "the held send never completed after the backlog was acknowledged")
    check(result == [pulsar.Result.Ok], f"the held send completed with {result}")
    m = recv(c, wait_s(10))
    check(m is not None and m.data() == b"held", "the held message was not delivered")
