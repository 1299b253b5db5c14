package dev.vela.compat.java;

import static dev.vela.compat.java.Support.bytes;
import static dev.vela.compat.java.Support.check;
import static dev.vela.compat.java.Support.drain;
import static dev.vela.compat.java.Support.names;
import static dev.vela.compat.java.Support.receiveUntilQuiet;
import static dev.vela.compat.java.Support.recv;
import static dev.vela.compat.java.Support.sendAll;
import static dev.vela.compat.java.Support.textOrNull;
import static dev.vela.compat.java.Support.texts;
import static dev.vela.compat.java.Support.topic;
import static dev.vela.compat.java.Support.waitS;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.DeadLetterPolicy;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;
import org.apache.pulsar.client.api.TopicMessageId;

/** Acknowledgements, negative acks, ack timeout, unsubscribe, last message id. */
final class AckScenarios {
    private AckScenarios() {}

    static void register() {
        Suite.register("individual-ack-reconnect", AckScenarios::individualAckReconnect);
        Suite.register("cumulative-ack-reconnect", AckScenarios::cumulativeAckReconnect);
        Suite.register("negative-ack-redelivery", AckScenarios::negativeAckRedelivery);
        Suite.register("ack-timeout-redelivery", AckScenarios::ackTimeoutRedelivery);
        Suite.register("unsubscribe-resubscribe", AckScenarios::unsubscribeResubscribe);
        Suite.register("get-last-message-id", AckScenarios::getLastMessageId);
        Suite.register("dead-letter-after-max-redeliveries", AckScenarios::deadLetterAfterMaxRedeliveries);
        Suite.register("ack-with-response", AckScenarios::ackWithResponse);
    }

    /** PROTOCOL.md §2.7 ACK Individual + §5.1: a reconnecting consumer resumes at mark-delete+1 and skips
     *  individually deleted messages, so exactly the unacked ones come back, in order. */
    static void individualAckReconnect(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("iack");
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "sub");
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        sendAll(p, names("m", 0, 10));
        List<Message<byte[]>> got = drain(c, 10, false);
        check(got.size() == 10, "received " + got.size() + " of 10");
        for (int i = 0; i < got.size(); i += 2) c.acknowledge(got.get(i));
        Thread.sleep(500); // the client groups acks for 100 ms; let them reach the broker
        c.close();
        Consumer<byte[]> c2 = ProducerScenarios.earliest(cl, t, "sub");
        List<String> again = receiveUntilQuiet(c2, 10, 1.5, false);
        check(again.equals(List.of("m1", "m3", "m5", "m7", "m9")), "after reconnect got " + again);
    }

    /** PROTOCOL.md §2.7 ACK Cumulative: everything <= the id is acked; delivery resumes after it. */
    static void cumulativeAckReconnect(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("cack");
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "sub");
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        sendAll(p, names("m", 0, 10));
        List<Message<byte[]>> got = drain(c, 10, false);
        check(got.size() == 10, "received " + got.size() + " of 10");
        c.acknowledgeCumulative(got.get(5));
        Thread.sleep(500);
        c.close();
        Consumer<byte[]> c2 = ProducerScenarios.earliest(cl, t, "sub");
        List<String> again = receiveUntilQuiet(c2, 10, 1.5, false);
        check(again.equals(List.of("m6", "m7", "m8", "m9")), "after reconnect got " + again);
    }

    /** PROTOCOL.md §2.7/§5.2: a nack ends in REDELIVER_UNACKNOWLEDGED_MESSAGES; on Shared the broker redelivers
     *  with redelivery_count + 1 (InMemoryRedeliveryTracker). */
    static void negativeAckRedelivery(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("nack");
        Consumer<byte[]> c = cl.newConsumer().topic(t).subscriptionName("sub").subscriptionType(SubscriptionType.Shared)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                .negativeAckRedeliveryDelay(300, TimeUnit.MILLISECONDS).subscribe();
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        sendAll(p, List.of("m0", "m1", "m2"));
        Message<byte[]> first = recv(c, waitS(10));
        check(first != null && "m0".equals(textOrNull(first)), "first message not m0");
        check(first.getRedeliveryCount() == 0, "fresh message has redelivery_count " + first.getRedeliveryCount());
        c.negativeAcknowledge(first);
        for (int i = 0; i < 2; i++) {
            Message<byte[]> m = recv(c, waitS(10));
            check(m != null, "m1/m2 not received");
            c.acknowledge(m);
        }
        Message<byte[]> m = recv(c, waitS(15));
        check(m != null, "nacked message not redelivered");
        check("m0".equals(textOrNull(m)), "redelivered " + textOrNull(m) + ", expected m0");
        check(m.getRedeliveryCount() == 1, "redelivery_count " + m.getRedeliveryCount() + ", expected 1");
        c.acknowledge(m);
    }

    /** Java-only extra (not in scenarios.json yet). PROTOCOL.md §5.2: the ack timeout is a client timer that ends in
     *  REDELIVER_UNACKNOWLEDGED_MESSAGES with the timed-out ids (Shared: only those, UnAckedMessageTracker); the broker
     *  redelivers them with redelivery_count + 1 (InMemoryRedeliveryTracker) and does not resend acked messages. */
    static void ackTimeoutRedelivery(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("acktimeout");
        Consumer<byte[]> c = cl.newConsumer().topic(t).subscriptionName("sub").subscriptionType(SubscriptionType.Shared)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                .ackTimeout(1, TimeUnit.SECONDS).ackTimeoutTickTime(100, TimeUnit.MILLISECONDS).subscribe();
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        sendAll(p, List.of("m0", "m1"));
        Message<byte[]> m0 = recv(c, waitS(10));
        check(m0 != null && "m0".equals(textOrNull(m0)), "first message not m0");
        Message<byte[]> m1 = recv(c, waitS(10));
        check(m1 != null && "m1".equals(textOrNull(m1)), "second message not m1");
        c.acknowledge(m1); // m0 is left to time out
        Message<byte[]> m = recv(c, waitS(15));
        check(m != null, "message whose ack timed out was not redelivered");
        check("m0".equals(textOrNull(m)), "redelivered " + textOrNull(m) + ", expected m0");
        check(m.getRedeliveryCount() == 1, "redelivery_count " + m.getRedeliveryCount() + ", expected 1");
        c.acknowledge(m);
        Message<byte[]> extra = recv(c, 2.0);
        check(extra == null, "acked message redelivered: " + textOrNull(extra));
    }

    /** PROTOCOL.md §2.7 UNSUBSCRIBE deletes the subscription (PersistentSubscription.doUnsubscribe); a new one with the
     *  same name starts at its initialPosition (Earliest → everything again; Latest → only new messages). */
    static void unsubscribeResubscribe(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("unsub");
        Support.anchor(cl, t);
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        List<String> want = names("m", 0, 5);
        sendAll(p, want);
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "sub");
        check(texts(drain(c, 5, true)).equals(want), "first subscription did not get the 5 messages");
        Thread.sleep(300);
        c.unsubscribe();
        Consumer<byte[]> c2 = ProducerScenarios.earliest(cl, t, "sub");
        List<String> again = texts(drain(c2, 5, true));
        check(again.equals(want), "resubscribed (Earliest) got " + again + ", expected all 5 again");
        Thread.sleep(300);
        c2.unsubscribe();
        Consumer<byte[]> c3 = cl.newConsumer().topic(t).subscriptionName("sub")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Latest).subscribe();
        Message<byte[]> stray = recv(c3, 1.5);
        check(stray == null, "resubscribed (Latest) got old message " + textOrNull(stray));
        p.send(bytes("m5"));
        Message<byte[]> m = recv(c3, waitS(10));
        check(m != null && "m5".equals(textOrNull(m)), "resubscribed (Latest) did not get the new message");
    }

    private static Support.Mid lastId(Consumer<byte[]> c) throws Exception {
        List<TopicMessageId> ids = c.getLastMessageIds();
        check(ids.size() == 1, "getLastMessageIds returned " + ids.size() + " ids for a non-partitioned topic: " + ids);
        MessageId id = ids.get(0);
        check(id instanceof MessageIdAdv, "unexpected id type " + id.getClass().getName());
        return Support.Mid.of(id);
    }

    /** PROTOCOL.md §2.7 GET_LAST_MESSAGE_ID → last entry {ledgerId, entryId} (Commands.newGetLastMessageIdResponse).
     *  Java 4.x: Consumer.getLastMessageIds() (one TopicMessageId per topic; getLastMessageId() is deprecated). */
    static void getLastMessageId(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("lastid");
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "sub");
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        List<Support.Mid> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) ids.add(Support.Mid.of(p.send(bytes("m" + i))));
        Support.Mid last = lastId(c);
        Support.Mid sent = ids.get(4);
        check(last.ledger() == sent.ledger() && last.entry() == sent.entry(), "last id " + last + " != last sent " + sent);
        Support.Mid more = Support.Mid.of(p.send(bytes("m5")));
        last = lastId(c);
        check(last.ledger() == more.ledger() && last.entry() == more.entry(),
                "after one more send: last id " + last + " != " + more);
    }

    /** PROTOCOL.md §5.2 / PULSAR-REFERENCE.md §5.4: the DLQ is client-side and relies on the broker's redelivery_count on
     *  Shared subscriptions. Java keeps a message received with redeliveryCount >= maxRedeliverCount aside; when it is
     *  nacked again the client publishes it to <topic>-<subscription>-DLQ (RetryMessageUtil DLQ suffix) and acks the
     *  original. */
    static void deadLetterAfterMaxRedeliveries(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("dlq");
        String dlq = t + "-sub-DLQ";
        Consumer<byte[]> d = ProducerScenarios.earliest(cl, dlq, "dlq-reader");
        Consumer<byte[]> c = cl.newConsumer().topic(t).subscriptionName("sub").subscriptionType(SubscriptionType.Shared)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                .negativeAckRedeliveryDelay(200, TimeUnit.MILLISECONDS)
                .deadLetterPolicy(DeadLetterPolicy.builder().maxRedeliverCount(1).build()).subscribe();
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        p.newMessage().value(bytes("poison")).property("k", "v").send();
        p.send(bytes("fine"));
        List<Integer> counts = new ArrayList<>();
        boolean fineSeen = false;
        Message<byte[]> dm = null;
        long deadline = System.currentTimeMillis() + Support.ms(waitS(20));
        while (dm == null && System.currentTimeMillis() < deadline) {
            Message<byte[]> m = recv(c, 1.0);
            if (m == null) {
                if (!counts.isEmpty() && fineSeen) dm = recv(d, 0.5);
                continue;
            }
            if ("fine".equals(textOrNull(m))) {
                fineSeen = true;
                c.acknowledge(m);
            } else {
                counts.add(m.getRedeliveryCount());
                c.negativeAcknowledge(m);
            }
        }
        check(counts.size() >= 2 && counts.subList(0, 2).equals(List.of(0, 1)),
                "poison message seen with redelivery counts " + counts + ", expected [0, 1]");
        check(dm != null, "nothing arrived on " + dlq);
        check("poison".equals(textOrNull(dm)), "DLQ got " + textOrNull(dm));
        check("v".equals(dm.getProperty("k")), "DLQ message lost its properties: " + dm.getProperties());
        Message<byte[]> stray = recv(c, 1.5);
        check(stray == null, "original subscription still delivers " + textOrNull(stray) + " after the DLQ took it");
    }

    private interface Ack {
        void run() throws Exception;
    }

    private static void timedAck(String what, Ack ack) throws Exception {
        long t0 = System.nanoTime();
        ack.run(); // with ack receipts the call returns when ACK_RESPONSE arrives (bounded by the operation timeout)
        double took = (System.nanoTime() - t0) / 1e9;
        check(took < waitS(10), String.format("%s took %.1f s: ACK_RESPONSE missing or late", what, took));
    }

    /** PROTOCOL.md §2.7 ACK_RESPONSE: with isAckReceiptEnabled the Java client sends request_id in every ACK and completes
     *  the acknowledge only on ACK_RESPONSE{consumer_id, request_id} without error (ServerCnx.handleAck,
     *  Commands.newAckResponse; ClientCnx.handleAckResponse). Individual, cumulative and list acks all go through it;
     *  afterwards only the unacked message is redelivered. */
    static void ackWithResponse(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("ack-resp");
        Consumer<byte[]> c = cl.newConsumer().topic(t).subscriptionName("sub").isAckReceiptEnabled(true)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        sendAll(p, names("m", 0, 10));
        List<Message<byte[]>> got = drain(c, 10, false);
        check(got.size() == 10, "received " + got.size() + " of 10");
        for (int i = 0; i < 3; i++) {
            Message<byte[]> m = got.get(i);
            timedAck("ack with receipt", () -> c.acknowledge(m));
        }
        timedAck("cumulative ack with receipt", () -> c.acknowledgeCumulative(got.get(7)));
        timedAck("ack list with receipt", () -> c.acknowledge(List.of(got.get(9).getMessageId())));
        c.close();
        Consumer<byte[]> c2 = ProducerScenarios.earliest(cl, t, "sub");
        List<String> again = receiveUntilQuiet(c2, 10, 1.5, false);
        check(again.equals(List.of("m8")), "after reconnect got " + again + ", expected only m8");
    }
}
