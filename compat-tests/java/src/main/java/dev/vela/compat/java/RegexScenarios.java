package dev.vela.compat.java;

import static dev.vela.compat.java.Support.adminPut;
import static dev.vela.compat.java.Support.anchor;
import static dev.vela.compat.java.Support.check;
import static dev.vela.compat.java.Support.ms;
import static dev.vela.compat.java.Support.recv;
import static dev.vela.compat.java.Support.sendAll;
import static dev.vela.compat.java.Support.text;
import static dev.vela.compat.java.Support.waitS;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.impl.PatternMultiTopicsConsumerImpl;

/**
 * Regex (pattern) subscriptions (issue 6): the Java client lists the namespace with GET_TOPICS_OF_NAMESPACE and, when
 * the broker advertises supports_topic_watchers, keeps a topic-list watcher (PIP-145: WATCH_TOPIC_LIST, then
 * WATCH_TOPIC_UPDATE pushes). Mirrors python/scen_regex.py and go/scen_regex.go.
 */
final class RegexScenarios {
    private RegexScenarios() {}

    static void register() {
        Suite.register("regex-existing-topics", RegexScenarios::existingTopics);
        Suite.register("regex-new-topic-discovered", RegexScenarios::newTopicDiscovered);
        Suite.register("regex-partitioned-topic", RegexScenarios::partitionedTopic);
    }

    /** Short enough that the whole pattern stays within Pulsar's subscriptionPatternMaxLength (50). */
    private static String prefix(int n) {
        return "persistent://public/default/rx" + Env.RUN_ID.substring(Math.max(0, Env.RUN_ID.length() - 6)) + "jv" + n;
    }

    private static Consumer<byte[]> patternConsumer(PulsarClient cl, String pattern, int periodS) throws Exception {
        return cl.newConsumer().topicsPattern(Pattern.compile(pattern)).subscriptionName("rx-sub")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                .patternAutoDiscoveryPeriod(periodS, TimeUnit.SECONDS).subscribe();
    }

    /** Creates the topic with a durable subscription (so its messages are kept) and sends the payloads. */
    private static void fill(PulsarClient cl, String t, String... payloads) throws Exception {
        anchor(cl, t);
        try (Producer<byte[]> p = cl.newProducer().topic(t).enableBatching(false).create()) {
            sendAll(p, List.of(payloads));
        }
    }

    /** Receives (and acks) until n messages arrived or {@code seconds} (scaled) passed: "payload@topic", sorted. */
    private static List<String> receive(Consumer<byte[]> c, int n, double seconds) throws Exception {
        List<String> got = new ArrayList<>();
        long deadline = System.currentTimeMillis() + ms(waitS(seconds));
        while (got.size() < n && System.currentTimeMillis() < deadline) {
            Message<byte[]> m = recv(c, 0.5);
            if (m == null) continue;
            got.add(text(m) + "@" + m.getTopicName());
            c.acknowledge(m);
        }
        Collections.sort(got);
        return got;
    }

    /** PROTOCOL.md §2.9: a pattern consumer subscribes to every existing topic whose name matches, and to no other. */
    private static void existingTopics(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String base = prefix(1);
        String m1 = base + "-m-1", m2 = base + "-m-2", other = base + "-x-1";
        fill(cl, m1, "m1-a", "m1-b");
        fill(cl, m2, "m2-a", "m2-b");
        fill(cl, other, "x-a", "x-b");
        Consumer<byte[]> c = patternConsumer(cl, base + "-m-.*", 1);
        List<String> got = receive(c, 4, 20);
        List<String> want = List.of("m1-a@" + m1, "m1-b@" + m1, "m2-a@" + m2, "m2-b@" + m2);
        check(got.equals(want), "received " + got + ", want " + want);
        Message<byte[]> extra = recv(c, waitS(3));
        check(extra == null, "received " + (extra == null ? "" : text(extra) + " from " + extra.getTopicName())
                + ", which does not match");
    }

    /**
     * PROTOCOL.md §2.9: the broker advertises supports_topic_watchers, so the consumer creates a topic-list watcher
     * (TopicListService.handleWatchTopicList); a topic created after it subscribed is pushed to it as
     * WATCH_TOPIC_UPDATE. The polling period is 300 s here, so only the watcher can find the topic in time.
     */
    private static void newTopicDiscovered(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String base = prefix(2);
        fill(cl, base + "-m-1", "first");
        Consumer<byte[]> c = patternConsumer(cl, base + "-m-.*", 300);
        check(c instanceof PatternMultiTopicsConsumerImpl, "not a pattern consumer: " + c.getClass());
        ((PatternMultiTopicsConsumerImpl<byte[]>) c).getWatcherFuture().get(ms(waitS(15)), TimeUnit.MILLISECONDS);
        List<String> got = receive(c, 1, 20);
        check(got.size() == 1 && got.get(0).startsWith("first@"), "received " + got + " from the existing topic");
        String late = base + "-m-2";
        fill(cl, late, "late-1", "late-2");
        got = receive(c, 2, 30);
        List<String> want = List.of("late-1@" + late, "late-2@" + late);
        check(got.equals(want), "from the new topic received " + got + ", want " + want);
    }

    /**
     * PROTOCOL.md §2.9: the namespace lists a partitioned topic's partitions (NamespaceService.getListOfTopics); the
     * pattern matches the base name, so the pattern consumer receives from every partition.
     */
    private static void partitionedTopic(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String base = prefix(3);
        String t = base + "-m-p";
        adminPut("/admin/v2/" + t.replace("://", "/") + "/partitions", "3");
        List<String> want = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String partition = t + "-partition-" + i;
            fill(cl, partition, "p" + i);
            want.add("p" + i + "@" + partition);
        }
        Consumer<byte[]> c = patternConsumer(cl, base + "-m-.*", 1);
        List<String> got = receive(c, 3, 20);
        check(got.equals(want), "received " + got + ", want " + want);
    }
}
