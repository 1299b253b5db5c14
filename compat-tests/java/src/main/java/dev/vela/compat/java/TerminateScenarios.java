package dev.vela.compat.java;

import static dev.vela.compat.java.Support.bytes;
import static dev.vela.compat.java.Support.check;
import static dev.vela.compat.java.Support.ms;
import static dev.vela.compat.java.Support.recv;
import static dev.vela.compat.java.Support.text;
import static dev.vela.compat.java.Support.topic;
import static dev.vela.compat.java.Support.waitS;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;

/** Topic termination through the admin API, seen by the official Java client (issue 6). */
final class TerminateScenarios {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private TerminateScenarios() {}

    static void register() {
        Suite.register("topic-terminate-reached-end", TerminateScenarios::terminateReachedEnd);
    }

    /**
     * POST …/terminate answers the last message id; the producer is refused from then on (TopicTerminatedException)
     * and so is a new one; the consumer still receives everything published before, and once it has acknowledged it
     * all, the broker tells it the end of the topic was reached (REACHED_END_OF_TOPIC: hasReachedEndOfTopic()).
     */
    private static void terminateReachedEnd(Ctx cx) throws Exception {
        String t = topic("terminate");
        PulsarClient cl = cx.client();
        Consumer<byte[]> c = cl.newConsumer().topic(t).subscriptionName("sub")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
        Producer<byte[]> p = cl.newProducer().topic(t).enableBatching(false).create();
        for (int i = 0; i < 3; i++) p.send(bytes("m" + i));
        String path = "/admin/v2/" + t.replace("://", "/") + "/terminate";
        HttpRequest req = HttpRequest.newBuilder(URI.create(Env.ADMIN_URL + path)).timeout(Duration.ofMillis(ms(waitS(30))))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        check(r.statusCode() == 200 && r.body().replace(" ", "").contains("\"entryId\":2"),
                "terminate: HTTP " + r.statusCode() + " " + Support.abbreviate(r.body(), 200));

        boolean refused = false;
        try {
            p.sendAsync(bytes("late")).get(ms(waitS(20)), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            refused = e.getCause() instanceof PulsarClientException.TopicTerminatedException;
            check(refused, "send after terminate failed with " + e.getCause());
        }
        check(refused, "send after terminate was accepted");
        try {
            cl.newProducer().topic(t).create();
            throw new AssertionError("a new producer on a terminated topic was created");
        } catch (PulsarClientException.TopicTerminatedException expected) {
            // what Pulsar answers: "Topic was already terminated"
        }

        for (int i = 0; i < 3; i++) {
            Message<byte[]> m = recv(c, waitS(10));
            check(m != null && text(m).equals("m" + i), "message " + i + ": " + (m == null ? "none" : text(m)));
            c.acknowledge(m);
        }
        long deadline = System.currentTimeMillis() + ms(waitS(10));
        while (!c.hasReachedEndOfTopic() && System.currentTimeMillis() < deadline) Thread.sleep(100);
        check(c.hasReachedEndOfTopic(), "the consumer was not told that it reached the end of the topic");
    }
}
