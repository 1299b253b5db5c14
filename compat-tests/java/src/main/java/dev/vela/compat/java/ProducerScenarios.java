package dev.vela.compat.java;

import static dev.vela.compat.java.Support.bytes;
import static dev.vela.compat.java.Support.check;
import static dev.vela.compat.java.Support.drain;
import static dev.vela.compat.java.Support.firstDifference;
import static dev.vela.compat.java.Support.names;
import static dev.vela.compat.java.Support.recv;
import static dev.vela.compat.java.Support.sendAll;
import static dev.vela.compat.java.Support.text;
import static dev.vela.compat.java.Support.texts;
import static dev.vela.compat.java.Support.topic;
import static dev.vela.compat.java.Support.waitS;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;

/** Producing: order, receipts and ids, producer names, message metadata round trips. */
final class ProducerScenarios {
    private ProducerScenarios() {}

    static void register() {
        Suite.register("produce-consume-order", ProducerScenarios::produceConsumeOrder);
        Suite.register("send-receipts-ids-increasing", ProducerScenarios::sendReceiptsIdsIncreasing);
        Suite.register("producer-name-generated-unique", ProducerScenarios::producerNameGeneratedUnique);
        Suite.register("producer-name-collision", ProducerScenarios::producerNameCollision);
        Suite.register("message-properties", ProducerScenarios::messageProperties);
        Suite.register("message-key-eventtime", ProducerScenarios::messageKeyEventtime);
    }

    static Consumer<byte[]> earliest(PulsarClient cl, String t, String sub) throws PulsarClientException {
        return cl.newConsumer().topic(t).subscriptionName(sub)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
    }

    static Producer<byte[]> unbatched(PulsarClient cl, String t) throws PulsarClientException {
        return cl.newProducer().topic(t).enableBatching(false).create();
    }

    /** Ordering per topic for one producer and an Exclusive consumer (SITE concepts-messaging;
     *  PULSAR-REFERENCE.md §5.3). The Java producer batches by default (1 ms window), so this also covers
     *  order across batch boundaries. */
    static void produceConsumeOrder(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("order");
        Consumer<byte[]> c = cl.newConsumer().topic(t).subscriptionName("sub").subscriptionType(SubscriptionType.Exclusive)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
        Producer<byte[]> p = cl.newProducer().topic(t).create();
        List<String> want = names("m-", 0, 200);
        sendAll(p, want);
        List<String> got = texts(drain(c, want.size(), true));
        check(got.equals(want), "received " + got.size() + " messages; first difference at " + firstDifference(got, want));
    }

    /** PROTOCOL.md §2.6: SEND_RECEIPT carries the message id, receipts in send order (Commands.newSendReceiptCommand);
     *  §3 'Message ids': ids strictly increase by (ledgerId, entryId, batch_index) (MessageIdAdv.compareTo);
     *  the consumer sees the same ids. */
    static void sendReceiptsIdsIncreasing(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("ids");
        Consumer<byte[]> c = earliest(cl, t, "sub");
        Producer<byte[]> p1 = unbatched(cl, t);
        List<Support.Mid> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) ids.add(Support.Mid.of(p1.send(bytes("a-" + i))));
        check(ids.stream().allMatch(x -> x.batch() == -1), "non-batched ids carry a batch index: " + ids.subList(0, 3));
        Producer<byte[]> p2 = cl.newProducer().topic(t).enableBatching(true)
                .batchingMaxPublishDelay(50, TimeUnit.MILLISECONDS).create();
        for (MessageId id : sendAll(p2, names("b-", 0, 20))) ids.add(Support.Mid.of(id));
        for (int i = 1; i < ids.size(); i++) {
            check(ids.get(i).compareTo(ids.get(i - 1)) > 0,
                    "message ids not strictly increasing: " + ids.get(i - 1) + " then " + ids.get(i));
        }
        List<Message<byte[]>> got = drain(c, 40, true);
        check(got.size() == 40, "received " + got.size() + " of 40");
        List<Support.Mid> seen = new ArrayList<>();
        for (Message<byte[]> m : got) seen.add(Support.Mid.of(m.getMessageId()));
        if (!seen.equals(ids)) {
            int d = firstDifference(seen, ids);
            throw new AssertionError("consumer ids differ from receipts at message " + d + ": consumer "
                    + (d < seen.size() ? seen.get(d) : "none") + " vs receipt " + (d < ids.size() ? ids.get(d) : "none"));
        }
    }

    /** PROTOCOL.md §2.6: a producer without a name gets a broker-generated unique one
     *  (BrokerService.generateUniqueProducerName); the name is in each message's metadata. */
    static void producerNameGeneratedUnique(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t1 = topic("pname-a");
        String t2 = topic("pname-b");
        Consumer<byte[]> c = earliest(cl, t1, "sub");
        Producer<byte[]> p1 = cl.newProducer().topic(t1).create();
        Producer<byte[]> p2 = cl.newProducer().topic(t1).create();
        Producer<byte[]> p3 = cl.newProducer().topic(t2).create();
        List<String> pnames = Arrays.asList(p1.getProducerName(), p2.getProducerName(), p3.getProducerName());
        check(pnames.stream().allMatch(n -> n != null && !n.isEmpty()), "empty producer name: " + pnames);
        check(new HashSet<>(pnames).size() == 3, "generated names not unique: " + pnames);
        p1.send(bytes("x"));
        Message<byte[]> m = recv(c, waitS(10));
        check(m != null, "no message received");
        check(pnames.get(0).equals(m.getProducerName()),
                "message producer_name " + m.getProducerName() + " != " + pnames.get(0));
    }

    /** PROTOCOL.md §2.6 'Uniqueness': a second producer with a connected name → ERROR ProducerBusy(16)
     *  'Producer with name ... is already connected to topic' (AbstractTopic.tryOverwriteOldProducer);
     *  non-retriable for the Java client (PulsarClientException.isRetriableError), so create() fails. */
    static void producerNameCollision(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("pbusy");
        String name = "compat-" + Env.RUN_ID + "-java-fixed-name";
        Producer<byte[]> p1 = cl.newProducer().topic(t).producerName(name).create();
        check(name.equals(p1.getProducerName()), "producer name " + p1.getProducerName() + " != requested " + name);
        PulsarClient cl2 = cx.client();
        try {
            cl2.newProducer().topic(t).producerName(name).create();
            throw new AssertionError("second producer with the same name was accepted");
        } catch (PulsarClientException.ProducerBusyException expected) {
            // the broker refused it
        } catch (PulsarClientException e) {
            throw new AssertionError("expected ProducerBusyException, got " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        p1.send(bytes("still-works"));
    }

    /** PROTOCOL.md §1.2/§1.6: the broker stores and forwards MessageMetadata bytes verbatim
     *  (PulsarCommandSenderImpl.sendMessagesToConsumer). */
    static void messageProperties(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("props");
        Consumer<byte[]> c = earliest(cl, t, "sub");
        Producer<byte[]> p = cl.newProducer().topic(t).create();
        Map<String, String> props = new LinkedHashMap<>();
        props.put("a", "1");
        props.put("ключ", "значение ✓");
        props.put("empty", "");
        props.put("json", "{\"x\": [1, 2]}");
        p.newMessage().value(bytes("with-props")).properties(props).send();
        Message<byte[]> m = recv(c, waitS(10));
        check(m != null, "no message received");
        check(m.getProperties().equals(props), "properties " + m.getProperties() + " != " + props);
    }

    /** PROTOCOL.md §1.6: partition_key, ordering_key, event_time live in MessageMetadata (non-batched) and
     *  SingleMessageMetadata (batched, fields 2, 5, 7); both forwarded unchanged. publish_time is stamped by the client. */
    static void messageKeyEventtime(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("keys");
        Consumer<byte[]> c = earliest(cl, t, "sub");
        Producer<byte[]> plain = unbatched(cl, t);
        Producer<byte[]> batched = cl.newProducer().topic(t).enableBatching(true)
                .batchingMaxPublishDelay(50, TimeUnit.MILLISECONDS).create();
        plain.newMessage().value(bytes("plain")).key("pk-plain").orderingKey(bytes("ok-plain"))
                .eventTime(1700000000123L).send();
        // one batch whose messages carry different keys: each key is in that message's SingleMessageMetadata
        List<CompletableFuture<MessageId>> fs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            fs.add(batched.newMessage().value(bytes("k" + i)).key("pk-" + i).orderingKey(bytes("ok-" + i))
                    .eventTime(1700000000000L + i).sendAsync());
        }
        batched.flushAsync();
        Support.awaitAll(fs, waitS(10));
        List<Message<byte[]>> got = drain(c, 4, true);
        check(got.size() == 4, "received " + got.size() + " of 4");
        Message<byte[]> m = got.get(0);
        long now = System.currentTimeMillis();
        check("pk-plain".equals(m.getKey()), "partition_key " + m.getKey());
        check(m.hasOrderingKey() && "ok-plain".equals(new String(m.getOrderingKey(), StandardCharsets.UTF_8)),
                "ordering_key " + (m.hasOrderingKey() ? new String(m.getOrderingKey(), StandardCharsets.UTF_8) : null));
        check(m.getEventTime() == 1700000000123L, "event_time " + m.getEventTime());
        check(Math.abs(m.getPublishTime() - now) < 600_000, "publish_time " + m.getPublishTime() + " far from now");
        for (int i = 0; i < 3; i++) {
            Message<byte[]> k = got.get(i + 1);
            check(("k" + i).equals(text(k)), "batched message " + i + " payload " + text(k));
            check(("pk-" + i).equals(k.getKey()), "batched message " + i + " partition_key " + k.getKey());
            String ok = k.hasOrderingKey() ? new String(k.getOrderingKey(), StandardCharsets.UTF_8) : null;
            check(("ok-" + i).equals(ok), "batched message " + i + " ordering_key " + ok);
            check(k.getEventTime() == 1700000000000L + i, "batched message " + i + " event_time " + k.getEventTime());
        }
    }
}
