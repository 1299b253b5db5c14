# Regex (pattern) subscriptions: the consumer finds its topics with GET_TOPICS_OF_NAMESPACE (the C++ client under
# pulsar-client polls it every pattern_auto_discovery_period) and subscribes to every matching topic.
# Exec'd inside suite.py's namespace: uses its helpers (scenario, check, anchor, send_all, recv, admin_call, ...).
import re

# Topic names short enough that the whole pattern stays within Pulsar's subscriptionPatternMaxLength (50), so the
# broker filters it (and a Java watcher could be created for it): persistent://public/default/rx<run><client><n>-…
RX_RUN = RUN_ID[-6:]


def rx_prefix(n):
    return f"persistent://public/default/rx{RX_RUN}py{n}"


def rx_consumer(cl, pattern):
    """A pattern consumer from the earliest position. pulsar-client 3.13.0 checks pattern_auto_discovery_period but
    never hands it to the C++ client (pulsar/__init__.py subscribe), so the C++ default of 60 s applies."""
    return cl.subscribe(re.compile(pattern), "rx-sub", initial_position=InitialPosition.Earliest,
                        pattern_auto_discovery_period=1)


def rx_fill(cl, t, payloads):
    """Create the topic with a durable subscription (so its messages are kept) and send the payloads."""
    anchor(cl, t)
    p = cl.create_producer(t, batching_enabled=False)
    send_all(p, payloads)
    p.close()


def rx_receive(c, n, seconds):
    """Receive (and ack) until n messages arrived or `seconds` (scaled) passed; (payload, topic) pairs."""
    got = []
    deadline = time.time() + wait_s(seconds)
    while len(got) < n and time.time() < deadline:
        m = recv(c, 0.5)
        if m is not None:
            got.append((m.data().decode(), m.topic_name()))
            c.acknowledge(m)
    return got


@scenario("regex-existing-topics")
def regex_existing_topics(cx):
    """PROTOCOL.md §2.9: a pattern consumer subscribes to every existing topic whose name matches the pattern
    (GET_TOPICS_OF_NAMESPACE; TopicList.filterTopics, C++ PatternMultiTopicsConsumerImpl) and to no other."""
    cl = cx.client()
    base = rx_prefix(1)
    m1, m2, other = f"{base}-m-1", f"{base}-m-2", f"{base}-x-1"
    rx_fill(cl, m1, ["m1-a", "m1-b"])
    rx_fill(cl, m2, ["m2-a", "m2-b"])
    rx_fill(cl, other, ["x-a", "x-b"])
    c = rx_consumer(cl, f"{base}-m-.*")
    got = rx_receive(c, 4, 20)
    check(sorted(p for p, _ in got) == ["m1-a", "m1-b", "m2-a", "m2-b"], f"received {sorted(got)}")
    check({t for _, t in got} == {m1, m2}, f"messages came from {sorted({t for _, t in got})}")
    extra = recv(c, 3)
    check(extra is None, f"received {extra and extra.data()!r} from {extra and extra.topic_name()}, which does not match")


@scenario("regex-new-topic-discovered")
def regex_new_topic_discovered(cx):
    """PROTOCOL.md §2.9: a topic created after the pattern consumer subscribed is found by the next
    GET_TOPICS_OF_NAMESPACE poll (every 60 s: see rx_consumer) and its messages are received."""
    cl = cx.client()
    base = rx_prefix(2)
    rx_fill(cl, f"{base}-m-1", ["first"])
    c = rx_consumer(cl, f"{base}-m-.*")
    got = rx_receive(c, 1, 20)
    check([p for p, _ in got] == ["first"], f"received {got} from the existing topic")
    late = f"{base}-m-2"
    rx_fill(cl, late, ["late-1", "late-2"])
    got = rx_receive(c, 2, max(30, 90 / SCALE))
    check(sorted(got) == [("late-1", late), ("late-2", late)], f"from the new topic received {got}")


@scenario("regex-partitioned-topic")
def regex_partitioned_topic(cx):
    """PROTOCOL.md §2.9: the namespace lists a partitioned topic's partitions (NamespaceService.getListOfTopics);
    the pattern matches the base name, so a pattern consumer receives from every partition."""
    cl = cx.client()
    base = rx_prefix(3)
    t = f"{base}-m-p"
    status, body = admin_call("PUT", f"/admin/v2/{t.replace('://', '/')}/partitions", 3)
    check(200 <= status < 300, f"PUT partitions answered HTTP {status} {body}")
    for i in range(3):
        rx_fill(cl, f"{t}-partition-{i}", [f"p{i}"])
    c = rx_consumer(cl, f"{base}-m-.*")
    got = rx_receive(c, 3, 20)
    check(sorted(got) == [(f"p{i}", f"{t}-partition-{i}") for i in range(3)], f"received {sorted(got)}")
