package dev.vela.compat.java;

import static dev.vela.compat.java.Support.bytes;
import static dev.vela.compat.java.Support.check;
import static dev.vela.compat.java.Support.drain;
import static dev.vela.compat.java.Support.names;
import static dev.vela.compat.java.Support.read;
import static dev.vela.compat.java.Support.readN;
import static dev.vela.compat.java.Support.receiveUntilQuiet;
import static dev.vela.compat.java.Support.recv;
import static dev.vela.compat.java.Support.sendAll;
import static dev.vela.compat.java.Support.textOrNull;
import static dev.vela.compat.java.Support.texts;
import static dev.vela.compat.java.Support.topic;
import static dev.vela.compat.java.Support.waitS;

import java.util.ArrayList;
import java.util.List;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;

/** Positions: initial position of a new subscription, readers, seek by id and by time. */
final class PositionScenarios {
    private PositionScenarios() {}

    static void register() {
        Suite.register("initial-position-earliest-latest", PositionScenarios::initialPosition);
        Suite.register("reader-earliest", PositionScenarios::readerEarliest);
        Suite.register("reader-latest", PositionScenarios::readerLatest);
        Suite.register("reader-start-exclusive", PositionScenarios::readerStartExclusive);
        Suite.register("reader-start-inclusive", PositionScenarios::readerStartInclusive);
        Suite.register("reader-has-message-available", PositionScenarios::readerHasMessageAvailable);
        Suite.register("seek-message-id", PositionScenarios::seekMessageId);
        Suite.register("seek-time", PositionScenarios::seekTime);
    }

    /** PROTOCOL.md §2.7: initialPosition applies when a durable subscription is created —
     *  Earliest = first available entry, Latest = after the current last entry. */
    static void initialPosition(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("initpos");
        Support.anchor(cl, t);
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        List<String> old = names("old-", 0, 5);
        sendAll(p, old);
        Consumer<byte[]> ce = ProducerScenarios.earliest(cl, t, "early");
        Consumer<byte[]> cl_ = cl.newConsumer().topic(t).subscriptionName("late")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Latest).subscribe();
        List<String> gotE = texts(drain(ce, 5, true));
        check(gotE.equals(old), "Earliest subscription got " + gotE);
        Message<byte[]> stray = recv(cl_, 1.5);
        check(stray == null, "Latest subscription got old message " + textOrNull(stray));
        p.send(bytes("new"));
        Message<byte[]> m = recv(cl_, waitS(10));
        check(m != null && "new".equals(textOrNull(m)), "Latest subscription did not get the new message");
        m = recv(ce, waitS(10));
        check(m != null && "new".equals(textOrNull(m)), "Earliest subscription did not get the new message");
    }

    private record Setup(PulsarClient cl, String topic, Producer<byte[]> producer, List<MessageId> ids) {}

    private static Setup readerSetup(Ctx cx, String name, int n) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic(name);
        Support.anchor(cl, t);
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        List<MessageId> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) ids.add(p.send(bytes("m" + i)));
        return new Setup(cl, t, p, ids);
    }

    /** PROTOCOL.md §2.7 start_message_id: ledgerId -1 (earliest) → from the first entry
     *  (PersistentTopic.getNonDurableSubscription). */
    static void readerEarliest(Ctx cx) throws Exception {
        Setup s = readerSetup(cx, "rd-earliest", 10);
        Reader<byte[]> r = s.cl.newReader().topic(s.topic).startMessageId(MessageId.earliest).create();
        List<String> got = readN(r, 10);
        check(got.equals(names("m", 0, 10)), "reader got " + got);
        Message<byte[]> extra = read(r, 1.0);
        check(extra == null, "reader got an extra message " + textOrNull(extra));
    }

    /** PROTOCOL.md §2.7 start_message_id: latest (Long.MAX) → nothing old, only new messages (NonDurableCursorImpl). */
    static void readerLatest(Ctx cx) throws Exception {
        Setup s = readerSetup(cx, "rd-latest", 10);
        Reader<byte[]> r = s.cl.newReader().topic(s.topic).startMessageId(MessageId.latest).create();
        Message<byte[]> old = read(r, 1.5);
        check(old == null, "reader from latest got old message " + textOrNull(old));
        s.producer.send(bytes("fresh"));
        Message<byte[]> m = read(r, waitS(10));
        check(m != null && "fresh".equals(textOrNull(m)), "reader from latest did not get the new message");
    }

    /** PROTOCOL.md §2.7: the broker re-delivers the start entry; the client drops ids <= start unless inclusive
     *  (ConsumerImpl.isPriorEntryIndex). */
    static void readerStartExclusive(Ctx cx) throws Exception {
        Setup s = readerSetup(cx, "rd-excl", 10);
        Reader<byte[]> r = s.cl.newReader().topic(s.topic).startMessageId(s.ids.get(4)).create();
        List<String> got = readN(r, 5);
        check(got.equals(names("m", 5, 10)), "reader from m4 (exclusive) got " + got);
    }

    /** PROTOCOL.md §2.7: startMessageIdInclusive → the start message itself is the first one read. */
    static void readerStartInclusive(Ctx cx) throws Exception {
        Setup s = readerSetup(cx, "rd-incl", 10);
        Reader<byte[]> r = s.cl.newReader().topic(s.topic).startMessageId(s.ids.get(4)).startMessageIdInclusive().create();
        List<String> got = readN(r, 6);
        check(got.equals(names("m", 4, 10)), "reader from m4 (inclusive) got " + got);
    }

    /** PROTOCOL.md §2.7 GET_LAST_MESSAGE_ID: hasMessageAvailable compares the last read id with the topic's last id
     *  (ServerCnx.getLargestBatchIndexWhenPossible; ConsumerImpl.hasMessageAvailableAsync). */
    static void readerHasMessageAvailable(Ctx cx) throws Exception {
        Setup s = readerSetup(cx, "rd-hma", 3);
        Reader<byte[]> r = s.cl.newReader().topic(s.topic).startMessageId(MessageId.earliest).create();
        check(r.hasMessageAvailable(), "hasMessageAvailable false before reading anything");
        List<String> got = readN(r, 3);
        check(got.equals(names("m", 0, 3)), "reader got " + got);
        check(!r.hasMessageAvailable(), "hasMessageAvailable true after reading everything");
        s.producer.send(bytes("m3"));
        check(r.hasMessageAvailable(), "hasMessageAvailable false after a new publish");
        Message<byte[]> m = read(r, waitS(10));
        check(m != null && "m3".equals(textOrNull(m)), "new message not read");
    }

    /** PROTOCOL.md §2.7 SEEK by id: consumers are disconnected, the cursor reset so that message_id's entry is the
     *  next one delivered, then SUCCESS (PersistentSubscription.resetCursorInternal); the client reconnects.
     *  Like a reader's start id, the client then drops the seek message itself unless the consumer was built with
     *  startMessageIdInclusive (default → m4 first; inclusive → m3 first). The inclusive case proves the broker
     *  re-sends the seek entry. */
    static void seekMessageId(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("seek-id");
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "sub");
        Consumer<byte[]> ci = cl.newConsumer().topic(t).subscriptionName("sub-incl")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).startMessageIdInclusive().subscribe();
        List<MessageId> ids = new ArrayList<>();
        for (int i = 0; i < 10; i++) ids.add(p.send(bytes("m" + i)));
        for (int k = 0; k < 2; k++) {
            Consumer<byte[]> consumer = k == 0 ? c : ci;
            int firstExpected = k == 0 ? 4 : 3;
            String kind = k == 0 ? "default" : "inclusive";
            List<String> first = texts(drain(consumer, 10, true));
            check(first.equals(names("m", 0, 10)), "first pass got " + first);
            consumer.seek(ids.get(3));
            List<String> got = receiveUntilQuiet(consumer, 10, 1.5, true);
            check(got.equals(names("m", firstExpected, 10)), "after seek to m3 (" + kind + " consumer) got " + got);
        }
    }

    /** PROTOCOL.md §2.7 SEEK by time: reset to the first entry with publish_time >= T
     *  (PersistentSubscription.resetCursor(long), MessageImpl.isEntryPublishedEarlierThan). */
    static void seekTime(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("seek-time");
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "sub");
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        sendAll(p, names("a", 0, 5));
        Thread.sleep(1_000);
        long ts = System.currentTimeMillis();
        Thread.sleep(1_000);
        sendAll(p, names("b", 0, 5));
        List<String> first = texts(drain(c, 10, true));
        check(first.size() == 10, "first pass got " + first.size() + " of 10");
        c.seek(ts);
        List<String> got = receiveUntilQuiet(c, 10, 1.5, true);
        check(got.equals(names("b", 0, 5)), "after seek to a time between a4 and b0 got " + got);
    }
}
