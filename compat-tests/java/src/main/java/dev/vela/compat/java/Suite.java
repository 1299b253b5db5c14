package dev.vela.compat.java;

import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Conformance scenarios run with the official Apache Pulsar Java client (pulsar-client 4.0.x).
 *
 * <p>Black box: talks to the broker only through SERVICE_URL (binary), ADMIN_URL (HTTP) and the runner's
 * COMPAT_CONTROL_URL (restart the broker). Prints one JSON line per scenario on stdout:
 * {"scenario": id, "client": "java", "status": "pass|fail|skip", "reason": "...", "ms": 123}
 * and nothing else there. Scenarios to run come from COMPAT_SCENARIOS (comma-separated, run in that order,
 * sequentially, in this one JVM). Each scenario asserts what Apache Pulsar does; a comment names the source
 * (see compat-tests/scenarios.json).
 */
public final class Suite {
    /** One scenario: throws AssertionError to fail, Support.Skip to skip. */
    @FunctionalInterface
    interface Scenario {
        void run(Ctx cx) throws Exception;
    }

    static final Map<String, Scenario> SCENARIOS = new LinkedHashMap<>();

    static void register(String id, Scenario s) {
        if (SCENARIOS.putIfAbsent(id, s) != null) throw new IllegalStateException("duplicate scenario " + id);
    }

    static {
        ConnectScenarios.register();
        ProducerScenarios.register();
        BatchScenarios.register();
        SubscriptionScenarios.register();
        KeySharedScenarios.register();
        PositionScenarios.register();
        AckScenarios.register();
        TopicScenarios.register();
        RestartScenarios.register();
        RetryTimeScenarios.register();
        NonPersistentScenarios.register();
        RegexScenarios.register();
        SchemaScenarios.register();
        TerminateScenarios.register();
    }

    private Suite() {}

    public static void main(String[] args) {
        // stdout carries result lines only: anything else that prints to System.out goes to stderr
        PrintStream results = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err);

        List<String> wanted = new ArrayList<>();
        for (String s : Env.SCENARIOS.split(",")) if (!s.isBlank()) wanted.add(s.trim());
        if (wanted.isEmpty()) wanted.addAll(SCENARIOS.keySet());

        for (String id : wanted) {
            long t0 = System.nanoTime();
            Scenario fn = SCENARIOS.get(id);
            if (fn == null) {
                emit(results, id, "fail", "not implemented in the java suite", 0);
                continue;
            }
            Support.log("=== " + id);
            String status;
            String reason;
            Ctx cx = new Ctx();
            try {
                fn.run(cx);
                status = "pass";
                reason = "";
            } catch (Support.Skip e) {
                status = "skip";
                reason = e.getMessage();
            } catch (AssertionError e) {
                status = "fail";
                reason = String.valueOf(e.getMessage());
            } catch (Throwable e) { // any client error is a failure of the scenario
                Throwable root = unwrap(e);
                status = "fail";
                reason = root.getClass().getSimpleName() + ": " + root.getMessage();
                root.printStackTrace(System.err);
            } finally {
                cx.closeAllInBackground();
            }
            Support.log("=== " + id + " " + status + (reason.isEmpty() ? "" : ": " + reason));
            emit(results, id, status, Support.abbreviate(reason, 500), (System.nanoTime() - t0) / 1_000_000);
        }
        results.flush();
        Ctx.awaitBackgroundCloses();
        // client threads (netty, timers) are non-daemon in places: leave explicitly
        System.exit(0);
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof ExecutionException || e instanceof CompletionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private static void emit(PrintStream out, String id, String status, String reason, long ms) {
        out.println("{\"scenario\":" + json(id) + ",\"client\":\"java\",\"status\":" + json(status)
                + ",\"reason\":" + json(reason) + ",\"ms\":" + ms + "}");
        out.flush();
    }

    static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
