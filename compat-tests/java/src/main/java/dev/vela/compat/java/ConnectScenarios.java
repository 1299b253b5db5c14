package dev.vela.compat.java;

import static dev.vela.compat.java.Support.bytes;
import static dev.vela.compat.java.Support.check;
import static dev.vela.compat.java.Support.recv;
import static dev.vela.compat.java.Support.textOrNull;
import static dev.vela.compat.java.Support.topic;
import static dev.vela.compat.java.Support.waitS;

import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;

/** Connecting: binary and HTTP service URLs, keep-alive. */
final class ConnectScenarios {
    private ConnectScenarios() {}

    static void register() {
        Suite.register("connect-binary-url", ConnectScenarios::connectBinaryUrl);
        Suite.register("connect-http-url", ConnectScenarios::connectHttpUrl);
        Suite.register("keep-alive-idle-connection", ConnectScenarios::keepAliveIdleConnection);
    }

    private static void roundTrip(PulsarClient cl, String t, String payload) throws Exception {
        Consumer<byte[]> c = cl.newConsumer().topic(t).subscriptionName("sub")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
        Producer<byte[]> p = cl.newProducer().topic(t).create();
        p.send(bytes(payload));
        Message<byte[]> m = recv(c, waitS(10));
        check(m != null, "no message received");
        check(payload.equals(textOrNull(m)), "got " + textOrNull(m));
        c.acknowledge(m);
    }

    /** PROTOCOL.md §2.3 CONNECT→CONNECTED, §2.5 PARTITIONED_METADATA + LOOKUP on the binary service URL
     *  (ServerCnx.completeConnect, BinaryProtoLookupService, TopicLookupBase). */
    static void connectBinaryUrl(Ctx cx) throws Exception {
        roundTrip(cx.client(Env.SERVICE_URL), topic("conn-bin"), "hello-binary");
    }

    /** PROTOCOL.md §6.1: with an http:// service URL the Java client's HttpLookupService calls
     *  GET /admin/v2/persistent/.../partitions and GET /lookup/v2/topic/persistent/..., then connects to the
     *  brokerUrl of the LookupData answer (lookup/v2/TopicLookup.java, LookupData.java). */
    static void connectHttpUrl(Ctx cx) throws Exception {
        roundTrip(cx.client(Env.ADMIN_URL), topic("conn-http"), "hello-http");
    }

    /** PROTOCOL.md §2.4: each side PINGs every keep-alive interval and the Java client closes a connection whose
     *  previous PING is still unanswered at the next tick (PulsarHandler.handleKeepAliveTimeout). With a 3 s interval
     *  an idle producer and consumer keep their connection through 10 s of application silence only if the broker
     *  answers every PING with a PONG. */
    static void keepAliveIdleConnection(Ctx cx) throws Exception {
        PulsarClient cl = cx.client(Env.SERVICE_URL, b -> b.keepAliveInterval(3, TimeUnit.SECONDS));
        String t = topic("keepalive");
        Consumer<byte[]> c = cl.newConsumer().topic(t).subscriptionName("sub")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
        Producer<byte[]> p = cl.newProducer().topic(t).create();
        Thread.sleep(10_000); // three keep-alive intervals without application traffic
        check(p.isConnected() && c.isConnected(), "producer or consumer lost its connection while idle");
        check(p.getLastDisconnectedTimestamp() == 0,
                "producer was disconnected while idle (no PONG within one keep-alive interval?)");
        check(c.getLastDisconnectedTimestamp() == 0,
                "consumer was disconnected while idle (no PONG within one keep-alive interval?)");
        p.send(bytes("after-idle"));
        Message<byte[]> m = recv(c, waitS(10));
        check(m != null && "after-idle".equals(textOrNull(m)), "message after the idle period not received");
        c.acknowledge(m);
    }
}
