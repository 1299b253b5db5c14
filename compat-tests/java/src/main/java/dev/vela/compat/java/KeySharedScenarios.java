package dev.vela.compat.java;

import static dev.vela.compat.java.KeyShared.EDGE_KEYS;
import static dev.vela.compat.java.KeyShared.keyed;
import static dev.vela.compat.java.KeyShared.named;
import static dev.vela.compat.java.KeyShared.range;
import static dev.vela.compat.java.KeyShared.receiveFromAll;
import static dev.vela.compat.java.KeyShared.sendKeyed;
import static dev.vela.compat.java.KeyShared.sticky;
import static dev.vela.compat.java.KeyShared.stickySlot;
import static dev.vela.compat.java.KeyShared.sub;
import static dev.vela.compat.java.Support.check;
import static dev.vela.compat.java.Support.drain;
import static dev.vela.compat.java.Support.recv;
import static dev.vela.compat.java.Support.textOrNull;
import static dev.vela.compat.java.Support.topic;
import static dev.vela.compat.java.Support.waitS;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.apache.pulsar.client.api.BatcherBuilder;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.KeySharedPolicy;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.SubscriptionType;

/** Key_Shared in depth (PROTOCOL.md §4): distribution, sticky keys, the AUTO_SPLIT ring, draining, STICKY ranges. */
final class KeySharedScenarios {
    private KeySharedScenarios() {}

    static void register() {
        Suite.register("key-shared-many-keys", cx -> distribution(cx, "ks-many", false, false));
        Suite.register("key-shared-ordering-key", cx -> distribution(cx, "ks-okey", true, false));
        Suite.register("key-shared-key-based-batching", cx -> distribution(cx, "ks-kbatch", false, true));
        Suite.register("key-shared-auto-split-ring", KeySharedScenarios::autoSplitRing);
        Suite.register("key-shared-consumer-joins-ordering", KeySharedScenarios::consumerJoinsOrdering);
        Suite.register("key-shared-close-redelivers", KeySharedScenarios::closeRedelivers);
        Suite.register("key-shared-nack-order", KeySharedScenarios::nackOrder);
        Suite.register("key-shared-sticky-ranges", KeySharedScenarios::stickyRanges);
        Suite.register("key-shared-sticky-uncovered-waits", KeySharedScenarios::stickyUncoveredWaits);
        Suite.register("key-shared-sticky-overlap-refused", KeySharedScenarios::stickyOverlapRefused);
        Suite.register("key-shared-out-of-order-join", KeySharedScenarios::outOfOrderJoin);
    }

    private static final IntFunction<String> KEY_OF_100 = i -> "key-" + (i % 100);

    /** key-shared-many-keys / -ordering-key / -key-based-batching. PROTOCOL.md §4.1/§4.3/§4.7: 1000 messages over 100
     *  keys to 3 AUTO_SPLIT consumers (KeySharedSubscriptionTest.receiveAndCheckDistribution): one key never on two
     *  consumers, per-key order, each consumer within ±40% of the mean, nothing lost. With orderingKey set, it is the
     *  sticky key, not the partition key (Commands.resolveStickyKey). With BatcherBuilder.KEY_BASED each batch holds one
     *  key and the broker routes the entry by its batch-level key. */
    static void distribution(Ctx cx, String name, boolean orderingKey, boolean batching) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic(name);
        Map<String, Consumer<byte[]>> cs = new LinkedHashMap<>();
        for (String n : List.of("c1", "c2", "c3")) cs.put(n, sub(cl, t, n, null));
        var pb = cl.newProducer().topic(t).blockIfQueueFull(true);
        Producer<byte[]> p = batching
                ? pb.enableBatching(true).batcherBuilder(BatcherBuilder.KEY_BASED).batchingMaxMessages(1000)
                        .batchingMaxPublishDelay(50, TimeUnit.MILLISECONDS).create()
                : pb.enableBatching(false).create();
        int n = 1000;
        List<KeyShared.Item> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // with ordering keys, a different partition key on every message: routing by it would split each ordering
            // key's 10 messages over the consumers
            items.add(orderingKey ? new KeyShared.Item("ok-" + (i % 100) + ":" + i, "pk-" + i, "ok-" + (i % 100))
                    : new KeyShared.Item(KEY_OF_100.apply(i) + ":" + i, KEY_OF_100.apply(i), null));
        }
        sendKeyed(p, items);
        KeyShared.Log log = new KeyShared.Log();
        int[] batched = {0};
        Map<String, Set<String>> entries = new HashMap<>();
        int total = receiveFromAll(cs, n, (cname, c, m) -> {
            String key = log.add(cname, m);
            int i = KeyShared.Log.index(m);
            if (orderingKey) {
                String ok = m.hasOrderingKey() ? new String(m.getOrderingKey(), StandardCharsets.UTF_8) : null;
                check(key.equals(ok), "ordering_key " + ok + " on " + key + ":" + i);
                check(("pk-" + i).equals(m.getKey()), "partition_key " + m.getKey() + " on " + key + ":" + i);
            } else {
                check(key.equals(m.getKey()), "partition_key " + m.getKey() + " on " + key + ":" + i);
            }
            Support.Mid id = Support.Mid.of(m.getMessageId());
            if (id.batch() > 0) batched[0]++;
            entries.computeIfAbsent(id.ledger() + ":" + id.entry(), x -> new TreeSet<>()).add(key);
            c.acknowledge(m);
        }, 60, 4.0);
        check(total == n, "received " + total + " of " + n + " (per consumer " + log.byConsumer + ")");
        log.checkExactlyOnce(range(0, n));
        log.checkSingleOwner();
        log.checkPerKeyOrder();
        double mean = (double) n / cs.size();
        for (String cname : cs.keySet()) {
            int got = log.byConsumer.getOrDefault(cname, 0);
            check(0.6 * mean <= got && got <= 1.4 * mean, cname + " got " + got + " messages, outside ±40% of the mean "
                    + Math.round(mean) + " (per consumer " + log.byConsumer + ")");
        }
        if (batching) {
            check(batched[0] > 0, "no message arrived in a batch: key-based batching was not exercised");
            for (Set<String> ks : entries.values()) check(ks.size() == 1, "a key-based batch mixed keys: " + ks);
        }
    }

    /** PROTOCOL.md §4.3: AUTO_SPLIT uses Pulsar 4.x's consistent-hash ring; each key goes to exactly the consumer the
     *  ring selects, and after a consumer leaves, to the ring of the remaining ones
     *  (ConsistentHashingStickyKeyConsumerSelectorTest.testShouldNotChangeSelectedConsumerWhenConsumerIsRemoved). */
    static void autoSplitRing(Ctx cx) throws Exception {
        check(KeyShared.murmur3("key-1") == 2561742240L, "murmur3 test vector");
        PulsarClient cl = cx.client();
        String t = topic("ks-ring");
        Map<String, Consumer<byte[]>> cs = new LinkedHashMap<>();
        for (String n : List.of("c1", "c2", "c3")) cs.put(n, sub(cl, t, n, null));
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        ringRound(p, cs, 0);
        cs.remove("c2").close();
        ringRound(p, cs, 100);
    }

    private static void ringRound(Producer<byte[]> p, Map<String, Consumer<byte[]>> cs, int start) throws Exception {
        Function<String, String> select = KeyShared.autoSplitRing(new ArrayList<>(cs.keySet()));
        sendKeyed(p, keyed(KEY_OF_100, start, start + 100));
        KeyShared.Log log = new KeyShared.Log();
        List<String> wrong = new ArrayList<>();
        int total = receiveFromAll(cs, 100, (name, c, m) -> {
            String k = log.add(name, m);
            if (!select.apply(k).equals(name)) wrong.add(k + " on " + name + " (ring: " + select.apply(k) + ")");
            c.acknowledge(m);
        });
        check(wrong.isEmpty(), "with consumers " + cs.keySet() + ", " + wrong.size()
                + " keys not where Pulsar's ring puts them, e.g. " + KeyShared.head(wrong, 3));
        check(total == 100, "received " + total + " of 100");
        log.checkExactlyOnce(range(start, start + 100));
    }

    /** PROTOCOL.md §4.5 (PIP-379 draining hashes; KeySharedSubscriptionTest.testOrderingWhenAddingConsumers): a key moved
     *  to a joining consumer is not delivered there while the old owner holds unacked messages of it; after the old
     *  owner closes, the newcomer receives everything in per-key order. */
    static void consumerJoinsOrdering(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("ks-join");
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        Consumer<byte[]> c1 = sub(cl, t, "c1", null);
        IntFunction<String> key = i -> "key-" + (i % 10);
        sendKeyed(p, keyed(key, 0, 10));
        List<Message<byte[]>> held = drain(c1, 10, false); // received, never acked
        check(held.size() == 10, "first consumer received " + held.size() + " of 10");
        Consumer<byte[]> c2 = sub(cl, t, "c2", null);
        sendKeyed(p, keyed(key, 10, 20));
        Message<byte[]> early = recv(c2, 1.0); // absence: Pulsar's test waits 100 ms
        check(early == null, "joining consumer got " + textOrNull(early)
                + " while the first held unacked messages of every key (draining hashes)");
        c1.close();
        KeyShared.Log log = new KeyShared.Log();
        for (Message<byte[]> m : drain(c2, 20, true)) log.add("c2", m);
        log.checkExactlyOnce(range(0, 20));
        log.checkPerKeyOrder();
    }

    /** PROTOCOL.md §4.5 and §5.1: a closing consumer's unacked messages go to the replay set and reach the remaining
     *  consumers before newer messages of the same keys (canDispatchEntry holds back hashes in the replay set); removing
     *  a consumer from the ring does not move the others' keys (testShouldNotChangeSelectedConsumerWhenConsumerIsRemoved). */
    static void closeRedelivers(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("ks-close");
        Consumer<byte[]> c1 = sub(cl, t, "c1", null);
        Consumer<byte[]> c2 = sub(cl, t, "c2", null);
        Consumer<byte[]> c3 = sub(cl, t, "c3", null);
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        IntFunction<String> key = i -> "key-" + (i % 20);
        sendKeyed(p, keyed(key, 0, 100));
        KeyShared.Log before = new KeyShared.Log();
        int total = receiveFromAll(named("c1", c1, "c2", c2, "c3", c3), 100, (name, c, m) -> {
            before.add(name, m);
            if (!name.equals("c1")) c.acknowledge(m); // c1 holds its messages unacked
        });
        check(total == 100, "received " + total + " of 100 before the close (per consumer " + before.byConsumer + ")");
        before.checkSingleOwner();
        before.checkPerKeyOrder();
        int held = before.byConsumer.getOrDefault("c1", 0);
        Set<String> c1Keys = new TreeSet<>();
        before.owners.forEach((k, o) -> {
            if (o.equals(Set.of("c1"))) c1Keys.add(k);
        });
        check(held > 0 && c1Keys.size() < 20, "setup: c1 owns " + c1Keys.size() + " of 20 keys");
        c1.close();
        sendKeyed(p, keyed(key, 100, 200));
        KeyShared.Log after = new KeyShared.Log();
        total = receiveFromAll(named("c2", c2, "c3", c3), held + 100, (name, c, m) -> {
            after.add(name, m);
            c.acknowledge(m);
        });
        check(total == held + 100, "after the close received " + total + " of " + held + " redelivered + 100 new");
        List<Integer> want = new ArrayList<>();
        for (int i = 0; i < 200; i++) if (i >= 100 || c1Keys.contains(key.apply(i))) want.add(i);
        after.checkExactlyOnce(want);
        after.checkSingleOwner();
        after.checkPerKeyOrder(); // a redelivered message of a key before any newer one
        Map<String, Set<String>> moved = new TreeMap<>();
        after.owners.forEach((k, o) -> {
            if (!c1Keys.contains(k) && !o.equals(before.owners.get(k))) moved.put(k, o);
        });
        check(moved.isEmpty(), "keys of the remaining consumers moved when c1 left: " + KeyShared.head(moved.entrySet(), 3));
    }

    /** PROTOCOL.md §4.5/§5.2: a negatively acked message comes back (REDELIVER_UNACKNOWLEDGED_MESSAGES) with
     *  redelivery_count ≥ 1 to its key's consumer; PIP-379 gives no ordering guarantee for nacks, so only
     *  exactly-once first delivery, one redelivery per nack and key ownership are asserted. */
    static void nackOrder(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("ks-nack");
        Map<String, Consumer<byte[]>> cs = new LinkedHashMap<>();
        for (String n : List.of("c1", "c2")) {
            cs.put(n, cl.newConsumer().topic(t).subscriptionName("sub").subscriptionType(SubscriptionType.Key_Shared)
                    .consumerName(n).negativeAckRedeliveryDelay(300, TimeUnit.MILLISECONDS).subscribe());
        }
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        int n = 100;
        sendKeyed(p, keyed(i -> "key-" + (i % 10), 0, n));
        Set<Integer> nacked = new TreeSet<>();
        for (int i = 0; i < n; i += 3) nacked.add(i);
        Map<String, Set<String>> owners = new TreeMap<>();
        Map<Integer, Integer> firsts = new TreeMap<>();
        Map<Integer, List<Integer>> redeliveries = new TreeMap<>();
        Map<Integer, Integer> acked = new TreeMap<>();
        int total = receiveFromAll(cs, n + nacked.size(), (name, c, m) -> {
            String s = Support.text(m);
            String k = s.substring(0, s.lastIndexOf(':'));
            int i = KeyShared.Log.index(m);
            owners.computeIfAbsent(k, x -> new TreeSet<>()).add(name);
            int rc = m.getRedeliveryCount();
            if (rc == 0) {
                firsts.merge(i, 1, Integer::sum);
                if (nacked.contains(i)) {
                    c.negativeAcknowledge(m);
                    return;
                }
            } else {
                redeliveries.computeIfAbsent(i, x -> new ArrayList<>()).add(rc);
            }
            acked.merge(i, 1, Integer::sum);
            c.acknowledge(m);
        }, 40, 4.0);
        check(total == n + nacked.size(), "received " + total + " deliveries, expected " + n + " + " + nacked.size() + " redeliveries");
        check(firsts.keySet().equals(new TreeSet<>(range(0, n))) && firsts.values().stream().allMatch(v -> v == 1),
                "first deliveries (redelivery_count 0) not exactly once each: " + firsts.size() + " distinct");
        check(redeliveries.keySet().equals(nacked), "redelivered " + KeyShared.head(redeliveries.keySet(), 10)
                + ", expected the nacked " + KeyShared.head(nacked, 10));
        Map<Integer, List<Integer>> bad = new TreeMap<>();
        redeliveries.forEach((i, rc) -> {
            if (rc.size() != 1 || rc.get(0) < 1) bad.put(i, rc);
        });
        check(bad.isEmpty(), "redelivery counts " + KeyShared.head(bad.entrySet(), 5));
        check(acked.keySet().equals(new TreeSet<>(range(0, n))) && acked.values().stream().allMatch(v -> v == 1),
                "not every message acked exactly once");
        Map<String, Set<String>> split = new TreeMap<>();
        owners.forEach((k, o) -> {
            if (o.size() > 1) split.put(k, o);
        });
        check(split.isEmpty(), "keys delivered to two consumers (redeliveries must go to the key's owner): " + split);
    }

    /** PROTOCOL.md §4.1/§4.2/§4.4: STICKY consumers (HashRangeExclusiveStickyKeyConsumerSelector) receive exactly the keys
     *  whose slot (murmur3 & 0x7fffffff) % 65536 (0 → 1) lies in their inclusive ranges. c1 = [1, 32767], so the key
     *  whose raw slot is 0 reaches c1 only through the 0 → 1 rule (StickyKeyConsumerSelector.makeStickyKeyHash). */
    static void stickyRanges(Ctx cx) throws Exception {
        check(KeyShared.murmur3("key-1") == 2561742240L && stickySlot("key-1") == 5536, "murmur3 test vector");
        EDGE_KEYS.forEach((k, raw) -> check(KeyShared.rawSlot(k) == raw, "edge key " + k + " slot"));
        Map<String, int[]> ranges = new LinkedHashMap<>();
        ranges.put("c1", new int[] {1, 32767});
        ranges.put("c2", new int[] {32768, 65535});
        PulsarClient cl = cx.client();
        String t = topic("ks-sticky");
        Map<String, Consumer<byte[]>> cs = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> r : ranges.entrySet()) {
            cs.put(r.getKey(), sub(cl, t, r.getKey(), sticky(r.getValue()[0], r.getValue()[1])));
        }
        List<String> keys = new ArrayList<>();
        for (int j = 0; j < 50; j++) keys.add("key-" + j);
        keys.addAll(EDGE_KEYS.keySet());
        Map<String, String> expect = KeyShared.stickyExpect(ranges, keys);
        check(!expect.containsValue(null) && new HashSet<>(expect.values()).equals(ranges.keySet()),
                "setup: both consumers must own keys");
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        int n = 4 * keys.size();
        sendKeyed(p, keyed(i -> keys.get(i % keys.size()), 0, n));
        KeyShared.Log log = new KeyShared.Log();
        List<String> wrong = new ArrayList<>();
        int total = receiveFromAll(cs, n, (name, c, m) -> {
            String k = log.add(name, m);
            if (!name.equals(expect.get(k))) wrong.add(k + " (slot " + stickySlot(k) + ") on " + name);
            c.acknowledge(m);
        });
        check(wrong.isEmpty(), wrong.size() + " messages on the wrong consumer, e.g. " + KeyShared.head(wrong, 3));
        check(total == n, "received " + total + " of " + n);
        log.checkExactlyOnce(range(0, n));
        log.checkPerKeyOrder();
    }

    /** PROTOCOL.md §4.2: with STICKY, a message whose slot no consumer covers is not delivered (held in the replay set)
     *  until a consumer covering it connects; then it arrives in per-key order. */
    static void stickyUncoveredWaits(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("ks-uncovered");
        Consumer<byte[]> c1 = sub(cl, t, "c1", sticky(0, 32767));
        List<String> keys = new ArrayList<>();
        for (int j = 0; j < 20; j++) keys.add("key-" + j);
        keys.add("edge-32714");
        keys.add("edge-111552");
        Map<String, int[]> ranges = new LinkedHashMap<>();
        ranges.put("c1", new int[] {0, 32767});
        ranges.put("c2", new int[] {32768, 65535});
        Map<String, String> expect = KeyShared.stickyExpect(ranges, keys);
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        int n = 3 * keys.size();
        sendKeyed(p, keyed(i -> keys.get(i % keys.size()), 0, n));
        List<Integer> mine = new ArrayList<>();
        List<Integer> rest = new ArrayList<>();
        for (int i = 0; i < n; i++) ("c1".equals(expect.get(keys.get(i % keys.size()))) ? mine : rest).add(i);
        check(!mine.isEmpty() && !rest.isEmpty(), "setup: keys on both halves");
        KeyShared.Log log1 = new KeyShared.Log();
        for (Message<byte[]> m : drain(c1, mine.size(), true)) log1.add("c1", m);
        log1.checkExactlyOnce(mine);
        Message<byte[]> extra = recv(c1, 1.0);
        check(extra == null, "c1 got " + textOrNull(extra) + " outside its range");
        Consumer<byte[]> c2 = sub(cl, t, "c2", sticky(32768, 65535));
        KeyShared.Log log2 = new KeyShared.Log();
        for (Message<byte[]> m : drain(c2, rest.size(), true)) log2.add("c2", m);
        log2.checkExactlyOnce(rest);
        log2.checkPerKeyOrder();
    }

    private static void expectAssignError(PulsarClient cl, String t, String name, int start, int end, String what)
            throws Exception {
        try {
            sub(cl, t, name, sticky(start, end)).close();
            throw new AssertionError(what + " was accepted");
        } catch (PulsarClientException.ConsumerAssignException expected) {
            // ConsumerAssignError(19), non-retriable
        } catch (PulsarClientException e) {
            throw new AssertionError(what + ": expected ConsumerAssignException, got " + e.getClass().getSimpleName()
                    + ": " + e.getMessage());
        }
    }

    private static void expectMessage(Consumer<byte[]> c, String name, String payload) throws Exception {
        Message<byte[]> m = recv(c, waitS(10));
        check(m != null && payload.equals(textOrNull(m)), name + " got " + textOrNull(m) + ", expected " + payload);
        c.acknowledge(m);
    }

    /** PROTOCOL.md §4.4 (HashRangeExclusiveStickyKeyConsumerSelector.validateKeySharedMeta;
     *  KeySharedSubscriptionTest.testHashRangeConflict): a STICKY consumer whose range overlaps a connected consumer's gets
     *  ConsumerAssignError and is not added; the first keeps receiving; a disjoint range is accepted, and the refused
     *  range once the first consumer left. */
    static void stickyOverlapRefused(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("ks-overlap");
        Consumer<byte[]> c1 = sub(cl, t, "c1", sticky(0, 32767));
        expectAssignError(cl, t, "c2", 32000, 40000, "a STICKY consumer overlapping [0, 32767] with [32000, 40000]");
        Consumer<byte[]> c3 = sub(cl, t, "c3", sticky(32768, 65535));
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        sendKeyed(p, List.of(new KeyShared.Item("edge-32714:0", "edge-32714", null),
                new KeyShared.Item("edge-111552:1", "edge-111552", null)));
        expectMessage(c1, "c1", "edge-32714:0");
        expectMessage(c3, "c3", "edge-111552:1");
        expectAssignError(cl, t, "c4", 30000, 40000, "[30000, 40000] overlapping c1 and c3");
        c1.close();
        Consumer<byte[]> c5 = sub(cl, t, "c5", sticky(32000, 32767));
        sendKeyed(p, List.of(new KeyShared.Item("edge-32714:2", "edge-32714", null)));
        expectMessage(c5, "c5", "edge-32714:2");
    }

    /** PROTOCOL.md §4.6: with allowOutOfOrderDelivery there is no draining: a joining consumer receives new messages of
     *  the keys it now owns at once, although the old owner still holds unacked ones (contrast with
     *  key-shared-consumer-joins-ordering); after the old owner closes nothing is lost. */
    static void outOfOrderJoin(Ctx cx) throws Exception {
        KeySharedPolicy pol = KeySharedPolicy.autoSplitHashRange().setAllowOutOfOrderDelivery(true);
        PulsarClient cl = cx.client();
        String t = topic("ks-ooo");
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        Consumer<byte[]> c1 = sub(cl, t, "c1", pol);
        IntFunction<String> key = i -> "key-" + (i % 10);
        sendKeyed(p, keyed(key, 0, 10));
        List<Message<byte[]>> held = drain(c1, 10, false);
        check(held.size() == 10, "first consumer received " + held.size() + " of 10");
        Consumer<byte[]> c2 = sub(cl, t, "c2", pol);
        sendKeyed(p, keyed(key, 10, 20));
        KeyShared.Log log = new KeyShared.Log();
        Message<byte[]> m = recv(c2, waitS(10));
        check(m != null, "joining consumer received nothing although out-of-order delivery is allowed");
        log.add("c2", m);
        c2.acknowledge(m);
        // the rest of 10..19 from both consumers (each new message goes to one of them; c1 holds 0..9 unacked)
        receiveFromAll(named("c1", c1, "c2", c2), 9, (name, c, msg) -> {
            log.add(name, msg);
            c.acknowledge(msg);
        });
        List<Integer> c2Old = new ArrayList<>();
        log.seq.forEach((ck, s) -> {
            if (ck.startsWith("c2\t")) for (int i : s) if (i < 10) c2Old.add(i);
        });
        check(c2Old.isEmpty(), "joining consumer got old messages " + c2Old + " while c1 still held them");
        log.checkExactlyOnce(range(10, 20));
        c1.close();
        for (Message<byte[]> x : drain(c2, 10, true)) log.add("c2", x); // c1's unacked 0..9 come back
        log.checkExactlyOnce(range(0, 20)); // nothing lost or duplicated (c1's own deliveries of 0..9 are not logged)
    }
}
