# Partitioned topics made by auto-creation, and partitions added while clients run.
# Exec'd inside suite.py's namespace: uses its helpers (scenario, check, admin_call, ...).


def partition_namespace(what):
    """A namespace of this run for one scenario, so its policies touch nothing else."""
    ns = f"public/compat-{what}-{RUN_ID}-py"
    status, body = admin_call("PUT", f"/admin/v2/namespaces/{ns}")
    check(status in (204, 409), f"creating namespace {ns}: HTTP {status} {body}")
    return ns


@scenario("auto-topic-creation-partitioned")
def auto_topic_creation_partitioned(cx):
    """PROTOCOL.md §2.5 and §6.2: with the namespace policy autoTopicCreation {allowAutoTopicCreation: true,
    topicType: partitioned, defaultNumPartitions: 3} (Namespaces.setAutoTopicCreation), PARTITIONED_METADATA for a
    missing topic creates it as a partitioned topic and answers 3
    (BrokerService.fetchPartitionedTopicMetadataCheckAllowAutoCreationAsync); GET …/partitions then shows 3, and
    messages produced to it arrive from its partitions."""
    ns = partition_namespace("autopart")
    override = {"allowAutoTopicCreation": True, "topicType": "partitioned", "defaultNumPartitions": 3}
    status, body = admin_call("POST", f"/admin/v2/namespaces/{ns}/autoTopicCreation", override)
    check(status == 204, f"setting autoTopicCreation: HTTP {status} {body}")
    status, body = admin_call("GET", f"/admin/v2/namespaces/{ns}/autoTopicCreation")
    check(status == 200 and body == override, f"GET autoTopicCreation: HTTP {status} {body}")
    t = f"persistent://{ns}/auto-{random.randint(0, 1 << 30)}"
    cl = cx.client()
    parts = cl.get_topic_partitions(t)
    check(parts == [f"{t}-partition-{i}" for i in range(3)], f"partitions {parts}")
    status, body = admin_call("GET", f"/admin/v2/{t.replace('://', '/')}/partitions")
    check(status == 200 and body.get("partitions") == 3, f"GET partitions: HTTP {status} {body}")
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, batching_enabled=False, message_routing_mode=pulsar.PartitionsRoutingMode.RoundRobinDistribution)
    send_all(p, [f"a{i}" for i in range(9)])
    got = drain(c, 9, ack=True)
    check(sorted(texts(got)) == sorted(f"a{i}" for i in range(9)), f"received {texts(got)}")
    check({m.topic_name() for m in got} == set(parts), f"messages came from {sorted({m.topic_name() for m in got})}")


@scenario("partition-growth-discovered")
def partition_growth_discovered(cx):
    """PROTOCOL.md §6.2 POST …/partitions (PersistentTopicsBase.internalUpdatePartitionedTopic, which gives the new
    partitions the existing subscriptions): a running producer and consumer discover the added partitions (the C++
    client asks PARTITIONED_METADATA every partitionsUpdateInterval, 60 s, not settable from Python), the producer's
    round robin then writes to them, and the consumer receives from every partition."""
    name = f"compat-{RUN_ID}-py-grow-{random.randint(0, 1 << 30)}"
    path = f"/admin/v2/persistent/public/default/{name}/partitions"
    status, body = admin_call("PUT", path, 2)
    check(status == 204, f"PUT partitions: HTTP {status} {body}")
    t = f"persistent://public/default/{name}"
    cl = cx.client()
    c = cl.subscribe(t, "sub", initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, batching_enabled=False, message_routing_mode=pulsar.PartitionsRoutingMode.RoundRobinDistribution)
    send_all(p, ["g0", "g1"])
    status, body = admin_call("POST", path, 4)
    check(status == 204, f"POST partitions: HTTP {status} {body}")
    want = {f"{t}-partition-{i}" for i in range(4)}
    seen = set()
    sent = 2
    received = 0
    deadline = time.time() + wait_s(100)
    while seen != want and time.time() < deadline:
        send_all(p, [f"g{sent + i}" for i in range(4)])
        sent += 4
        for m in drain(c, 1000, seconds=0.5, ack=True):
            seen.add(m.topic_name())
            received += 1
        time.sleep(1.0)
    check(seen == want, f"after {sent} sends, messages came only from {sorted(seen)}")
    for m in drain(c, sent - received, seconds=3, ack=True):
        received += 1
    check(received == sent, f"received {received} of {sent}")
