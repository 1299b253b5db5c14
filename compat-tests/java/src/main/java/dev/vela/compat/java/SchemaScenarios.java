package dev.vela.compat.java;

import static dev.vela.compat.java.Support.check;
import static dev.vela.compat.java.Support.waitS;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.schema.GenericRecord;

/**
 * Schema registry (PROTOCOL.md §2.8): producers and consumers with schemas, compatibility under the default FULL
 * strategy, and the admin API. AUTO_CONSUME consumers fetch each message's schema with GET_SCHEMA.
 */
final class SchemaScenarios {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private SchemaScenarios() {}

    /** Avro reflection needs public classes with a no-argument constructor. */
    public static class SchemaUserV1 {
        public String name;
        public int age;

        public SchemaUserV1() {}

        SchemaUserV1(String name, int age) {
            this.name = name;
            this.age = age;
        }
    }

    /** V1 plus a nullable field (default null): compatible under FULL. */
    public static class SchemaUserV2 {
        public String name;
        public int age;
        public String email;

        public SchemaUserV2() {}
    }

    /** V1 plus an int field, which has no default: old data cannot be read with it, so FULL refuses it. */
    public static class SchemaUserBad {
        public String name;
        public int age;
        public int city;

        public SchemaUserBad() {}
    }

    static void register() {
        Suite.register("schema-record-roundtrip", SchemaScenarios::recordRoundtrip);
        Suite.register("schema-compatible-evolution", SchemaScenarios::compatibleEvolution);
        Suite.register("schema-incompatible-refused", SchemaScenarios::incompatibleRefused);
        Suite.register("schema-primitive-mismatch-refused", SchemaScenarios::primitiveMismatchRefused);
        Suite.register("schema-subscribe-checked", SchemaScenarios::subscribeChecked);
        Suite.register("schema-namespace-policies", SchemaScenarios::namespacePolicies);
    }

    private static String schemaPath(String t, String suffix) {
        return "/admin/v2/schemas/" + t.substring(t.indexOf("://") + 3) + "/" + suffix;
    }

    private record Reply(int status, String body) {}

    private static Reply admin(String method, String path, String jsonBody) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(Env.ADMIN_URL + path))
                .timeout(Duration.ofMillis(Support.ms(waitS(30)))).header("Content-Type", "application/json");
        b.method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(jsonBody));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    /** The compact JSON of GetSchemaResponse has this member (Jackson and the broker print no spaces). */
    private static boolean has(Reply r, String member) {
        return r.body() != null && r.body().matches("(?s).*[{,]" + java.util.regex.Pattern.quote(member) + "[,}].*");
    }

    private static long version(byte[] bytes) {
        check(bytes != null && bytes.length == 8, "schema version of " + (bytes == null ? "null" : bytes.length) + " bytes");
        return ByteBuffer.wrap(bytes).getLong();
    }

    private static <T> List<Message<T>> drainTyped(Consumer<T> c, int n) throws PulsarClientException {
        List<Message<T>> out = new ArrayList<>();
        while (out.size() < n) {
            Message<T> m = c.receive(Support.scaledSeconds(10), TimeUnit.SECONDS);
            if (m == null) break;
            out.add(m);
            c.acknowledge(m);
        }
        return out;
    }

    /** ServerCnx.handleProducer registers the schema; SchemasResourceBase.convertToSchemaResponse; ServerCnx.handleGetSchema. */
    static void recordRoundtrip(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = Support.topic("schema-roundtrip");
        Schema<SchemaUserV1> schema = Schema.AVRO(SchemaUserV1.class);
        Consumer<SchemaUserV1> typed = cl.newConsumer(schema).topic(t).subscriptionName("typed")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
        Consumer<GenericRecord> auto = cl.newConsumer(Schema.AUTO_CONSUME()).topic(t).subscriptionName("auto")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
        Producer<SchemaUserV1> p = cl.newProducer(schema).topic(t).enableBatching(false).create();
        for (int i = 0; i < 3; i++) p.send(new SchemaUserV1("user-" + i, 20 + i));
        List<Message<SchemaUserV1>> got = drainTyped(typed, 3);
        check(got.size() == 3, "typed consumer received " + got.size() + " of 3");
        for (int i = 0; i < 3; i++) {
            SchemaUserV1 u = got.get(i).getValue();
            check(("user-" + i).equals(u.name) && u.age == 20 + i, "message " + i + " decoded as " + u.name + "/" + u.age);
        }
        List<Message<GenericRecord>> generic = drainTyped(auto, 3);
        check(generic.size() == 3, "AUTO_CONSUME consumer received " + generic.size() + " of 3");
        check("user-0".equals(String.valueOf(generic.get(0).getValue().getField("name"))), "AUTO_CONSUME decoded "
                + generic.get(0).getValue().getField("name"));
        Reply r = admin("GET", schemaPath(t, "schema"), null);
        check(r.status() == 200 && has(r, "\"version\":0") && has(r, "\"type\":\"AVRO\""), "GET schema: HTTP " + r.status() + " " + r.body());
        check(r.body().contains("SchemaUserV1"), "GET schema data: " + r.body());
        String plain = Support.topic("schema-none");
        cl.newProducer().topic(plain).create().close();
        r = admin("GET", schemaPath(plain, "schema"), null);
        check(r.status() == 404 && r.body().contains("Schema not found"), "GET schema of a schema-less topic: HTTP " + r.status() + " " + r.body());
    }

    /** SchemaRegistryServiceImpl.putSchemaIfAbsent: a FULL-compatible schema becomes the next version. */
    static void compatibleEvolution(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = Support.topic("schema-evolve");
        Producer<SchemaUserV1> p1 = cl.newProducer(Schema.AVRO(SchemaUserV1.class)).topic(t).enableBatching(false).create();
        Consumer<GenericRecord> c = cl.newConsumer(Schema.AUTO_CONSUME()).topic(t).subscriptionName("s")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
        p1.send(new SchemaUserV1("a", 1));
        Producer<SchemaUserV2> p2 = cl.newProducer(Schema.AVRO(SchemaUserV2.class)).topic(t).enableBatching(false).create();
        SchemaUserV2 b = new SchemaUserV2();
        b.name = "b";
        b.age = 2;
        b.email = "b@example.com";
        p2.send(b);
        // The first schema again: found as version 0, not added.
        cl.newProducer(Schema.AVRO(SchemaUserV1.class)).topic(t).create().close();
        List<Message<GenericRecord>> got = drainTyped(c, 2);
        check(got.size() == 2, "received " + got.size() + " of 2");
        check(version(got.get(0).getSchemaVersion()) == 0 && version(got.get(1).getSchemaVersion()) == 1, "schema versions");
        check("b@example.com".equals(String.valueOf(got.get(1).getValue().getField("email"))),
                "second message decoded with version 1: " + got.get(1).getValue().getField("email"));
        Reply r = admin("GET", schemaPath(t, "schema"), null);
        check(r.status() == 200 && has(r, "\"version\":1"), "latest schema: HTTP " + r.status() + " " + r.body());
        r = admin("GET", schemaPath(t, "schemas"), null);
        check(r.status() == 200 && r.body().contains("\"version\":0") && r.body().contains("\"version\":1"), "GET schemas: " + r.body());
    }

    /** AvroSchemaBasedCompatibilityCheck under FULL; ServerCnx.tryAddSchema lets a schema-less producer in. */
    static void incompatibleRefused(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = Support.topic("schema-incompatible");
        cl.newProducer(Schema.AVRO(SchemaUserV1.class)).topic(t).create().close();
        try {
            cl.newProducer(Schema.AVRO(SchemaUserBad.class)).topic(t).create().close();
            throw new AssertionError("a producer with an incompatible schema was created");
        } catch (PulsarClientException.IncompatibleSchemaException expected) {
            // IncompatibleSchema: not retried by the client
        }
        Reply r = admin("GET", schemaPath(t, "schema"), null);
        check(r.status() == 200 && has(r, "\"version\":0"), "latest schema after the refusal: HTTP " + r.status() + " " + r.body());
        Producer<byte[]> plain = cl.newProducer().topic(t).create();
        plain.send(Support.bytes("raw bytes"));
        plain.close();
    }

    /** SchemaRegistryServiceImpl.checkCompatible refuses another type; SchemasResourceBase.testCompatibilityAsync. */
    static void primitiveMismatchRefused(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = Support.topic("schema-primitive");
        Reply r = admin("POST", schemaPath(t, "schema"), "{\"type\":\"INT32\",\"schema\":\"\",\"properties\":{}}");
        check(r.status() == 200 && r.body().replace(" ", "").equals("{\"version\":{\"version\":0}}"), "POST INT32 schema: HTTP " + r.status() + " " + r.body());
        try {
            cl.newProducer(Schema.STRING).topic(t).create().close();
            throw new AssertionError("a STRING producer was created on an INT32 topic");
        } catch (PulsarClientException.IncompatibleSchemaException expected) {
            check(expected.getMessage().contains("exists schema type INT32, new schema type STRING"), "refusal: " + expected.getMessage());
        }
        Producer<Integer> ints = cl.newProducer(Schema.INT32).topic(t).create();
        ints.send(7);
        ints.close();
        r = admin("POST", schemaPath(t, "compatibility"), "{\"type\":\"STRING\",\"schema\":\"\",\"properties\":{}}");
        check(r.status() == 500, "compatibility of STRING: HTTP " + r.status() + " " + r.body());
        r = admin("POST", schemaPath(t, "compatibility"), "{\"type\":\"INT32\",\"schema\":\"\",\"properties\":{}}");
        check(r.status() == 202 && r.body().contains("\"compatibility\":true") && r.body().contains("\"schemaCompatibilityStrategy\":\"FULL\""),
                "compatibility of INT32: HTTP " + r.status() + " " + r.body());
    }

    /** PersistentTopic.addSchemaIfIdleOrCheckCompatible: an idle topic takes the consumer's schema, else it is checked. */
    static void subscribeChecked(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = Support.topic("schema-subscribe");
        cl.newConsumer(Schema.AVRO(SchemaUserV1.class)).topic(t).subscriptionName("first").subscribe().close();
        Reply r = admin("GET", schemaPath(t, "schema"), null);
        check(r.status() == 200 && has(r, "\"version\":0") && has(r, "\"type\":\"AVRO\""), "schema registered by the first consumer: " + r.body());
        try {
            cl.newConsumer(Schema.STRING).topic(t).subscriptionName("second").subscribe().close();
            throw new AssertionError("a STRING consumer subscribed to an AVRO topic");
        } catch (PulsarClientException.IncompatibleSchemaException expected) {
            // refused by the broker's consumer check
        }
        cl.newConsumer(Schema.AVRO(SchemaUserV1.class)).topic(t).subscriptionName("third").subscribe().close();
    }

    /** Retries until creating the producer is refused: Pulsar hands namespace policies to loaded topics asynchronously. */
    private static boolean refusedSoon(java.util.concurrent.Callable<Producer<?>> create) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Support.ms(waitS(10)));
        while (true) {
            try {
                create.call().close();
            } catch (PulsarClientException.IncompatibleSchemaException expected) {
                return true;
            }
            if (System.nanoTime() > deadline) return false;
            Support.sleepS(0.2);
        }
    }

    /** Namespaces isAllowAutoUpdateSchema / schemaValidationEnforced; AbstractTopic.addSchema, ServerCnx.tryAddSchema. */
    static void namespacePolicies(Ctx cx) throws Exception {
        String ns = "public/compat-schema-policy-" + Env.RUN_ID + "-java";
        Reply r = admin("PUT", "/admin/v2/namespaces/" + ns, null);
        check(r.status() == 204 || r.status() == 409, "create namespace: HTTP " + r.status() + " " + r.body());
        String base = "/admin/v2/namespaces/" + ns;
        check(admin("GET", base + "/isAllowAutoUpdateSchema", null).body().trim().equals("true"), "isAllowAutoUpdateSchema defaults to true");
        check(admin("GET", base + "/schemaValidationEnforced", null).body().trim().equals("false"), "schemaValidationEnforced defaults to false");
        PulsarClient cl = cx.client();
        String t = "persistent://" + ns + "/with-schema";
        cl.newProducer(Schema.STRING).topic(t).create().close();
        check(admin("POST", base + "/isAllowAutoUpdateSchema", "false").status() == 204, "disable auto update");
        check(admin("POST", base + "/schemaValidationEnforced", "true").status() == 204, "enforce validation");
        check(admin("GET", base + "/isAllowAutoUpdateSchema", null).body().trim().equals("false"), "isAllowAutoUpdateSchema after POST");
        check(admin("GET", base + "/schemaValidationEnforced", null).body().trim().equals("true"), "schemaValidationEnforced after POST");
        check(refusedSoon(() -> cl.newProducer().topic(t).create()), "a producer without a schema was accepted on a topic with one");
        cl.newProducer(Schema.STRING).topic(t).create().close();
        check(refusedSoon(() -> cl.newProducer(Schema.STRING).topic("persistent://" + ns + "/new-topic").create()),
                "a new schema was registered with auto update disabled");
        cl.newProducer().topic("persistent://" + ns + "/schema-less").create().close();
    }
}
