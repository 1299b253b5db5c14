package dev.vela.compat.java;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;

/** Helpers shared by the scenario classes: names, bounded waits, receive loops, assertions. */
final class Support {
    private static final AtomicInteger TOPIC_COUNTER = new AtomicInteger();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private Support() {}

    /** Thrown when a scenario cannot run here (reported as skip, not fail). */
    static final class Skip extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Skip(String why) {
            super(why);
        }
    }

    /** A message id as (ledger, entry, batch index), ordered the way clients order ids (MessageIdAdv.compareTo). */
    record Mid(long ledger, long entry, int batch) implements Comparable<Mid> {
        static Mid of(MessageId id) {
            MessageIdAdv a = (MessageIdAdv) id;
            return new Mid(a.getLedgerId(), a.getEntryId(), a.getBatchIndex());
        }

        @Override
        public int compareTo(Mid o) {
            if (ledger != o.ledger) return Long.compare(ledger, o.ledger);
            if (entry != o.entry) return Long.compare(entry, o.entry);
            return Integer.compare(batch, o.batch);
        }

        @Override
        public String toString() {
            return "(" + ledger + "," + entry + "," + batch + ")";
        }
    }

    static void log(String s) {
        System.err.println("[java-suite] " + s);
    }

    /** A unique topic per scenario and run: runs never collide, scenarios never share state. */
    static String topic(String name) {
        return "persistent://public/default/compat-" + Env.RUN_ID + "-java-" + name + "-" + TOPIC_COUNTER.incrementAndGet();
    }

    /** A wait for something that should happen: generous, scaled for slow brokers. */
    static double waitS(double seconds) {
        return seconds * Env.SCALE;
    }

    static int scaledSeconds(double seconds) {
        return (int) Math.max(1, Math.ceil(seconds * Env.SCALE));
    }

    static long ms(double seconds) {
        return Math.max(1, (long) (seconds * 1000));
    }

    static void check(boolean cond, String msg) {
        if (!cond) throw new AssertionError(msg);
    }

    static void sleepS(double seconds) throws InterruptedException {
        Thread.sleep(ms(seconds));
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(Message<byte[]> m) {
        return new String(m.getData(), StandardCharsets.UTF_8);
    }

    static String textOrNull(Message<byte[]> m) {
        return m == null ? null : text(m);
    }

    static List<String> texts(List<Message<byte[]>> msgs) {
        List<String> out = new ArrayList<>();
        for (Message<byte[]> m : msgs) out.add(text(m));
        return out;
    }

    static List<String> names(String prefix, int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < to; i++) out.add(prefix + i);
        return out;
    }

    /** Receive one message or null after {@code seconds}. */
    static Message<byte[]> recv(Consumer<byte[]> c, double seconds) throws PulsarClientException {
        return c.receive((int) ms(seconds), TimeUnit.MILLISECONDS);
    }

    static Message<byte[]> read(Reader<byte[]> r, double seconds) throws PulsarClientException {
        return r.readNext((int) ms(seconds), TimeUnit.MILLISECONDS);
    }

    /** Receive up to n messages; stop early if none arrives for {@code seconds} (scaled). */
    static List<Message<byte[]>> drain(Consumer<byte[]> c, int n, double seconds, boolean ack) throws PulsarClientException {
        List<Message<byte[]>> out = new ArrayList<>();
        while (out.size() < n) {
            Message<byte[]> m = recv(c, waitS(seconds));
            if (m == null) break;
            out.add(m);
            if (ack) c.acknowledge(m);
        }
        return out;
    }

    static List<Message<byte[]>> drain(Consumer<byte[]> c, int n, boolean ack) throws PulsarClientException {
        return drain(c, n, 10, ack);
    }

    /** Receive until the consumer stays silent: the first wait is long, later ones {@code idleS}. */
    static List<String> receiveUntilQuiet(Consumer<byte[]> c, double firstS, double idleS, boolean ack)
            throws PulsarClientException {
        List<String> out = new ArrayList<>();
        while (true) {
            Message<byte[]> m = recv(c, out.isEmpty() ? waitS(firstS) : idleS);
            if (m == null) return out;
            out.add(text(m));
            if (ack) c.acknowledge(m);
        }
    }

    static List<String> readN(Reader<byte[]> r, int n) throws PulsarClientException {
        List<String> out = new ArrayList<>();
        while (out.size() < n) {
            Message<byte[]> m = read(r, waitS(10));
            if (m == null) break;
            out.add(text(m));
        }
        return out;
    }

    /** sendAsync every payload, wait (bounded) for every receipt; the message ids in send order. */
    static List<MessageId> sendAll(Producer<byte[]> p, List<String> payloads) throws Exception {
        List<CompletableFuture<MessageId>> fs = new ArrayList<>();
        for (String s : payloads) fs.add(p.sendAsync(bytes(s)));
        p.flushAsync();
        return awaitAll(fs, waitS(30));
    }

    static List<MessageId> awaitAll(List<CompletableFuture<MessageId>> fs, double seconds) throws Exception {
        try {
            CompletableFuture.allOf(fs.toArray(new CompletableFuture<?>[0])).get(ms(seconds), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            long done = fs.stream().filter(f -> f.isDone() && !f.isCompletedExceptionally()).count();
            throw new AssertionError("only " + done + " of " + fs.size() + " sends completed");
        } catch (java.util.concurrent.ExecutionException e) {
            long failed = fs.stream().filter(CompletableFuture::isCompletedExceptionally).count();
            throw new AssertionError(failed + " sends failed, e.g. " + e.getCause());
        }
        List<MessageId> ids = new ArrayList<>();
        for (CompletableFuture<MessageId> f : fs) ids.add(f.join());
        return ids;
    }

    /**
     * Create a durable subscription that never acks, so the topic's messages are retained.
     * (Pulsar: with no durable subscription nothing is retained by default — SITE concepts-messaging.)
     */
    static void anchor(PulsarClient cl, String t) throws PulsarClientException {
        cl.newConsumer().topic(t).subscriptionName("anchor")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe().close();
    }

    /** Ask the runner to restart the broker (same ports, same data dir); returns when it is ready again. */
    static String controlRestart(String mode) throws Exception {
        if (Env.CONTROL_URL.isEmpty()) throw new Skip("no control endpoint (external broker): cannot restart it");
        HttpRequest req = HttpRequest.newBuilder(URI.create(Env.CONTROL_URL + "/restart?mode=" + mode))
                .timeout(Duration.ofMillis(ms(600 * Env.SCALE)))
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        String body = r.body() == null ? "" : r.body();
        check(r.statusCode() == 200 && body.replace(" ", "").contains("\"ok\":true"),
                "control restart failed: HTTP " + r.statusCode() + " " + abbreviate(body, 300));
        return body;
    }

    /** PUT with a JSON body to the broker's admin API; fails the scenario unless 2xx. */
    static void adminPut(String path, String jsonBody) throws Exception {
        String url = Env.ADMIN_URL + path;
        HttpRequest req = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofMillis(ms(waitS(15))))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(jsonBody)).build();
        HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        check(r.statusCode() >= 200 && r.statusCode() < 300,
                "PUT " + url + " answered HTTP " + r.statusCode() + ": " + abbreviate(r.body(), 200));
    }

    static String abbreviate(String s, int n) {
        if (s == null) return "";
        return s.length() <= n ? s : s.substring(0, n) + "…";
    }

    /** Index of the first difference between two lists (or the shorter length). */
    static int firstDifference(List<?> a, List<?> b) {
        int n = Math.min(a.size(), b.size());
        for (int i = 0; i < n; i++) if (!a.get(i).equals(b.get(i))) return i;
        return n;
    }
}
