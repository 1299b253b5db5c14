package dev.vela.compat.java;

import static dev.vela.compat.java.Support.check;
import static dev.vela.compat.java.Support.controlRestart;
import static dev.vela.compat.java.Support.drain;
import static dev.vela.compat.java.Support.recv;
import static dev.vela.compat.java.Support.sendAll;
import static dev.vela.compat.java.Support.text;
import static dev.vela.compat.java.Support.topic;
import static dev.vela.compat.java.Support.waitS;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;

/** Broker restarts through the runner's control endpoint (skip when there is none). */
final class RestartScenarios {
    private RestartScenarios() {}

    static void register() {
        Suite.register("restart-subscription-position", RestartScenarios::restartSubscriptionPosition);
        Suite.register("durability-kill", RestartScenarios::durabilityKill);
        Suite.register("producer-across-restart", RestartScenarios::producerAcrossRestart);
        Suite.register("consumer-across-restart", RestartScenarios::consumerAcrossRestart);
    }

    private static void requireControl() {
        if (Env.CONTROL_URL.isEmpty()) throw new Support.Skip("no control endpoint (external broker): cannot restart it");
    }

    private static Consumer<byte[]> consumer(PulsarClient cl, String t, int queue) throws Exception {
        return cl.newConsumer().topic(t).subscriptionName("sub")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).receiverQueueSize(queue).subscribe();
    }

    /** PULSAR-REFERENCE.md §5.1: a durable cursor (mark-delete + individually acked ranges) survives a clean restart. */
    static void restartSubscriptionPosition(Ctx cx) throws Exception {
        requireControl();
        PulsarClient cl = cx.client();
        String t = topic("restart-pos");
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "sub");
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        sendAll(p, Support.names("m", 0, 10));
        List<Message<byte[]>> got = drain(c, 10, false);
        check(got.size() == 10, "received " + got.size() + " of 10");
        for (int i = 0; i < 5; i++) c.acknowledge(got.get(i));
        c.acknowledge(got.get(7));
        Thread.sleep(500);
        cx.closeAll(); // closing flushes the grouped acks
        controlRestart("term");
        cl = cx.client();
        c = ProducerScenarios.earliest(cl, t, "sub");
        List<String> again = Support.receiveUntilQuiet(c, 30, 2.0, false);
        check(again.equals(List.of("m5", "m6", "m8", "m9")), "after restart got " + again + ", expected m5 m6 m8 m9");
    }

    /** PULSAR-REFERENCE.md §5.10: SEND_RECEIPT means persisted; a process crash (SIGKILL) loses nothing receipted. */
    static void durabilityKill(Ctx cx) throws Exception {
        requireControl();
        int n = 2000;
        PulsarClient cl = cx.client();
        String t = topic("durable");
        ProducerScenarios.earliest(cl, t, "sub").close();
        Producer<byte[]> p = cl.newProducer().topic(t).enableBatching(true)
                .batchingMaxPublishDelay(5, TimeUnit.MILLISECONDS).maxPendingMessages(500).blockIfQueueFull(true).create();
        List<String> want = new ArrayList<>();
        for (int i = 0; i < n; i++) want.add(String.format("d%05d", i));
        List<MessageId> ids = sendAll(p, want);
        check(ids.stream().allMatch(x -> x != null), "not every send was receipted");
        cx.closeAll();
        controlRestart("kill");
        cl = cx.client();
        Consumer<byte[]> c = consumer(cl, t, 1000);
        List<String> got = new ArrayList<>();
        while (got.size() < n) {
            Message<byte[]> m = recv(c, got.isEmpty() ? waitS(30) : 5.0);
            if (m == null) break;
            got.add(text(m));
            c.acknowledge(m);
        }
        Set<String> missing = new TreeSet<>(want);
        missing.removeAll(got);
        check(missing.isEmpty(), missing.size() + " receipted messages lost after SIGKILL, e.g. "
                + new ArrayList<>(missing).subList(0, Math.min(5, missing.size())));
        check(got.equals(want), "all messages present but not in publish order (or duplicated)");
    }

    /** PROTOCOL.md §2.6: after a broker restart the client reconnects and resends what is pending (ProducerImpl
     *  resendMessages); every receipted message must be stored (PULSAR-REFERENCE.md §5.10), first occurrences in
     *  send order (§5.3). Duplicates of messages in flight at the restart are allowed (no deduplication). */
    static void producerAcrossRestart(Ctx cx) throws Exception {
        requireControl();
        PulsarClient cl = cx.client();
        String t = topic("live-restart");
        ProducerScenarios.earliest(cl, t, "sub").close();
        Producer<byte[]> p = cl.newProducer().topic(t).enableBatching(false).maxPendingMessages(100).blockIfQueueFull(true)
                .sendTimeout(Support.scaledSeconds(300), TimeUnit.SECONDS).create();
        Set<Integer> receipted = ConcurrentHashMap.newKeySet();
        ConcurrentLinkedQueue<String> failed = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread sender = new Thread(() -> {
            try {
                for (int i = 0; !stop.get(); i++) {
                    final int k = i;
                    p.sendAsync(Support.bytes(String.format("r%06d", i))).whenComplete((id, err) -> {
                        if (err == null) receipted.add(k);
                        else failed.add(k + ": " + err);
                    });
                    Thread.sleep(2);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "restart-sender");
        sender.setDaemon(true);
        sender.start();
        try {
            waitFor(() -> receipted.size() >= 200, waitS(30));
            check(receipted.size() >= 200, "only " + receipted.size() + " receipts before the restart");
            controlRestart("term");
            int before = receipted.size();
            waitFor(() -> receipted.size() >= before + 200, waitS(120));
            check(receipted.size() >= before + 200,
                    "producer did not recover: " + (receipted.size() - before) + " receipts after restart");
        } finally {
            stop.set(true);
            sender.join(Support.ms(waitS(60)));
        }
        p.flushAsync().get(Support.ms(waitS(60)), TimeUnit.MILLISECONDS);
        check(failed.isEmpty(), failed.size() + " sends failed, e.g. " + new ArrayList<>(failed).subList(0, Math.min(3, failed.size())));
        p.close();
        Consumer<byte[]> c = consumer(cl, t, 1000);
        List<Integer> got = new ArrayList<>();
        while (true) {
            Message<byte[]> m = recv(c, got.isEmpty() ? waitS(30) : 3.0);
            if (m == null) break;
            got.add(Integer.parseInt(text(m).substring(1)));
            c.acknowledge(m);
        }
        Set<Integer> missing = new TreeSet<>(receipted);
        missing.removeAll(got);
        check(missing.isEmpty(), missing.size() + " receipted messages lost across the restart, e.g. "
                + new ArrayList<>(missing).subList(0, Math.min(5, missing.size())));
        List<Integer> firsts = new ArrayList<>(new LinkedHashSet<>(got));
        List<Integer> sorted = new ArrayList<>(firsts);
        sorted.sort(null);
        check(firsts.equals(sorted), "messages stored out of send order across the restart");
    }

    /** PROTOCOL.md §2.6/§2.7: a producer and a consumer that stay open across a broker restart reconnect by themselves
     *  (LOOKUP, PRODUCER/SUBSCRIBE again; ConnectionHandler.reconnectLater); the durable cursor keeps acked messages acked
     *  (PULSAR-REFERENCE.md §5.1), so the consumer gets exactly the messages published after its acks. */
    static void consumerAcrossRestart(Ctx cx) throws Exception {
        requireControl();
        PulsarClient cl = cx.client();
        String t = topic("open-restart");
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "sub");
        Producer<byte[]> p = cl.newProducer().topic(t).enableBatching(false)
                .sendTimeout(Support.scaledSeconds(300), TimeUnit.SECONDS).create();
        sendAll(p, Support.names("m", 0, 5));
        check(Support.texts(drain(c, 5, true)).equals(Support.names("m", 0, 5)), "first five not received");
        Thread.sleep(500); // let the grouped acks reach the broker
        controlRestart("term");
        for (int i = 5; i < 10; i++) p.send(Support.bytes("m" + i)); // waits for the reconnect and the receipt
        List<String> got = new ArrayList<>();
        while (got.size() < 5) {
            Message<byte[]> m = recv(c, got.isEmpty() ? waitS(60) : 5.0);
            if (m == null) break;
            got.add(text(m));
            c.acknowledge(m);
        }
        Message<byte[]> extra = recv(c, 1.5);
        if (extra != null) got.add(text(extra));
        check(got.equals(Support.names("m", 5, 10)), "after the restart the open consumer got " + got);
    }

    private interface Cond {
        boolean holds();
    }

    private static void waitFor(Cond cond, double seconds) throws InterruptedException {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        while (!cond.holds() && System.nanoTime() < deadline) Thread.sleep(50);
    }
}
