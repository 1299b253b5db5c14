package dev.vela.compat.java;

import static dev.vela.compat.java.Support.check;
import static dev.vela.compat.java.Support.text;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.KeySharedPolicy;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Range;
import org.apache.pulsar.client.api.SubscriptionType;
import org.apache.pulsar.client.api.TypedMessageBuilder;

/**
 * Helpers of the Key_Shared scenarios (PROTOCOL.md §4). Payloads are "key:index" with a global publish index, so
 * per-key order means "indices strictly increasing". Consumer names are fixed: the AUTO_SPLIT ring is built from them.
 */
final class KeyShared {
    private KeyShared() {}

    /** Keys whose raw slot (murmur3 & 0x7fffffff) % 65536 sits on a boundary: 0 (becomes 1), 1, 32767, 32768, 65535. */
    static final Map<String, Integer> EDGE_KEYS = new LinkedHashMap<>();

    static {
        EDGE_KEYS.put("edge-53188", 0);
        EDGE_KEYS.put("edge-51848", 1);
        EDGE_KEYS.put("edge-32714", 32767);
        EDGE_KEYS.put("edge-111552", 32768);
        EDGE_KEYS.put("edge-3546", 65535);
    }

    /** MurmurHash3 x86_32, seed 0, little-endian blocks — Pulsar's Murmur3_32Hash before the 0x7fffffff mask
     *  (PROTOCOL.md §4.1). Test vector: murmur3("key-1") = 2561742240 (unsigned). */
    static long murmur3(byte[] data) {
        final int c1 = 0xcc9e2d51;
        final int c2 = 0x1b873593;
        int h = 0;
        int n = data.length;
        int blocks = n / 4;
        for (int b = 0; b < blocks; b++) {
            int i = 4 * b;
            int k = (data[i] & 0xff) | (data[i + 1] & 0xff) << 8 | (data[i + 2] & 0xff) << 16 | (data[i + 3] & 0xff) << 24;
            k *= c1;
            k = Integer.rotateLeft(k, 15);
            k *= c2;
            h ^= k;
            h = Integer.rotateLeft(h, 13) * 5 + 0xe6546b64;
        }
        int k = 0;
        int tail = blocks * 4;
        switch (n & 3) {
            case 3:
                k ^= (data[tail + 2] & 0xff) << 16;
                // fall through
            case 2:
                k ^= (data[tail + 1] & 0xff) << 8;
                // fall through
            case 1:
                k ^= data[tail] & 0xff;
                k *= c1;
                k = Integer.rotateLeft(k, 15);
                k *= c2;
                h ^= k;
                break;
            default:
                break;
        }
        h ^= n;
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h & 0xffffffffL;
    }

    static long murmur3(String s) {
        return murmur3(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Slot of a sticky key for the hash-range selectors: (murmur3 & 0x7fffffff) % 65536, 0 → 1
     *  (StickyKeyConsumerSelector.makeStickyKeyHash, DEFAULT_RANGE_SIZE = 65536). */
    static int stickySlot(String key) {
        int s = (int) ((murmur3(key) & 0x7fffffffL) % 65536);
        return s == 0 ? 1 : s;
    }

    /** Raw slot without the 0 → 1 rule (to check the edge keys). */
    static int rawSlot(String key) {
        return (int) ((murmur3(key) & 0x7fffffffL) % 65536);
    }

    /** Pulsar 4.x's AUTO_SPLIT consistent-hash ring (ConsistentHashingStickyKeyConsumerSelector, 100 points per
     *  consumer at makeStickyKeyHash(name + "\0" + nameIndex + "\0" + i) over [1, 65535]; a point already taken keeps
     *  its first owner; select = first point ≥ hash, wrapping). Returns key → consumer name. */
    static java.util.function.Function<String, String> autoSplitRing(List<String> names) {
        TreeMap<Integer, String> owner = new TreeMap<>();
        for (String n : names) {
            for (int i = 0; i < 100; i++) owner.putIfAbsent(ringHash(n + "\0" + 0 + "\0" + i), n);
        }
        return key -> {
            Map.Entry<Integer, String> e = owner.ceilingEntry(ringHash(key));
            return (e != null ? e : owner.firstEntry()).getValue();
        };
    }

    private static int ringHash(String s) {
        return (int) ((murmur3(s) & 0x7fffffffL) % 65535) + 1;
    }

    static Consumer<byte[]> sub(PulsarClient cl, String t, String name, KeySharedPolicy policy) throws PulsarClientException {
        var b = cl.newConsumer().topic(t).subscriptionName("sub").subscriptionType(SubscriptionType.Key_Shared)
                .consumerName(name);
        if (policy != null) b = b.keySharedPolicy(policy);
        return b.subscribe();
    }

    static KeySharedPolicy sticky(int start, int end) {
        return KeySharedPolicy.stickyHashRange().ranges(Range.of(start, end));
    }

    /** One message to send: payload "key:index", and how to key it. */
    record Item(String payload, String partitionKey, String orderingKey) {}

    static List<Item> keyed(IntFunction<String> keyOf, int from, int to) {
        List<Item> out = new ArrayList<>();
        for (int i = from; i < to; i++) out.add(new Item(keyOf.apply(i) + ":" + i, keyOf.apply(i), null));
        return out;
    }

    static void sendKeyed(Producer<byte[]> p, List<Item> items) throws Exception {
        List<CompletableFuture<MessageId>> fs = new ArrayList<>();
        for (Item it : items) {
            TypedMessageBuilder<byte[]> b = p.newMessage().value(Support.bytes(it.payload()));
            if (it.partitionKey() != null) b = b.key(it.partitionKey());
            if (it.orderingKey() != null) b = b.orderingKey(Support.bytes(it.orderingKey()));
            fs.add(b.sendAsync());
        }
        p.flushAsync();
        Support.awaitAll(fs, Support.waitS(30));
    }

    @FunctionalInterface
    interface OnMessage {
        void accept(String name, Consumer<byte[]> c, Message<byte[]> m) throws Exception;
    }

    /** Poll several consumers until n messages arrived in total, nothing arrived for idleS, or seconds (scaled)
     *  passed; returns how many arrived. */
    static int receiveFromAll(Map<String, Consumer<byte[]>> consumers, int n, OnMessage on, double seconds, double idleS)
            throws Exception {
        int total = 0;
        long deadline = System.nanoTime() + (long) (Support.waitS(seconds) * 1e9);
        long last = System.nanoTime();
        while (total < n && System.nanoTime() < deadline && (System.nanoTime() - last) / 1e9 < idleS) {
            for (Map.Entry<String, Consumer<byte[]>> e : consumers.entrySet()) {
                while (total < n) {
                    Message<byte[]> m = Support.recv(e.getValue(), 0.05);
                    if (m == null) break;
                    total++;
                    last = System.nanoTime();
                    on.accept(e.getKey(), e.getValue(), m);
                }
            }
        }
        return total;
    }

    static int receiveFromAll(Map<String, Consumer<byte[]>> consumers, int n, OnMessage on) throws Exception {
        return receiveFromAll(consumers, n, on, 30, 4.0);
    }

    /** What a set of Key_Shared consumers received: per (consumer, key) the indices in receive order. */
    static final class Log {
        final Map<String, List<Integer>> seq = new LinkedHashMap<>(); // "consumer\tkey" → indices
        final Map<String, Set<String>> owners = new TreeMap<>();
        final Map<Integer, Integer> deliveries = new TreeMap<>();
        final Map<String, Integer> byConsumer = new TreeMap<>();

        /** Records m for consumer `name`; returns its key (index via {@link #index}). */
        String add(String name, Message<byte[]> m) {
            String s = text(m);
            int colon = s.lastIndexOf(':');
            String key = s.substring(0, colon);
            int i = Integer.parseInt(s.substring(colon + 1));
            seq.computeIfAbsent(name + "\t" + key, x -> new ArrayList<>()).add(i);
            owners.computeIfAbsent(key, x -> new TreeSet<>()).add(name);
            deliveries.merge(i, 1, Integer::sum);
            byConsumer.merge(name, 1, Integer::sum);
            return key;
        }

        static int index(Message<byte[]> m) {
            String s = text(m);
            return Integer.parseInt(s.substring(s.lastIndexOf(':') + 1));
        }

        void checkPerKeyOrder() {
            seq.forEach((ck, s) -> {
                for (int j = 1; j < s.size(); j++) {
                    if (s.get(j) <= s.get(j - 1)) {
                        String[] p = ck.split("\t");
                        throw new AssertionError(p[1] + " on " + p[0] + " out of publish order (or repeated): "
                                + s.get(j - 1) + " then " + s.get(j) + " in " + s);
                    }
                }
            });
        }

        void checkSingleOwner() {
            Map<String, Set<String>> split = new TreeMap<>();
            owners.forEach((k, o) -> {
                if (o.size() > 1) split.put(k, o);
            });
            check(split.isEmpty(), split.size() + " keys delivered to more than one consumer, e.g. " + head(split.entrySet(), 3));
        }

        void checkExactlyOnce(Collection<Integer> indices) {
            Set<Integer> want = new TreeSet<>(indices);
            Set<Integer> missing = new TreeSet<>(want);
            missing.removeAll(deliveries.keySet());
            Set<Integer> extra = new TreeSet<>(deliveries.keySet());
            extra.removeAll(want);
            List<Integer> dups = new ArrayList<>();
            deliveries.forEach((i, c) -> {
                if (c > 1) dups.add(i);
            });
            check(missing.isEmpty(), missing.size() + " messages never delivered, e.g. " + head(missing, 5));
            check(extra.isEmpty(), "unexpected messages " + head(extra, 5));
            check(dups.isEmpty(), dups.size() + " messages delivered more than once, e.g. " + head(dups, 5));
        }
    }

    static List<Integer> range(int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i < to; i++) out.add(i);
        return out;
    }

    static <T> List<T> head(Collection<T> c, int n) {
        List<T> out = new ArrayList<>();
        for (T x : c) {
            if (out.size() >= n) break;
            out.add(x);
        }
        return out;
    }

    static Map<String, Consumer<byte[]>> named(Object... pairs) {
        Map<String, Consumer<byte[]>> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            @SuppressWarnings("unchecked")
            Consumer<byte[]> c = (Consumer<byte[]>) pairs[i + 1];
            m.put((String) pairs[i], c);
        }
        return m;
    }

    /** key → the consumer whose inclusive ranges contain stickySlot(key) (null: uncovered). */
    static Map<String, String> stickyExpect(Map<String, int[]> rangeByConsumer, List<String> keys) {
        Map<String, String> out = new HashMap<>();
        for (String k : keys) {
            int s = stickySlot(k);
            String owner = null;
            for (Map.Entry<String, int[]> e : rangeByConsumer.entrySet()) {
                if (e.getValue()[0] <= s && s <= e.getValue()[1]) owner = e.getKey();
            }
            out.put(k, owner);
        }
        return out;
    }

    static Set<String> set(String... xs) {
        return new HashSet<>(List.of(xs));
    }
}
