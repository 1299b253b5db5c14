package dev.vela.compat.java;

import static dev.vela.compat.java.Support.bytes;
import static dev.vela.compat.java.Support.check;
import static dev.vela.compat.java.Support.drain;
import static dev.vela.compat.java.Support.recv;
import static dev.vela.compat.java.Support.sendAll;
import static dev.vela.compat.java.Support.textOrNull;
import static dev.vela.compat.java.Support.texts;
import static dev.vela.compat.java.Support.waitS;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageRoutingMode;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;

/** Delayed delivery and partitioned topics. */
final class TopicScenarios {
    private TopicScenarios() {}

    static void register() {
        Suite.register("delayed-delivery-shared", TopicScenarios::delayedDeliveryShared);
        Suite.register("partitioned-topic", TopicScenarios::partitionedTopic);
    }

    /** PROTOCOL.md §5.3: Shared dispatchers hold messages with deliver_at_time until then
     *  (PersistentDispatcherMultipleConsumers.trackDelayedDelivery; tick 1 s, may be one tick early); other messages
     *  flow past them. The Java producer never batches a message with a delivery time (ProducerImpl.canAddToBatch). */
    static void delayedDeliveryShared(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = Support.topic("delay");
        Consumer<byte[]> c = cl.newConsumer().topic(t).subscriptionName("sub").subscriptionType(SubscriptionType.Shared)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        long t0 = System.nanoTime();
        p.newMessage().value(bytes("late")).deliverAfter(3, TimeUnit.SECONDS).send();
        p.send(bytes("now"));
        Message<byte[]> m = recv(c, waitS(10));
        check(m != null, "nothing received");
        check("now".equals(textOrNull(m)), "first delivered " + textOrNull(m) + ": the delayed message was not held");
        c.acknowledge(m);
        m = recv(c, waitS(20));
        check(m != null && "late".equals(textOrNull(m)), "delayed message never delivered");
        double waited = (System.nanoTime() - t0) / 1e9;
        check(waited >= 1.8, String.format("delayed message delivered after %.2fs, before its 3 s delay minus one tick", waited));
        c.acknowledge(m);
    }

    /** PROTOCOL.md §6.2 PUT …/partitions (204, PersistentTopics), §2.5 PARTITIONED_METADATA → N then LOOKUP per
     *  '-partition-i', §3 naming: partitions are ordinary topics '<name>-partition-<i>'. */
    static void partitionedTopic(Ctx cx) throws Exception {
        String name = "compat-" + Env.RUN_ID + "-java-part-" + ThreadLocalRandom.current().nextInt(1 << 30);
        Support.adminPut("/admin/v2/persistent/public/default/" + name + "/partitions", "3");
        String t = "persistent://public/default/" + name;
        PulsarClient cl = cx.client();
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "sub");
        Producer<byte[]> p = cl.newProducer().topic(t).enableBatching(false)
                .messageRoutingMode(MessageRoutingMode.RoundRobinPartition).create();
        List<String> want = Support.names("p", 0, 30);
        sendAll(p, want);
        List<Message<byte[]>> got = drain(c, 30, true);
        check(new TreeSet<>(texts(got)).equals(new TreeSet<>(want)) && got.size() == 30,
                "received " + got.size() + " of 30");
        Set<String> topics = new TreeSet<>();
        for (Message<byte[]> m : got) topics.add(m.getTopicName());
        Set<String> expect = new TreeSet<>();
        for (int i = 0; i < 3; i++) expect.add(t + "-partition-" + i);
        check(topics.equals(expect), "messages came from " + topics);
    }
}
