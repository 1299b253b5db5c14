package dev.vela.compat.java;

import static dev.vela.compat.java.Support.bytes;
import static dev.vela.compat.java.Support.check;
import static dev.vela.compat.java.Support.drain;
import static dev.vela.compat.java.Support.recv;
import static dev.vela.compat.java.Support.sendAll;
import static dev.vela.compat.java.Support.text;
import static dev.vela.compat.java.Support.textOrNull;
import static dev.vela.compat.java.Support.texts;
import static dev.vela.compat.java.Support.topic;
import static dev.vela.compat.java.Support.waitS;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.SubscriptionType;

/** Subscription types: Exclusive, Shared, Failover, Key_Shared. */
final class SubscriptionScenarios {
    private SubscriptionScenarios() {}

    static void register() {
        Suite.register("exclusive-second-consumer-refused", SubscriptionScenarios::exclusiveSecondConsumerRefused);
        Suite.register("shared-spread", SubscriptionScenarios::sharedSpread);
        Suite.register("shared-close-redelivers-unacked", SubscriptionScenarios::sharedCloseRedeliversUnacked);
        Suite.register("failover-takeover", SubscriptionScenarios::failoverTakeover);
        Suite.register("key-shared-stickiness", SubscriptionScenarios::keySharedStickiness);
    }

    static Consumer<byte[]> consumer(PulsarClient cl, String t, SubscriptionType type, String name, int queue)
            throws PulsarClientException {
        var b = cl.newConsumer().topic(t).subscriptionName("sub").subscriptionType(type);
        if (name != null) b = b.consumerName(name);
        if (queue > 0) b = b.receiverQueueSize(queue);
        return b.subscribe();
    }

    /** PROTOCOL.md §5.1: second Exclusive consumer → ConsumerBusy 'Exclusive consumer is already connected'
     *  (AbstractDispatcherSingleActiveConsumer.internalAddConsumer); non-retriable for clients (§2.10). */
    static void exclusiveSecondConsumerRefused(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("excl");
        Consumer<byte[]> c1 = consumer(cl, t, SubscriptionType.Exclusive, null, 0);
        PulsarClient cl2 = cx.client();
        try {
            consumer(cl2, t, SubscriptionType.Exclusive, null, 0);
            throw new AssertionError("second Exclusive consumer was accepted");
        } catch (PulsarClientException.ConsumerBusyException expected) {
            // refused as Pulsar does
        } catch (PulsarClientException e) {
            throw new AssertionError("expected ConsumerBusyException, got " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        Producer<byte[]> p = cl.newProducer().topic(t).create();
        p.send(bytes("to-first"));
        Message<byte[]> m = recv(c1, waitS(10));
        check(m != null && "to-first".equals(textOrNull(m)), "first consumer stopped receiving");
        c1.acknowledge(m);
        c1.close();
        Consumer<byte[]> c3 = consumer(cl2, t, SubscriptionType.Exclusive, null, 0);
        p.send(bytes("to-new"));
        m = recv(c3, waitS(10));
        check(m != null && "to-new".equals(textOrNull(m)), "consumer accepted after the first left receives nothing");
    }

    /** PROTOCOL.md §5.1 'Shared': entries round-robin across consumers with permits; each message goes to one
     *  consumer (AbstractDispatcherMultipleConsumers.getNextConsumer). */
    static void sharedSpread(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("shared");
        Consumer<byte[]> c1 = consumer(cl, t, SubscriptionType.Shared, "c1", 10);
        Consumer<byte[]> c2 = consumer(cl, t, SubscriptionType.Shared, "c2", 10);
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        List<String> want = Support.names("s-", 0, 200);
        sendAll(p, want);
        List<String> got1 = new ArrayList<>();
        List<String> got2 = new ArrayList<>();
        long deadline = System.currentTimeMillis() + Support.ms(waitS(30));
        int idle = 0;
        while (got1.size() + got2.size() < want.size() && System.currentTimeMillis() < deadline && idle < 20) {
            boolean any = false;
            for (int k = 0; k < 2; k++) {
                Consumer<byte[]> c = k == 0 ? c1 : c2;
                Message<byte[]> m = recv(c, 0.2);
                if (m != null) {
                    (k == 0 ? got1 : got2).add(text(m));
                    c.acknowledge(m);
                    any = true;
                }
            }
            idle = any ? 0 : idle + 1;
        }
        List<String> total = new ArrayList<>(got1);
        total.addAll(got2);
        Set<String> unique = new HashSet<>(total);
        check(!got1.isEmpty() && !got2.isEmpty(), "not spread: c1=" + got1.size() + " c2=" + got2.size());
        check(total.size() == unique.size(), (total.size() - unique.size()) + " messages delivered twice");
        check(unique.equals(new HashSet<>(want)), "missing " + (want.size() - unique.size()) + " messages");
    }

    /** PROTOCOL.md §2.7 CLOSE_CONSUMER: a closing Shared consumer's unacked messages go back to the replay set and
     *  are dispatched to the others (PersistentDispatcherMultipleConsumers.removeConsumer). */
    static void sharedCloseRedeliversUnacked(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("shared-close");
        Consumer<byte[]> c1 = consumer(cl, t, SubscriptionType.Shared, "c1", 0);
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        List<String> want = Support.names("u-", 0, 20);
        sendAll(p, want);
        List<String> held = texts(drain(c1, want.size(), false)); // received, never acked
        check(held.equals(want), "first consumer received " + held.size() + " of " + want.size());
        PulsarClient cl2 = cx.client();
        Consumer<byte[]> c2 = consumer(cl2, t, SubscriptionType.Shared, "c2", 0);
        Message<byte[]> early = recv(c2, 1.0);
        check(early == null, "second consumer got " + textOrNull(early) + " while all were pending on the first");
        c1.close();
        List<String> got = texts(drain(c2, want.size(), true));
        check(new TreeSet<>(got).equals(new TreeSet<>(want)) && got.size() == want.size(),
                "second consumer got " + got.size() + " of the " + want.size() + " unacked messages");
    }

    /** PROTOCOL.md §5.1 'Failover': one active consumer; on change the cursor rewinds to mark-delete+1 and delivery
     *  restarts on the new active consumer (PersistentDispatcherSingleActiveConsumer) — nothing lost, order kept. */
    static void failoverTakeover(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("failover");
        Consumer<byte[]> ca = consumer(cl, t, SubscriptionType.Failover, "fa", 0);
        PulsarClient cl2 = cx.client();
        Consumer<byte[]> cb = consumer(cl2, t, SubscriptionType.Failover, "fb", 0);
        Thread.sleep(2_000); // let the active-consumer choice settle (activeConsumerFailoverDelayTimeMillis = 1000)
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        List<String> want = Support.names("f-", 0, 40);
        sendAll(p, want);
        Consumer<byte[]> active = null;
        Consumer<byte[]> other = null;
        Message<byte[]> first = null;
        long deadline = System.currentTimeMillis() + Support.ms(waitS(15));
        while (first == null && System.currentTimeMillis() < deadline) {
            for (int k = 0; k < 2 && first == null; k++) {
                Consumer<byte[]> c = k == 0 ? ca : cb;
                Message<byte[]> m = recv(c, 0.3);
                if (m != null) {
                    active = c;
                    other = k == 0 ? cb : ca;
                    first = m;
                }
            }
        }
        check(first != null, "no consumer received anything");
        check("f-0".equals(text(first)), "active consumer started with " + text(first));
        List<Message<byte[]>> gotActive = new ArrayList<>();
        gotActive.add(first);
        gotActive.addAll(drain(active, 9, false));
        check(texts(gotActive).equals(want.subList(0, 10)), "active consumer got " + texts(gotActive));
        active.acknowledgeCumulative(gotActive.get(gotActive.size() - 1));
        Message<byte[]> stray = recv(other, 1.0);
        check(stray == null, "inactive consumer received " + textOrNull(stray));
        Thread.sleep(300); // let the grouped ack go out before closing
        active.close();
        List<String> rest = new ArrayList<>();
        deadline = System.currentTimeMillis() + Support.ms(waitS(30));
        while (System.currentTimeMillis() < deadline && (rest.isEmpty() || !"f-39".equals(rest.get(rest.size() - 1)))) {
            Message<byte[]> m = recv(other, 1.0);
            if (m != null) {
                rest.add(text(m));
                other.acknowledge(m);
            }
        }
        check(!rest.isEmpty(), "no takeover: the other consumer received nothing after the active one closed");
        List<Integer> idx = new ArrayList<>();
        for (String s : rest) idx.add(Integer.parseInt(s.substring(2)));
        check(idx.get(0) == 10, "takeover started at f-" + idx.get(0) + ", expected f-10 (first unacked)");
        List<Integer> expect = new ArrayList<>();
        for (int i = 10; i < 40; i++) expect.add(i);
        check(idx.equals(expect), "takeover sequence not complete and in order: " + idx);
    }

    /** PROTOCOL.md §4: Key_Shared routes by the sticky key's hash; one key → one consumer, in order
     *  (KeySharedSubscriptionTest.receiveAndCheck). Batching off, as §4.7 requires for mixed keys. */
    static void keySharedStickiness(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("keyshared");
        Consumer<byte[]> c1 = consumer(cl, t, SubscriptionType.Key_Shared, "k1", 100);
        Consumer<byte[]> c2 = consumer(cl, t, SubscriptionType.Key_Shared, "k2", 100);
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        List<CompletableFuture<MessageId>> fs = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String key = "key-" + (i % 10);
            fs.add(p.newMessage().key(key).value(bytes(key + ":" + i)).sendAsync());
        }
        p.flushAsync();
        Support.awaitAll(fs, waitS(20));
        Map<String, Set<String>> owner = new LinkedHashMap<>();
        Map<String, List<Integer>> perKey = new LinkedHashMap<>();
        long deadline = System.currentTimeMillis() + Support.ms(waitS(30));
        int total = 0;
        int idle = 0;
        while (total < 100 && System.currentTimeMillis() < deadline && idle < 20) {
            boolean any = false;
            for (int k = 0; k < 2; k++) {
                Consumer<byte[]> c = k == 0 ? c1 : c2;
                Message<byte[]> m = recv(c, 0.2);
                if (m == null) continue;
                any = true;
                total++;
                String[] parts = text(m).split(":");
                check(parts[0].equals(m.getKey()), "partition_key " + m.getKey() + " for " + parts[0]);
                owner.computeIfAbsent(parts[0], x -> new TreeSet<>()).add(k == 0 ? "k1" : "k2");
                perKey.computeIfAbsent(parts[0], x -> new ArrayList<>()).add(Integer.parseInt(parts[1]));
                c.acknowledge(m);
            }
            idle = any ? 0 : idle + 1;
        }
        check(total == 100, "received " + total + " of 100");
        List<String> sharedKeys = new ArrayList<>();
        owner.forEach((k, o) -> {
            if (o.size() > 1) sharedKeys.add(k);
        });
        check(sharedKeys.isEmpty(), "keys delivered to both consumers: " + sharedKeys);
        perKey.forEach((k, seq) -> {
            List<Integer> sorted = new ArrayList<>(seq);
            sorted.sort(null);
            check(seq.equals(sorted), k + " out of order: " + seq);
        });
    }
}
