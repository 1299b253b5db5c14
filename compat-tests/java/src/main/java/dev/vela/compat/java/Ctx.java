package dev.vela.compat.java;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.apache.pulsar.client.api.ClientBuilder;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;

/** Owns the clients a scenario opens and closes them all at the end, whatever happened. */
final class Ctx {
    private static final long CLOSE_TIMEOUT_MS = 10_000;
    private static final List<CompletableFuture<Void>> BACKGROUND = new ArrayList<>();

    /**
     * Diagnostic only, never set by the runner: COMPAT_JAVA_SMALL_REQUEST_IDS=1 makes each client number its requests
     * from 0 instead of from a random value in [0, 2^62) (what PulsarClientImpl does in 4.0.x). It shows what else
     * fails on a broker that cannot carry request ids above 2^53; results obtained with it are not conformance results.
     */
    static final boolean SMALL_REQUEST_IDS = "1".equals(System.getenv("COMPAT_JAVA_SMALL_REQUEST_IDS"));

    private final List<PulsarClient> clients = new ArrayList<>();

    PulsarClient client() throws PulsarClientException {
        return client(Env.SERVICE_URL, UnaryOperator.identity());
    }

    PulsarClient client(String url) throws PulsarClientException {
        return client(url, UnaryOperator.identity());
    }

    /** A client with the suite's bounded timeouts; {@code tweak} may change any setting. */
    PulsarClient client(String url, UnaryOperator<ClientBuilder> tweak) throws PulsarClientException {
        ClientBuilder b = PulsarClient.builder()
                .serviceUrl(url)
                // 15 s (scaled) instead of the default 30 s: the client notices a timed-out request only on the next
                // check, one timeout later (ClientCnx.checkRequestTimeout), so a broker that never answers fails a
                // scenario after ~30 s, inside the runner's 60 s default budget. Healthy brokers answer in milliseconds.
                .operationTimeout(Support.scaledSeconds(15), TimeUnit.SECONDS)
                .connectionTimeout(10, TimeUnit.SECONDS)
                // reconnect quickly after a broker restart (defaults: 100 ms growing to 60 s)
                .startingBackoffInterval(100, TimeUnit.MILLISECONDS)
                .maxBackoffInterval(2, TimeUnit.SECONDS);
        PulsarClient c = tweak.apply(b).build();
        clients.add(c);
        if (SMALL_REQUEST_IDS) restartRequestIds(c);
        return c;
    }

    private static void restartRequestIds(PulsarClient c) {
        try {
            java.lang.reflect.Field f = c.getClass().getDeclaredField("requestIdGenerator");
            f.setAccessible(true);
            ((AtomicLong) f.get(c)).set(0);
        } catch (ReflectiveOperationException | RuntimeException e) {
            Support.log("COMPAT_JAVA_SMALL_REQUEST_IDS: cannot reset the request id generator: " + e);
        }
    }

    /** Closes every client and waits (bounded) until they are closed: producers and consumers first (pending acks
     *  are flushed), then the connections. Used inside a scenario, e.g. before restarting the broker. */
    void closeAll() {
        for (CompletableFuture<Void> f : startClosing()) awaitClosed(f);
    }

    /** Closes every client without waiting for its threads to wind down (PulsarClientImpl.closeAsync spends about
     *  2 s shutting its event loops down). Used between scenarios: topics are unique, nothing depends on it.
     *  {@link #awaitBackgroundCloses()} waits for all of them before the JVM exits. */
    void closeAllInBackground() {
        BACKGROUND.addAll(startClosing());
    }

    static void awaitBackgroundCloses() {
        for (CompletableFuture<Void> f : BACKGROUND) awaitClosed(f);
        BACKGROUND.clear();
    }

    private List<CompletableFuture<Void>> startClosing() {
        List<CompletableFuture<Void>> fs = new ArrayList<>();
        for (PulsarClient c : clients) {
            CompletableFuture<Void> f = c.closeAsync().handle((ok, err) -> {
                if (err != null) {
                    Support.log("closing a client: " + err);
                    hardStop(c);
                }
                return (Void) null;
            });
            fs.add(f.orTimeout(CLOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS).exceptionally(err -> {
                Support.log("client not closed within " + CLOSE_TIMEOUT_MS + " ms: " + err);
                hardStop(c);
                return null;
            }));
        }
        clients.clear();
        return fs;
    }

    private static void hardStop(PulsarClient c) {
        try {
            c.shutdown();
        } catch (Exception e) {
            Support.log("shutting a client down: " + e);
        }
    }

    private static void awaitClosed(CompletableFuture<Void> f) {
        try {
            f.get(CLOSE_TIMEOUT_MS + 5_000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            Support.log("waiting for a client to close: " + e);
        }
    }
}
