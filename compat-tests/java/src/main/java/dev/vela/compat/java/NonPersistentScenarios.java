package dev.vela.compat.java;

import static dev.vela.compat.java.Support.check;
import static dev.vela.compat.java.Support.drain;
import static dev.vela.compat.java.Support.receiveUntilQuiet;
import static dev.vela.compat.java.Support.sendAll;
import static dev.vela.compat.java.Support.texts;
import static dev.vela.compat.java.Support.waitS;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.MessageRoutingMode;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;

/** Non-persistent topics, partitioned topics made by auto-creation, and partitions added while clients run. */
final class NonPersistentScenarios {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    /** The consumer's first FLOW follows SUBSCRIBE's answer; a message published before the broker has it is dropped
     *  for that consumer (NonPersistentDispatcher*.sendMessages). */
    private static final double FLOW_SETTLE_S = 1.0;

    private NonPersistentScenarios() {}

    static void register() {
        Suite.register("non-persistent-produce-consume", NonPersistentScenarios::produceConsume);
        Suite.register("non-persistent-not-stored", NonPersistentScenarios::notStored);
        Suite.register("non-persistent-shared-split", NonPersistentScenarios::sharedSplit);
        Suite.register("non-persistent-partitioned", NonPersistentScenarios::partitioned);
        Suite.register("auto-topic-creation-partitioned", NonPersistentScenarios::autoCreationPartitioned);
        Suite.register("partition-growth-discovered", NonPersistentScenarios::partitionGrowth);
    }

    private static String npTopic(String name) {
        return Support.topic(name).replaceFirst("^persistent://", "non-persistent://");
    }

    private static String adminExpect(String method, String path, String jsonBody, int... ok) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(Env.ADMIN_URL + path))
                .timeout(Duration.ofMillis(Support.ms(waitS(30)))).header("Content-Type", "application/json");
        b.method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(jsonBody));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        for (int s : ok) if (r.statusCode() == s) return r.body();
        throw new AssertionError(method + " " + path + ": HTTP " + r.statusCode() + " " + Support.abbreviate(r.body(), 200));
    }

    /** PROTOCOL.md §3: a non-persistent topic delivers to the consumer connected now, in order; receipts and
     *  deliveries carry message id (0, 0) (NonPersistentTopic.publishMessage). */
    static void produceConsume(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = npTopic("np");
        Consumer<byte[]> c = cl.newConsumer().topic(t).subscriptionName("sub").subscribe();
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        Support.sleepS(FLOW_SETTLE_S);
        List<String> want = Support.names("n", 0, 10);
        List<MessageId> ids = sendAll(p, want);
        for (MessageId id : ids) {
            Support.Mid m = Support.Mid.of(id);
            check(m.ledger() == 0 && m.entry() == 0, "receipt id " + m + ", want (0,0)");
        }
        List<Message<byte[]>> got = drain(c, 10, true);
        check(texts(got).equals(want), "received " + texts(got));
        Support.Mid first = Support.Mid.of(got.get(0).getMessageId());
        check(first.ledger() == 0 && first.entry() == 0, "delivered id " + first);
    }

    /** PROTOCOL.md §3: messages published while the topic has no subscription, or while its subscription has no
     *  consumer, never reach a consumer that comes later. */
    static void notStored(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = npTopic("np-gone");
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        sendAll(p, List.of("before-0", "before-1"));
        cl.newConsumer().topic(t).subscriptionName("sub").subscribe().close();
        sendAll(p, List.of("gap-0", "gap-1"));
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "sub");
        Support.sleepS(FLOW_SETTLE_S);
        sendAll(p, List.of("after-0", "after-1"));
        List<String> got = receiveUntilQuiet(c, 5, 2, true);
        check(got.equals(List.of("after-0", "after-1")), "received " + got);
    }

    /** PROTOCOL.md §3 and §5.1: a Shared subscription spreads a non-persistent topic's messages over its consumers,
     *  each message to exactly one (NonPersistentDispatcherMultipleConsumers). */
    static void sharedSplit(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = npTopic("np-shared");
        Consumer<byte[]> a = cl.newConsumer().topic(t).subscriptionName("sub").subscriptionType(SubscriptionType.Shared)
                .consumerName("a").subscribe();
        Consumer<byte[]> b = cl.newConsumer().topic(t).subscriptionName("sub").subscriptionType(SubscriptionType.Shared)
                .consumerName("b").subscribe();
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        Support.sleepS(FLOW_SETTLE_S);
        List<String> want = Support.names("s", 0, 20);
        sendAll(p, want);
        List<String> gotA = receiveUntilQuiet(a, 5, 2, true);
        List<String> gotB = receiveUntilQuiet(b, 5, 2, true);
        List<String> all = new ArrayList<>(gotA);
        all.addAll(gotB);
        check(all.size() == 20 && new TreeSet<>(all).equals(new TreeSet<>(want)), "received a=" + gotA + " b=" + gotB);
        check(!gotA.isEmpty() && !gotB.isEmpty(), "one consumer got everything: a=" + gotA.size() + " b=" + gotB.size());
    }

    /** PROTOCOL.md §3 and §6.2: PUT /admin/v2/non-persistent/…/partitions makes a partitioned non-persistent topic
     *  (only its metadata is stored); messages produced round robin reach the connected consumer from every partition. */
    static void partitioned(Ctx cx) throws Exception {
        String name = "compat-" + Env.RUN_ID + "-java-np-part-" + ThreadLocalRandom.current().nextInt(1 << 30);
        adminExpect("PUT", "/admin/v2/non-persistent/public/default/" + name + "/partitions", "3", 204);
        String t = "non-persistent://public/default/" + name;
        PulsarClient cl = cx.client();
        List<String> parts = cl.getPartitionsForTopic(t).get((long) Support.ms(waitS(30)), TimeUnit.MILLISECONDS);
        check(parts.size() == 3, "partitions " + parts);
        Consumer<byte[]> c = cl.newConsumer().topic(t).subscriptionName("sub").subscribe();
        Producer<byte[]> p = cl.newProducer().topic(t).enableBatching(false)
                .messageRoutingMode(MessageRoutingMode.RoundRobinPartition).create();
        Support.sleepS(FLOW_SETTLE_S);
        List<String> want = Support.names("p", 0, 12);
        sendAll(p, want);
        List<Message<byte[]>> got = drain(c, 12, true);
        check(got.size() == 12 && new TreeSet<>(texts(got)).equals(new TreeSet<>(want)), "received " + texts(got));
        Set<String> from = new TreeSet<>();
        for (Message<byte[]> m : got) from.add(m.getTopicName());
        check(from.size() == 3, "messages came from " + from);
    }

    /** PROTOCOL.md §2.5 and §6.2: with the namespace policy autoTopicCreation {partitioned, 3},
     *  PulsarClient.getPartitionsForTopic of a missing topic creates it with 3 partitions
     *  (BrokerService.fetchPartitionedTopicMetadataCheckAllowAutoCreationAsync). */
    static void autoCreationPartitioned(Ctx cx) throws Exception {
        String ns = "public/compat-autopart-" + Env.RUN_ID + "-java";
        adminExpect("PUT", "/admin/v2/namespaces/" + ns, null, 204, 409);
        String override = "{\"allowAutoTopicCreation\":true,\"topicType\":\"partitioned\",\"defaultNumPartitions\":3}";
        adminExpect("POST", "/admin/v2/namespaces/" + ns + "/autoTopicCreation", override, 204);
        String read = adminExpect("GET", "/admin/v2/namespaces/" + ns + "/autoTopicCreation", null, 200).replace(" ", "");
        check(read.contains("\"topicType\":\"partitioned\"") && read.contains("\"defaultNumPartitions\":3"), "GET autoTopicCreation: " + read);
        String local = "auto-" + ThreadLocalRandom.current().nextInt(1 << 30);
        String t = "persistent://" + ns + "/" + local;
        PulsarClient cl = cx.client();
        List<String> parts = cl.getPartitionsForTopic(t).get((long) Support.ms(waitS(30)), TimeUnit.MILLISECONDS);
        List<String> want = List.of(t + "-partition-0", t + "-partition-1", t + "-partition-2");
        check(parts.equals(want), "partitions " + parts);
        String meta = adminExpect("GET", "/admin/v2/persistent/" + ns + "/" + local + "/partitions", null, 200).replace(" ", "");
        check(meta.contains("\"partitions\":3"), "GET partitions: " + meta);
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "sub");
        Producer<byte[]> p = cl.newProducer().topic(t).enableBatching(false)
                .messageRoutingMode(MessageRoutingMode.RoundRobinPartition).create();
        sendAll(p, Support.names("a", 0, 9));
        List<Message<byte[]>> got = drain(c, 9, true);
        check(got.size() == 9, "received " + got.size() + " of 9");
        Set<String> from = new TreeSet<>();
        for (Message<byte[]> m : got) from.add(m.getTopicName());
        check(from.equals(new TreeSet<>(want)), "messages came from " + from);
    }

    /** PROTOCOL.md §6.2 POST …/partitions: a running producer and consumer discover added partitions
     *  (autoUpdatePartitionsInterval 1 s here), the producer writes to them and the consumer receives from every
     *  partition, nothing lost (PersistentTopicsBase.internalUpdatePartitionedTopic gives new partitions the existing
     *  subscriptions). */
    static void partitionGrowth(Ctx cx) throws Exception {
        String name = "compat-" + Env.RUN_ID + "-java-grow-" + ThreadLocalRandom.current().nextInt(1 << 30);
        String path = "/admin/v2/persistent/public/default/" + name + "/partitions";
        adminExpect("PUT", path, "2", 204);
        String t = "persistent://public/default/" + name;
        PulsarClient cl = cx.client();
        Consumer<byte[]> c = cl.newConsumer().topic(t).subscriptionName("sub")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                .autoUpdatePartitionsInterval(1, TimeUnit.SECONDS).subscribe();
        Producer<byte[]> p = cl.newProducer().topic(t).enableBatching(false)
                .messageRoutingMode(MessageRoutingMode.RoundRobinPartition)
                .autoUpdatePartitionsInterval(1, TimeUnit.SECONDS).create();
        sendAll(p, List.of("g0", "g1"));
        adminExpect("POST", path, "4", 204);
        Set<String> want = new TreeSet<>();
        for (int i = 0; i < 4; i++) want.add(t + "-partition-" + i);
        Set<String> seen = new TreeSet<>();
        int sent = 2;
        int received = 0;
        long deadline = System.nanoTime() + (long) (waitS(40) * 1e9);
        while (!seen.equals(want) && System.nanoTime() < deadline) {
            sendAll(p, Support.names("g", sent, sent + 4));
            sent += 4;
            for (Message<byte[]> m : drain(c, 1000, 0.5, true)) {
                seen.add(m.getTopicName());
                received++;
            }
            Support.sleepS(0.5);
        }
        check(seen.equals(want), "after " + sent + " sends, messages came only from " + seen);
        received += drain(c, sent - received, 3, true).size();
        check(received == sent, "received " + received + " of " + sent);
    }
}
