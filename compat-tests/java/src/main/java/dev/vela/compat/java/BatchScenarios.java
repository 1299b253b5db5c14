package dev.vela.compat.java;

import static dev.vela.compat.java.Support.bytes;
import static dev.vela.compat.java.Support.check;
import static dev.vela.compat.java.Support.drain;
import static dev.vela.compat.java.Support.recv;
import static dev.vela.compat.java.Support.sendAll;
import static dev.vela.compat.java.Support.textOrNull;
import static dev.vela.compat.java.Support.texts;
import static dev.vela.compat.java.Support.topic;
import static dev.vela.compat.java.Support.waitS;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.CompressionType;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;

/** Batches with each compression codec, batching off, chunking. */
final class BatchScenarios {
    private BatchScenarios() {}

    static void register() {
        Suite.register("batch-uncompressed", cx -> batchRoundtrip(cx, "batch-none", CompressionType.NONE));
        Suite.register("batch-compression-lz4", cx -> batchRoundtrip(cx, "batch-lz4", CompressionType.LZ4));
        Suite.register("batch-compression-zlib", cx -> batchRoundtrip(cx, "batch-zlib", CompressionType.ZLIB));
        Suite.register("batch-compression-zstd", cx -> batchRoundtrip(cx, "batch-zstd", CompressionType.ZSTD));
        Suite.register("batch-compression-snappy", cx -> batchRoundtrip(cx, "batch-snappy", CompressionType.SNAPPY));
        Suite.register("batching-off", BatchScenarios::batchingOff);
        Suite.register("chunking-large-message", BatchScenarios::chunkingLargeMessage);
    }

    /** PROTOCOL.md §1.6: one entry holds N messages ([size][SingleMessageMetadata][payload] × N, optionally compressed
     *  as a whole: MessageMetadata.compression 8, uncompressed_size 9); the broker never decompresses; the consumer
     *  splits it with batch indexes 0..N-1 (Commands.serializeSingleMessageInBatchWithPayload; SITE 'Batch messages'). */
    static void batchRoundtrip(Ctx cx, String name, CompressionType compression) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic(name);
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "sub");
        Producer<byte[]> p = cl.newProducer().topic(t).enableBatching(true).batchingMaxMessages(50)
                .batchingMaxPublishDelay(100, TimeUnit.MILLISECONDS).compressionType(compression).create();
        List<String> want = new ArrayList<>();
        for (int i = 0; i < 200; i++) want.add(name + "-" + i + "-" + "abcdefgh".repeat(40));
        List<MessageId> receipts = sendAll(p, want);
        List<Message<byte[]>> got = drain(c, want.size(), true);
        check(texts(got).equals(want), "received " + got.size() + " of " + want.size() + " or out of order");
        int maxBatchIndex = -1;
        Set<String> entries = new HashSet<>();
        List<Support.Mid> delivered = new ArrayList<>();
        for (Message<byte[]> m : got) {
            Support.Mid id = Support.Mid.of(m.getMessageId());
            delivered.add(id);
            maxBatchIndex = Math.max(maxBatchIndex, id.batch());
            entries.add(id.ledger() + ":" + id.entry());
        }
        check(maxBatchIndex > 0, "no message was delivered as part of a batch");
        check(entries.size() < want.size(), entries.size() + " entries for " + want.size() + " messages: nothing was batched");
        List<Support.Mid> sent = new ArrayList<>();
        for (MessageId id : receipts) sent.add(Support.Mid.of(id));
        check(sent.equals(delivered), "receipt ids differ from delivered ids");
    }

    /** PROTOCOL.md §1.6/§3: without batching each message is one entry, batch_index -1. (The Java producer batches
     *  by default; enableBatching(false) turns it off.) */
    static void batchingOff(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("nobatch");
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "sub");
        Producer<byte[]> p = ProducerScenarios.unbatched(cl, t);
        List<String> want = Support.names("nb-", 0, 30);
        sendAll(p, want);
        List<Message<byte[]>> got = drain(c, want.size(), true);
        check(texts(got).equals(want), "received " + got.size() + " of " + want.size() + " or out of order");
        List<Support.Mid> ids = new ArrayList<>();
        for (Message<byte[]> m : got) ids.add(Support.Mid.of(m.getMessageId()));
        check(ids.stream().allMatch(x -> x.batch() == -1), "batch index set on non-batched messages: " + ids.subList(0, 3));
        Set<String> entries = new HashSet<>();
        for (Support.Mid x : ids) entries.add(x.ledger() + ":" + x.entry());
        check(entries.size() == want.size(), "two messages share an entry");
    }

    /** PROTOCOL.md §1.7: messages above max_message_size (5 MiB, §1.5, from CONNECTED) are sent as chunks
     *  (uuid, num_chunks_from_msg, total_chunk_msg_size, chunk_id; CommandSend.is_chunk) and reassembled.
     *  The Java client needs batching off for chunking (ProducerBuilderImpl) and gives the reassembled message a
     *  ChunkMessageIdImpl whose first-chunk id names the first chunk's entry. */
    static void chunkingLargeMessage(Ctx cx) throws Exception {
        PulsarClient cl = cx.client();
        String t = topic("chunk");
        Consumer<byte[]> c = ProducerScenarios.earliest(cl, t, "sub");
        Producer<byte[]> p = cl.newProducer().topic(t).enableChunking(true).enableBatching(false)
                .sendTimeout(Support.scaledSeconds(60), TimeUnit.SECONDS).create();
        byte[] big = new byte[6 * 1024 * 1024];
        new SecureRandom().nextBytes(big);
        MessageId sentId = p.send(big);
        p.send(bytes("after-the-big-one"));
        Message<byte[]> m = recv(c, waitS(30));
        check(m != null, "chunked message not received");
        byte[] data = m.getData();
        check(data.length == big.length, "reassembled size " + data.length + " != " + big.length);
        check(Arrays.equals(data, big), "reassembled bytes differ");
        MessageIdAdv first = ((MessageIdAdv) m.getMessageId()).getFirstChunkMessageId();
        check(first != null, "the 6 MiB message did not arrive as chunks (no first-chunk id): was it sent whole?");
        check(first.getEntryId() < ((MessageIdAdv) m.getMessageId()).getEntryId(),
                "first and last chunk share an entry: " + first + " / " + m.getMessageId());
        check(Support.Mid.of(sentId).equals(Support.Mid.of(m.getMessageId())),
                "receipt id " + sentId + " != delivered id " + m.getMessageId());
        c.acknowledge(m);
        Message<byte[]> m2 = recv(c, waitS(10));
        check(m2 != null && "after-the-big-one".equals(textOrNull(m2)), "message after the chunked one missing");
        c.acknowledge(m2);
    }
}
