package dev.vela.compat.java;

import static dev.vela.compat.java.Support.bytes;
import static dev.vela.compat.java.Support.check;
import static dev.vela.compat.java.Support.controlRestart;
import static dev.vela.compat.java.Support.drain;
import static dev.vela.compat.java.Support.names;
import static dev.vela.compat.java.Support.receiveUntilQuiet;
import static dev.vela.compat.java.Support.recv;
import static dev.vela.compat.java.Support.sendAll;
import static dev.vela.compat.java.Support.text;
import static dev.vela.compat.java.Support.textOrNull;
import static dev.vela.compat.java.Support.texts;
import static dev.vela.compat.java.Support.topic;
import static dev.vela.compat.java.Support.waitS;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.DeadLetterPolicy;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;

/**
 * Retries, time and exactly-once (issue 5): redelivery counts, delayed delivery (and across a restart), batch-index
 * acks, the retry letter topic, deduplication across a restart, message TTL and retention seen through the admin
 * stats, backlog quota policies. Each mirrors the Python and Go suites (python/suite.py, python/scen_retention.py,
 * go/scen_retry_time.go, go/scen_retention.go).
 */
final class RetryTimeScenarios {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    /** Pulsar's delayedDeliveryTickTimeMillis default: Pulsar (isDelayedDeliveryDeliverAtTimeStrict=false) may deliver a
     *  delayed message up to one tick early; both must deliver within one tick plus 1 s after its time. */
    private static final long TICK_MS = 1000;

    private RetryTimeScenarios() {}

    static void register() {
        Suite.register("nack-redelivery-count", RetryTimeScenarios::nackRedeliveryCount);
        Suite.register("delayed-delivery-timing", RetryTimeScenarios::delayedDeliveryTiming);
        Suite.register("batch-index-ack", RetryTimeScenarios::batchIndexAck);
        Suite.register("retry-letter-delay", RetryTimeScenarios::retryLetterDelay);
        Suite.register("delayed-delivery-restart", RetryTimeScenarios::delayedDeliveryRestart);
        Suite.register("dedup-across-restart", RetryTimeScenarios::dedupAcrossRestart);
        Suite.register("backlog-quota-producer-exception", RetryTimeScenarios::backlogQuotaProducerException);
        Suite.register("backlog-quota-producer-request-hold", RetryTimeScenarios::backlogQuotaProducerRequestHold);
        Suite.register("backlog-quota-consumer-eviction", RetryTimeScenarios::backlogQuotaConsumerEviction);
        Suite.register("backlog-quota-producer-exception-send", RetryTimeScenarios::backlogQuotaProducerExceptionSend);
        Suite.register("backlog-quota-request-hold-send", RetryTimeScenarios::backlogQuotaRequestHoldSend);
        Suite.register("message-ttl-expiry", RetryTimeScenarios::messageTtlExpiry);
        Suite.register("retention-keeps-acked", RetryTimeScenarios::retentionKeepsAcked);
        Suite.register("delayed-delivery-msg-delayed-stat", RetryTimeScenarios::delayedMsgDelayedStat);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // helpers

    private static Consumer<byte[]> sharedEarliest(PulsarClient cl, String t) throws PulsarClientException {
        return cl.newConsumer().topic(t).subscriptionName("sub").subscriptionType(SubscriptionType.Shared)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
    }

    private record Arrival(String name, long atMs) {}

    /** Up to n messages with the wall-clock time each arrived, acking each; stops after {@code seconds} (scaled). */
    private static List<Arrival> receiveTimed(Consumer<byte[]> c, int n, double seconds) throws PulsarClientException {
        List<Arrival> out = new ArrayList<>();
        long deadline = System.currentTimeMillis() + Support.ms(waitS(seconds));
        while (out.size() < n && System.currentTimeMillis() < deadline) {
            Message<byte[]> m = recv(c, 0.2);
            if (m == null) continue;
            out.add(new Arrival(text(m), System.currentTimeMillis()));
            c.acknowledge(m);
        }
        return out;
    }

    /** No delayed message before its time minus one tick; each within one tick + 1 s after its time (or after
     *  {@code notBeforeMs}, the earliest moment it could be delivered again, e.g. once the broker is back). */
    private static void checkDelayedTiming(List<Arrival> arrivals, Map<String, Long> due, long notBeforeMs) {
        for (Arrival a : arrivals) {
            Long d = due.get(a.name());
            if (d == null) continue;
            check(a.atMs() >= d - TICK_MS - 50, a.name() + " arrived " + (d - a.atMs()) + " ms before its delivery time");
            long latest = Math.max(d, notBeforeMs) + TICK_MS + Support.ms(waitS(1)) + 250;
            check(a.atMs() <= latest, a.name() + " arrived " + (a.atMs() - d) + " ms after its delivery time (allowed "
                    + (latest - d) + " ms)");
        }
    }

    private static List<String> arrivalNames(List<Arrival> arrivals) {
        List<String> out = new ArrayList<>();
        for (Arrival a : arrivals) out.add(a.name());
        return out;
    }

    /** An admin REST call with an optional JSON body: the status and the body text. */
    static HttpResponse<String> admin(String method, String path, String jsonBody) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(Env.ADMIN_URL + path))
                .timeout(Duration.ofMillis(Support.ms(waitS(30)))).header("Content-Type", "application/json");
        b.method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(jsonBody));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void adminExpect(String method, String path, String jsonBody, int... ok) throws Exception {
        HttpResponse<String> r = admin(method, path, jsonBody);
        for (int s : ok) if (r.statusCode() == s) return;
        throw new AssertionError(method + " " + path + ": HTTP " + r.statusCode() + " " + Support.abbreviate(r.body(), 200));
    }

    /** A namespace of this run for one scenario (PUT /admin/v2/namespaces/{t}/{ns}), so its policies touch nothing else. */
    private static String namespace(String what) throws Exception {
        String ns = "public/compat-" + what + "-" + Env.RUN_ID + "-java";
        adminExpect("PUT", "/admin/v2/namespaces/" + ns, null, 204, 409);
        return ns;
    }

    private static String statsPath(String t) {
        return "/admin/v2/" + t.replace("://", "/") + "/stats";
    }

    /** A number field of the topic's GET …/stats (the topics here have one subscription, so a subscription field is
     *  unambiguous); null when absent. */
    private static Long statsField(String t, String field) throws Exception {
        HttpResponse<String> r = admin("GET", statsPath(t), null);
        check(r.statusCode() == 200, "GET stats of " + t + ": HTTP " + r.statusCode() + " " + Support.abbreviate(r.body(), 200));
        Matcher m = Pattern.compile("\"" + field + "\"\\s*:\\s*(-?\\d+)").matcher(r.body());
        return m.find() ? Long.parseLong(m.group(1)) : null;
    }

    private interface Probe {
        boolean ok() throws Exception;
    }

    /** Polls until the probe holds or {@code seconds} (scaled) pass. */
    private static boolean waitFor(double seconds, double everyS, Probe probe) throws Exception {
        long deadline = System.currentTimeMillis() + Support.ms(waitS(seconds));
        while (true) {
            if (probe.ok()) return true;
            if (System.currentTimeMillis() > deadline) return false;
            Support.sleepS(everyS);
        }
    }

    private static void setBacklogQuota(String ns, long limitBytes, String policy) throws Exception {
        adminExpect("POST", "/admin/v2/namespaces/" + ns + "/backlogQuota?backlogQuotaType=destination_storage",
                "{\"limitSize\": " + limitBytes + ", \"limitTime\": -1, \"policy\": \"" + policy + "\"}", 204);
    }

    /** A slow subscription and 30 KiB of backlog on a new topic of {@code ns} (30 unbatched 1 KiB messages). */
    private static Consumer<byte[]> fillBacklog(PulsarClient cl, String t) throws Exception {
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "slow");
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        List<CompletableFuture<MessageId>> fs = new ArrayList<>();
        for (int i = 0; i < 30; i++) fs.add(p.sendAsync(payload(i)));
        Support.awaitAll(fs, waitS(30));
        p.close();
        return c;
    }

    /** 1 KiB: "mNN-" 256 times. */
    private static byte[] payload(int i) {
        return bytes(String.format("m%02d-", i).repeat(256));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // redelivery, delayed delivery, batch index acks, retry letter topic

    /** PROTOCOL.md §2.7/§5.2: each negativeAcknowledge ends in REDELIVER_UNACKNOWLEDGED_MESSAGES with the id; on Shared
     *  the broker counts redeliveries per entry (InMemoryRedeliveryTracker) and sends them in MESSAGE.redelivery_count:
     *  0, 1, 2, 3. */
    static void nackRedeliveryCount(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("nack-count");
        Consumer<byte[]> c = cl.newConsumer().topic(t).subscriptionName("sub").subscriptionType(SubscriptionType.Shared)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                .negativeAckRedeliveryDelay(200, TimeUnit.MILLISECONDS).subscribe();
        ProducerScenarios.unbatched(cl, t).send(bytes("retry-me"));
        List<Integer> counts = new ArrayList<>();
        for (int attempt = 0; attempt < 4; attempt++) {
            Message<byte[]> m = recv(c, waitS(10));
            check(m != null, "attempt " + attempt + ": message not (re)delivered; counts so far " + counts);
            check("retry-me".equals(text(m)), "got " + text(m));
            counts.add(m.getRedeliveryCount());
            if (attempt < 3) c.negativeAcknowledge(m);
            else c.acknowledge(m);
        }
        check(counts.equals(List.of(0, 1, 2, 3)), "redelivery counts " + counts + ", expected [0, 1, 2, 3]");
        Message<byte[]> stray = recv(c, 1.0);
        check(stray == null, "acked message delivered again: " + textOrNull(stray));
    }

    /** PROTOCOL.md §5.3: deliverAfter and deliverAt on a Shared subscription; each message arrives no earlier than its
     *  time minus one tick and within one tick plus 1 s after it, in the order of their times; an undelayed message
     *  is not held behind them. */
    static void delayedDeliveryTiming(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("delay-timing");
        Consumer<byte[]> c = sharedEarliest(cl, t);
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        Map<String, Long> due = new LinkedHashMap<>();
        // Pulsar releases a delayed message up to one tick early, so two messages published out of time order must
        // be more than a tick apart for their order to be certain (the Python and Go plans' after-4 and at-3 are not).
        Object[][] plan = {{"after-5", 5000L, "after"}, {"at-2", 2000L, "at"}, {"after-7", 7000L, "after"},
                {"at-3", 3000L, "at"}, {"now", 0L, "none"}};
        for (Object[] step : plan) {
            String name = (String) step[0];
            long delayMs = (Long) step[1];
            switch ((String) step[2]) {
                case "after" -> {
                    due.put(name, System.currentTimeMillis() + delayMs);
                    p.newMessage().value(bytes(name)).deliverAfter(delayMs, TimeUnit.MILLISECONDS).send();
                }
                case "at" -> {
                    long at = System.currentTimeMillis() + delayMs;
                    due.put(name, at);
                    p.newMessage().value(bytes(name)).deliverAt(at).send();
                }
                default -> p.send(bytes(name));
            }
        }
        List<Arrival> arrivals = receiveTimed(c, 5, 20);
        List<String> got = arrivalNames(arrivals);
        check(got.equals(List.of("now", "at-2", "at-3", "after-5", "after-7")), "arrival order " + got);
        checkDelayedTiming(arrivals, due, 0);
    }

    private static Consumer<byte[]> batchIndexAckConsumer(PulsarClient cl, String t) throws PulsarClientException {
        return cl.newConsumer().topic(t).subscriptionName("sub").subscriptionType(SubscriptionType.Shared)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).enableBatchIndexAcknowledgment(true)
                .subscribe();
    }

    /** PROTOCOL.md §2.7 (ACK ack_set, MESSAGE ack_set): with batch-index acknowledgement (consumer
     *  enableBatchIndexAcknowledgment; broker acknowledgmentAtBatchIndexLevelEnabled, on in Vela and in the reference
     *  config) acking some messages of a batch and reconnecting brings back only the others. */
    static void batchIndexAck(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("batch-index-ack");
        Consumer<byte[]> c = batchIndexAckConsumer(cl, t);
        Producer<byte[]> p = cl.newProducer().topic(t).enableBatching(true).batchingMaxMessages(10)
                .batchingMaxPublishDelay(1, TimeUnit.SECONDS).create();
        List<MessageId> ids = sendAll(p, names("m", 0, 10));
        Support.Mid first = Support.Mid.of(ids.get(0));
        for (MessageId id : ids) {
            Support.Mid mid = Support.Mid.of(id);
            check(mid.ledger() == first.ledger() && mid.entry() == first.entry(),
                    "the 10 messages were not sent as one batch: " + mid + " vs " + first);
        }
        List<Message<byte[]>> got = drain(c, 10, false);
        check(texts(got).equals(names("m", 0, 10)), "first delivery " + texts(got));
        for (int i = 0; i < got.size(); i += 2) c.acknowledge(got.get(i));
        Thread.sleep(1000); // acks are grouped for up to 100 ms before they go out
        cx.closeAll();
        c = batchIndexAckConsumer(cx.client(), t);
        List<String> again = receiveUntilQuiet(c, 10, 3.0, false);
        check(again.equals(List.of("m1", "m3", "m5", "m7", "m9")),
                "after reconnecting got " + again + ", expected only the unacked m1 m3 m5 m7 m9");
    }

    /** PROTOCOL.md §5.2/§5.3: reconsumeLater re-publishes the message to <topic>-<subscription>-RETRY with deliverAfter
     *  and RECONSUMETIMES/REAL_TOPIC properties and acks the original; the broker's delayed delivery on the retry
     *  topic's Shared subscription brings it back no earlier than its time minus one tick, within one tick plus 1 s. */
    static void retryLetterDelay(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("retry");
        Consumer<byte[]> c = cl.newConsumer().topic(t).subscriptionName("sub").subscriptionType(SubscriptionType.Shared)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).enableRetry(true)
                .deadLetterPolicy(DeadLetterPolicy.builder().maxRedeliverCount(3).build()).subscribe();
        ProducerScenarios.unbatched(cl, t).send(bytes("job"));
        Message<byte[]> m = recv(c, waitS(10));
        check(m != null && "job".equals(text(m)), "first delivery missing");
        Map<String, Long> due = Map.of("job", System.currentTimeMillis() + 2000);
        c.reconsumeLater(m, 2, TimeUnit.SECONDS);
        List<Arrival> arrivals = receiveTimed(c, 1, 15);
        check(arrivals.size() == 1, "the reconsumed message never came back from the retry topic");
        checkDelayedTiming(arrivals, due, 0);
        Message<byte[]> stray = recv(c, 1.5);
        check(stray == null, "unexpected message " + textOrNull(stray) + " after the retry was acked");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // restarts

    /** PROTOCOL.md §5.3: delayed messages stay delayed across a broker restart (SIGKILL): none arrives before its time
     *  (minus one tick), all arrive, each within one tick plus 1 s of its time or of the broker being back. */
    static void delayedDeliveryRestart(Ctx cx) throws Exception {
        if (Env.CONTROL_URL.isEmpty()) throw new Support.Skip("no control endpoint (external broker): cannot restart it");
        PulsarClient cl = cx.client();
        String t = topic("delay-restart");
        Consumer<byte[]> c = sharedEarliest(cl, t);
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        long base = System.currentTimeMillis() + 25_000;
        Map<String, Long> due = new LinkedHashMap<>();
        for (int i = 0; i < 5; i++) {
            String name = "d" + i;
            due.put(name, base + i * 1000L);
            p.newMessage().value(bytes(name)).deliverAt(base + i * 1000L).send();
        }
        p.send(bytes("now"));
        Message<byte[]> m = recv(c, waitS(10));
        check(m != null && "now".equals(text(m)), "the undelayed message did not come first: " + textOrNull(m));
        c.acknowledge(m);
        Message<byte[]> stray = recv(c, 1.0);
        check(stray == null, "delayed message " + textOrNull(stray) + " delivered long before its time");
        cx.closeAll();
        controlRestart("kill");
        cl = cx.client();
        c = sharedEarliest(cl, t);
        long backAt = System.currentTimeMillis();
        double waitSeconds = Math.max(40, (base + 10_000 - System.currentTimeMillis()) / 1000.0);
        List<Arrival> arrivals = receiveTimed(c, 5, waitSeconds);
        List<String> got = new ArrayList<>(arrivalNames(arrivals));
        got.sort(null);
        check(got.equals(new ArrayList<>(due.keySet())), "after the restart received " + arrivalNames(arrivals));
        checkDelayedTiming(arrivals, due, backAt);
    }

    /** PROTOCOL.md §5.4 (MessageDeduplication): with deduplication on for the namespace (POST …/deduplication), a
     *  producer that re-sends sequence ids after a broker restart (SIGKILL) creates no duplicates:
     *  PRODUCER_SUCCESS.last_sequence_id is the highest id stored before the crash (Java: getLastSequenceId), and
     *  re-sent ids are acknowledged without being stored again. */
    static void dedupAcrossRestart(Ctx cx) throws Exception {
        if (Env.CONTROL_URL.isEmpty()) throw new Support.Skip("no control endpoint (external broker): cannot restart it");
        String ns = namespace("dedup");
        adminExpect("POST", "/admin/v2/namespaces/" + ns + "/deduplication", "true", 204);
        HttpResponse<String> r = admin("GET", "/admin/v2/namespaces/" + ns + "/deduplication", null);
        check(r.statusCode() == 200 && "true".equals(r.body().trim()), "GET deduplication: HTTP " + r.statusCode() + " " + r.body());
        String t = "persistent://" + ns + "/dedup-" + ThreadLocalRandom.current().nextInt(1 << 30);
        String name = "dedup-producer-" + Env.RUN_ID;
        PulsarClient cl = cx.client();
        Support.anchor(cl, t);
        Producer<byte[]> p = cl.newProducer().topic(t).producerName(name).enableBatching(false).create();
        check(p.getLastSequenceId() == -1, "new producer's last sequence id " + p.getLastSequenceId() + ", expected -1");
        for (long i = 0; i < 10; i++) p.newMessage().value(bytes("m" + i)).sequenceId(i).send();
        check(p.getLastSequenceId() == 9, "last sequence id " + p.getLastSequenceId() + " after sending 0..9");
        cx.closeAll();
        controlRestart("kill");
        cl = cx.client();
        p = cl.newProducer().topic(t).producerName(name).enableBatching(false).create();
        check(p.getLastSequenceId() == 9, "after the restart the last sequence id is " + p.getLastSequenceId() + ", expected 9");
        for (long i = 5; i < 15; i++) p.newMessage().value(bytes("m" + i)).sequenceId(i).send();
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "anchor");
        List<String> got = receiveUntilQuiet(c, 10, 3.0, false);
        check(got.equals(names("m", 0, 15)), "stored messages " + got + ", expected m0..m14 once each");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // backlog quota

    /** PROTOCOL.md §5.5/§2.10: with a namespace backlog quota (policy producer_exception) that the slowest
     *  subscription's backlog exceeds, PRODUCER is answered with ProducerBlockedQuotaExceededException
     *  (ServerCnx.handleProducer, PersistentTopic.checkBacklogQuotaExceeded). The Java client counts it as retriable
     *  and retries the creation until its operation timeout (ProducerImpl.connectionOpened, PulsarClientException
     *  .isRetriableError), then fails with it; once the backlog is acknowledged producers are accepted again. */
    static void backlogQuotaProducerException(Ctx cx) throws Exception {
        String ns = namespace("quota");
        setBacklogQuota(ns, 10 * 1024, "producer_exception");
        String t = "persistent://" + ns + "/quota-" + ThreadLocalRandom.current().nextInt(1 << 30);
        PulsarClient cl = cx.client();
        Consumer<byte[]> c = fillBacklog(cl, t);
        PulsarClient shortTimeout = cx.client(Env.SERVICE_URL, b -> b.operationTimeout(3, TimeUnit.SECONDS));
        try {
            shortTimeout.newProducer().topic(t).enableBatching(false).create();
            throw new AssertionError("a new producer was accepted with 30 KiB of backlog over a 10 KiB quota");
        } catch (PulsarClientException.ProducerBlockedQuotaExceededException expected) {
            // the answer to PRODUCER under producer_exception
        }
        for (Message<byte[]> m : drain(c, 30, false)) c.acknowledge(m);
        boolean accepted = waitFor(20, 0.5, () -> {
            try {
                cl.newProducer().topic(t).enableBatching(false).create().close();
                return true;
            } catch (PulsarClientException.ProducerBlockedQuotaExceededException e) {
                return false;
            }
        });
        check(accepted, "producers still refused after the backlog was acknowledged");
    }

    /** PROTOCOL.md §5.5/§2.10: under producer_request_hold PRODUCER on a topic over its quota is answered with
     *  ProducerBlockedQuotaExceededError (ServerCnx.handleProducer). The Java client keeps retrying the creation
     *  (ProducerImpl: "Producer is blocked on creation because backlog exceeded"), so create() is held; once the
     *  backlog is acknowledged the held creation succeeds and the producer sends. */
    static void backlogQuotaProducerRequestHold(Ctx cx) throws Exception {
        String ns = namespace("quota-hold");
        setBacklogQuota(ns, 10 * 1024, "producer_request_hold");
        String t = "persistent://" + ns + "/hold-" + ThreadLocalRandom.current().nextInt(1 << 30);
        PulsarClient cl = cx.client();
        Consumer<byte[]> c = fillBacklog(cl, t);
        PulsarClient shortTimeout = cx.client(Env.SERVICE_URL, b -> b.operationTimeout(3, TimeUnit.SECONDS));
        try {
            shortTimeout.newProducer().topic(t).enableBatching(false).create();
            throw new AssertionError("a new producer was accepted with 30 KiB of backlog over a 10 KiB quota");
        } catch (PulsarClientException.ProducerBlockedQuotaExceededError expected) {
            // after its operation timeout the held creation gives up with the broker's error
        }
        CompletableFuture<Producer<byte[]>> held = cl.newProducer().topic(t).enableBatching(false).createAsync();
        Thread.sleep(2000);
        check(!held.isDone(), "the producer creation was not held while over quota: " + held);
        for (Message<byte[]> m : drain(c, 30, false)) c.acknowledge(m);
        Producer<byte[]> p = held.get(Support.ms(waitS(20)), TimeUnit.MILLISECONDS);
        p.send(bytes("after"));
        Message<byte[]> m = recv(c, waitS(10));
        check(m != null && "after".equals(text(m)), "the held producer's message did not arrive: " + textOrNull(m));
    }

    /** PROTOCOL.md §5.5/§2.10: a producer connected before the backlog grew over a producer_exception quota keeps
     *  sending until the periodic quota check (backlogQuotaCheckIntervalInSeconds) disconnects it
     *  (BacklogQuotaManager.disconnectProducers); its reconnection is refused with ProducerBlockedQuotaExceededException
     *  and the client fails its pending sends with it (ProducerImpl.connectionOpened: failPendingMessages). */
    static void backlogQuotaProducerExceptionSend(Ctx cx) throws Exception {
        String ns = namespace("quota-send");
        setBacklogQuota(ns, 10 * 1024, "producer_exception");
        String t = "persistent://" + ns + "/send-" + ThreadLocalRandom.current().nextInt(1 << 30);
        PulsarClient cl = cx.client();
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "slow");
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        for (int i = 0; i < 30; i++) p.send(payload(i));
        long deadline = System.currentTimeMillis() + Support.ms(waitS(100));
        int sent = 30;
        while (true) {
            try {
                p.send(payload(sent % 100));
                sent++;
            } catch (PulsarClientException.ProducerBlockedQuotaExceededException expected) {
                break;
            }
            check(System.currentTimeMillis() < deadline, sent + " sends over the quota all succeeded: the producer was never refused");
            Support.sleepS(1);
        }
        for (Message<byte[]> m : drain(c, sent, 5, false)) c.acknowledge(m);
        boolean accepted = waitFor(20, 0.5, () -> {
            try {
                cl.newProducer().topic(t).enableBatching(false).create().close();
                return true;
            } catch (PulsarClientException.ProducerBlockedQuotaExceededException e) {
                return false;
            }
        });
        check(accepted, "producers still refused after the backlog was acknowledged");
    }

    /** PROTOCOL.md §5.5/§2.10: under producer_request_hold the periodic quota check disconnects a connected producer
     *  (BacklogQuotaManager.disconnectProducers) and its reconnection is answered with ProducerBlockedQuotaExceededError:
     *  the client keeps its sends pending (held, not failed) and retries; once the backlog is acknowledged the producer
     *  reconnects and the held send completes and is delivered. */
    static void backlogQuotaRequestHoldSend(Ctx cx) throws Exception {
        String ns = namespace("quota-hold-send");
        setBacklogQuota(ns, 10 * 1024, "producer_request_hold");
        String t = "persistent://" + ns + "/hold-send-" + ThreadLocalRandom.current().nextInt(1 << 30);
        PulsarClient cl = cx.client();
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "slow");
        Producer<byte[]> p = cl.newProducer().topic(t).enableBatching(false)
                .sendTimeout(Support.scaledSeconds(120), TimeUnit.SECONDS).create();
        for (int i = 0; i < 30; i++) p.send(payload(i));
        check(waitFor(100, 0.5, () -> !p.isConnected()), "the producer was never disconnected while over the quota");
        CompletableFuture<MessageId> held = p.sendAsync(bytes("held"));
        Thread.sleep(3000);
        check(!held.isDone(), "the send was not held while over the quota: " + held);
        for (Message<byte[]> m : drain(c, 30, 5, false)) c.acknowledge(m);
        held.get(Support.ms(waitS(30)), TimeUnit.MILLISECONDS);
        Message<byte[]> m = recv(c, waitS(10));
        check(m != null && "held".equals(text(m)), "the held message was not delivered: " + textOrNull(m));
    }

    /** PROTOCOL.md §5.5: under consumer_backlog_eviction producers are never refused; the periodic quota check
     *  (backlogQuotaCheckIntervalInSeconds) makes the slowest cursor skip its oldest entries until the backlog is
     *  under 90 % of the quota (BacklogQuotaManager.dropBacklogForSizeLimit): the subscription then gets only a
     *  suffix of the messages, ending with the newest. */
    static void backlogQuotaConsumerEviction(Ctx cx) throws Exception {
        String ns = namespace("quota-evict");
        setBacklogQuota(ns, 10 * 1024, "consumer_backlog_eviction");
        String t = "persistent://" + ns + "/evict-" + ThreadLocalRandom.current().nextInt(1 << 30);
        PulsarClient cl = cx.client();
        fillBacklog(cl, t).close();
        cl.newProducer().topic(t).enableBatching(false).create().close();
        check(Long.valueOf(30).equals(statsField(t, "msgBacklog")), "backlog before eviction: " + statsField(t, "msgBacklog"));
        boolean evicted = waitFor(100, 2, () -> {
            Long backlog = statsField(t, "msgBacklog");
            return backlog != null && backlog < 30;
        });
        check(evicted, "the slow subscription's backlog was never evicted: msgBacklog " + statsField(t, "msgBacklog"));
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "slow");
        List<String> got = receiveUntilQuiet(c, 10, 2.0, true);
        check(!got.isEmpty() && got.size() < 30, "after eviction the subscription delivered " + got.size() + " messages");
        List<String> want = new ArrayList<>();
        for (int i = 30 - got.size(); i < 30; i++) want.add(new String(payload(i)));
        check(got.equals(want), "after eviction the subscription did not deliver the newest " + got.size() + " messages in order");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // message TTL, retention, delayed-message stats

    /** PROTOCOL.md §5.5: with a namespace message TTL (POST …/messageTTL) the broker's periodic expiry
     *  (messageExpiryCheckIntervalInMinutes; PersistentTopic.checkMessageExpiry, PersistentMessageExpiryMonitor) moves
     *  every subscription past messages older than the TTL: GET …/stats shows the subscription's msgBacklog drop from
     *  5 to 0, and the subscription then delivers nothing. */
    static void messageTtlExpiry(Ctx cx) throws Exception {
        String ns = namespace("ttl");
        adminExpect("POST", "/admin/v2/namespaces/" + ns + "/messageTTL", "5", 204);
        HttpResponse<String> r = admin("GET", "/admin/v2/namespaces/" + ns + "/messageTTL", null);
        check(r.statusCode() == 200 && "5".equals(r.body().trim()), "GET messageTTL: HTTP " + r.statusCode() + " " + r.body());
        String t = "persistent://" + ns + "/ttl-" + ThreadLocalRandom.current().nextInt(1 << 30);
        PulsarClient cl = cx.client();
        ProducerScenarios.earliest(cl, t, "sub").close();
        sendAll(ProducerScenarios.unbatched(cl, t), names("m", 0, 5));
        check(Long.valueOf(5).equals(statsField(t, "msgBacklog")), "backlog after producing: " + statsField(t, "msgBacklog"));
        boolean expired = waitFor(110, 2, () -> Long.valueOf(0).equals(statsField(t, "msgBacklog")));
        check(expired, "messages never expired: msgBacklog " + statsField(t, "msgBacklog"));
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "sub");
        Message<byte[]> stray = recv(c, 2.0);
        check(stray == null, "expired message " + textOrNull(stray) + " still delivered");
    }

    /** PROTOCOL.md §5.5: with a namespace retention policy (POST …/retention) acknowledged messages are kept: the
     *  subscription's msgBacklog is 0, the topic's storageSize stays above 0, and a reader from the earliest
     *  position still reads every message (ManagedLedgerImpl trims only what retention allows). */
    static void retentionKeepsAcked(Ctx cx) throws Exception {
        String ns = namespace("retention");
        adminExpect("POST", "/admin/v2/namespaces/" + ns + "/retention",
                "{\"retentionTimeInMinutes\": 60, \"retentionSizeInMB\": 100}", 204);
        HttpResponse<String> r = admin("GET", "/admin/v2/namespaces/" + ns + "/retention", null);
        check(r.statusCode() == 200 && r.body().replace(" ", "").contains("\"retentionTimeInMinutes\":60"),
                "GET retention: HTTP " + r.statusCode() + " " + r.body());
        String t = "persistent://" + ns + "/ret-" + ThreadLocalRandom.current().nextInt(1 << 30);
        PulsarClient cl = cx.client();
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "sub");
        sendAll(ProducerScenarios.unbatched(cl, t), names("m", 0, 5));
        check(texts(drain(c, 5, true)).equals(names("m", 0, 5)), "the subscription did not get m0..m4");
        boolean acked = waitFor(10, 0.5, () -> Long.valueOf(0).equals(statsField(t, "msgBacklog")));
        check(acked, "msgBacklog after acking everything: " + statsField(t, "msgBacklog"));
        Long storage = statsField(t, "storageSize");
        check(storage != null && storage > 0, "storageSize " + storage + " with retention on");
        Reader<byte[]> reader = cl.newReader().topic(t).startMessageId(MessageId.earliest).create();
        List<String> read = Support.readN(reader, 5);
        check(read.equals(names("m", 0, 5)), "a reader from earliest read " + read + " of the acknowledged messages");
    }

    /** PROTOCOL.md §5.3: the subscription stats count the delayed messages the dispatcher holds (msgDelayed,
     *  Dispatcher.getNumberOfDelayedMessages) and leave them out of msgBacklogNoDelayed. */
    static void delayedMsgDelayedStat(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("delay-stat");
        Consumer<byte[]> c = sharedEarliest(cl, t);
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        for (int i = 0; i < 3; i++) p.newMessage().value(bytes("later" + i)).deliverAfter(60, TimeUnit.SECONDS).send();
        p.send(bytes("now"));
        Message<byte[]> m = recv(c, waitS(10));
        check(m != null && "now".equals(text(m)), "the undelayed message did not come: " + textOrNull(m));
        c.acknowledge(m);
        boolean counted = waitFor(10, 0.5, () -> Long.valueOf(3).equals(statsField(t, "msgDelayed"))
                && Long.valueOf(3).equals(statsField(t, "msgBacklog")) && Long.valueOf(0).equals(statsField(t, "msgBacklogNoDelayed")));
        check(counted, "msgDelayed " + statsField(t, "msgDelayed") + " msgBacklog " + statsField(t, "msgBacklog")
                + " msgBacklogNoDelayed " + statsField(t, "msgBacklogNoDelayed") + ", expected 3, 3 and 0");
    }
}
