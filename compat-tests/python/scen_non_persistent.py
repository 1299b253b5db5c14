# Non-persistent topics: messages go only to the consumers connected when they are published, and are never stored.
# Exec'd inside suite.py's namespace: uses its helpers (scenario, check, topic, drain, ...).


def np_topic(name):
    """A fresh non-persistent://public/default/... topic of this run."""
    return topic(name).replace("persistent://", "non-persistent://", 1)


# The consumer's first FLOW travels after SUBSCRIBE's answer; a message published before the broker has it is
# dropped for that consumer (NonPersistentDispatcher*.sendMessages). Give the permits time to arrive.
FLOW_SETTLE_S = 1.0


@scenario("non-persistent-produce-consume")
def non_persistent_produce_consume(cx):
    """PROTOCOL.md §3 (topic domains): a non-persistent topic delivers what is published to the consumer connected now,
    in order; the producer's receipt carries message id (0, 0) (NonPersistentTopic.publishMessage completes with
    ledger 0, entry 0) and so does each delivered message (the entry is created with (0, 0))."""
    cl = cx.client()
    t = np_topic("np")
    c = cl.subscribe(t, "sub")
    p = cl.create_producer(t, batching_enabled=False)
    time.sleep(FLOW_SETTLE_S)
    want = [f"n{i}" for i in range(10)]
    ids = send_all(p, want)
    check(all((i.ledger_id(), i.entry_id()) == (0, 0) for i in ids), f"receipt ids {[(i.ledger_id(), i.entry_id()) for i in ids[:3]]}")
    got = drain(c, 10, ack=True)
    check(texts(got) == want, f"received {texts(got)}")
    check((got[0].message_id().ledger_id(), got[0].message_id().entry_id()) == (0, 0), f"delivered id {mid(got[0].message_id())}")


@scenario("non-persistent-not-stored")
def non_persistent_not_stored(cx):
    """PROTOCOL.md §3: nothing of a non-persistent topic is stored. Messages published while the topic has no
    subscription, or while its subscription has no consumer connected, are never delivered to a consumer that comes
    later (NonPersistentTopic.publishMessage only hands the entry to the dispatchers of existing subscriptions with
    consumers; there is no cursor or backlog)."""
    cl = cx.client()
    t = np_topic("np-gone")
    p = cl.create_producer(t, batching_enabled=False)
    send_all(p, ["before-0", "before-1"])
    c = cl.subscribe(t, "sub")
    c.close()
    send_all(p, ["gap-0", "gap-1"])
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    time.sleep(FLOW_SETTLE_S)
    send_all(p, ["after-0", "after-1"])
    got = drain(c, 10, seconds=3, ack=True)
    check(texts(got) == ["after-0", "after-1"], f"received {texts(got)}")


@scenario("non-persistent-shared-split")
def non_persistent_shared_split(cx):
    """PROTOCOL.md §3 and §5.1: a Shared subscription on a non-persistent topic spreads messages over its consumers
    (NonPersistentDispatcherMultipleConsumers: round robin over consumers with permits); each message goes to exactly
    one of them."""
    cl = cx.client()
    t = np_topic("np-shared")
    a = cl.subscribe(t, "sub", consumer_type=ConsumerType.Shared, consumer_name="a")
    b = cl.subscribe(t, "sub", consumer_type=ConsumerType.Shared, consumer_name="b")
    p = cl.create_producer(t, batching_enabled=False)
    time.sleep(FLOW_SETTLE_S)
    want = [f"s{i}" for i in range(20)]
    send_all(p, want)
    got = {"a": [], "b": []}
    receive_from_all({"a": a, "b": b}, 20, lambda name, c, m: (got[name].append(m.data().decode()), c.acknowledge(m)))
    check(sorted(got["a"] + got["b"]) == sorted(want), f"received a={got['a']} b={got['b']}")
    check(got["a"] and got["b"], f"one consumer got everything: a={len(got['a'])} b={len(got['b'])}")


@scenario("non-persistent-partitioned")
def non_persistent_partitioned(cx):
    """PROTOCOL.md §3 and §6.2: PUT /admin/v2/non-persistent/…/partitions (NonPersistentTopics inherits
    createPartitionedTopic; only the metadata is stored) makes a partitioned non-persistent topic: PARTITIONED_METADATA
    answers the count, the client connects to each '-partition-i', and messages produced round robin arrive from every
    partition to the connected consumer."""
    name = f"compat-{RUN_ID}-py-np-part-{random.randint(0, 1 << 30)}"
    status, body = admin_call("PUT", f"/admin/v2/non-persistent/public/default/{name}/partitions", 3)
    check(status == 204, f"PUT partitions: HTTP {status} {body}")
    t = f"non-persistent://public/default/{name}"
    cl = cx.client()
    check(cl.get_topic_partitions(t) == [f"{t}-partition-{i}" for i in range(3)], f"partitions {cl.get_topic_partitions(t)}")
    c = cl.subscribe(t, "sub")
    p = cl.create_producer(t, batching_enabled=False, message_routing_mode=pulsar.PartitionsRoutingMode.RoundRobinDistribution)
    time.sleep(FLOW_SETTLE_S)
    want = [f"p{i}" for i in range(12)]
    send_all(p, want)
    got = drain(c, 12, ack=True)
    check(sorted(texts(got)) == sorted(want), f"received {texts(got)}")
    check({m.topic_name() for m in got} == {f"{t}-partition-{i}" for i in range(3)}, f"messages came from {sorted({m.topic_name() for m in got})}")
