package main

// Batches (with every compression codec the Go client has), batching off, chunking.

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

func init() {
	register("batch-uncompressed", 0, func(x *X) { batchRoundTrip(x, "batch-none", pulsar.NoCompression) })
	register("batch-compression-lz4", 0, func(x *X) { batchRoundTrip(x, "batch-lz4", pulsar.LZ4) })
	register("batch-compression-zlib", 0, func(x *X) { batchRoundTrip(x, "batch-zlib", pulsar.ZLib) })
	register("batch-compression-zstd", 0, func(x *X) { batchRoundTrip(x, "batch-zstd", pulsar.ZSTD) })
	register("batch-compression-snappy", 0, func(x *X) { batchRoundTrip(x, "batch-snappy", pulsar.SNAPPY) })
	register("batching-off", 0, batchingOff)
	register("chunking-large-message", 80, chunkingLargeMessage)
}

// PROTOCOL.md §1.6: one entry holds N messages ([size][SingleMessageMetadata][payload] × N, optionally
// compressed as a whole: MessageMetadata.compression 8, uncompressed_size 9); the broker never
// decompresses; the consumer splits it with batch indexes 0..N-1. (Go: internal/batch_builder.go
// compresses with the producer's codec; consumer_partition.go picks the decompressor from the metadata.)
func batchRoundTrip(x *X, name string, codec pulsar.CompressionType) {
	cl := x.client()
	t := topic(name)
	c := subEarliest(cl, t, "sub")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, BatchingMaxMessages: 50,
		BatchingMaxPublishDelay: 100 * time.Millisecond, CompressionType: codec})
	var want []string
	for i := 0; i < 200; i++ {
		want = append(want, fmt.Sprintf("%s-%d-", name, i)+strings.Repeat("abcdefgh", 40))
	}
	receipts := sendAll(p, msgs(want))
	got := drain(c, len(want), secs(10), true)
	check(equalStrings(texts(got), want), "received %d of %d or out of order (first difference at %d)",
		len(got), len(want), firstDiff(texts(got), want))
	maxIdx := int32(-1)
	entries := map[[2]int64]bool{}
	for _, m := range got {
		if m.ID().BatchIdx() > maxIdx {
			maxIdx = m.ID().BatchIdx()
		}
		entries[[2]int64{m.ID().LedgerID(), m.ID().EntryID()}] = true
	}
	check(maxIdx > 0, "no message was delivered as part of a batch")
	check(len(entries) < len(want), "%d entries for %d messages: nothing was batched", len(entries), len(want))
	for i, m := range got {
		check(midOf(receipts[i]) == midOf(m.ID()), "receipt id %v differs from delivered id %v (message %d)",
			midOf(receipts[i]), midOf(m.ID()), i)
	}
}

// PROTOCOL.md §1.6/§3: without batching each message is one entry, batch_index -1.
// Go quirk: the Go consumer reports batch index 0 (not -1) for a non-batched message
// (consumer_partition.go numbers the messages of every entry 0..n-1), so we check one entry per message
// and a batch size of 1.
func batchingOff(x *X) {
	cl := x.client()
	t := topic("nobatch")
	c := subEarliest(cl, t, "sub")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	want := seq("nb-", 0, 30)
	sendAll(p, msgs(want))
	got := drain(c, len(want), secs(10), true)
	check(equalStrings(texts(got), want), "received %d of %d or out of order", len(got), len(want))
	entries := map[[2]int64]bool{}
	for _, m := range got {
		check(m.ID().BatchIdx() <= 0 && m.ID().BatchSize() <= 1, "non-batched message delivered as part of a batch: %v size %d",
			midOf(m.ID()), m.ID().BatchSize())
		entries[[2]int64{m.ID().LedgerID(), m.ID().EntryID()}] = true
	}
	check(len(entries) == len(want), "two messages share an entry")
}

// PROTOCOL.md §1.7: messages above max_message_size (5 MiB, §1.5) are sent as chunks
// (uuid, num_chunks_from_msg, total_chunk_msg_size, chunk_id; CommandSend.is_chunk) and reassembled.
// (Go: EnableChunking needs DisableBatching; the chunk size defaults to CONNECTED.max_message_size.)
func chunkingLargeMessage(x *X) {
	cl := x.client()
	t := topic("chunk")
	c := subEarliest(cl, t, "sub")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, EnableChunking: true, DisableBatching: true,
		SendTimeout: secs(60)})
	big := make([]byte, 6*1024*1024)
	_, _ = rand.Read(big)
	send(p, &pulsar.ProducerMessage{Payload: big})
	sendText(p, "after-the-big-one")
	m := recv(c, secs(30))
	check(m != nil, "chunked message not received")
	data := m.Payload()
	check(len(data) == len(big), "reassembled size %d != %d", len(data), len(big))
	check(bytes.Equal(data, big), "reassembled bytes differ")
	ok(c.Ack(m), "ack chunked message")
	m2 := recv(c, secs(10))
	check(m2 != nil && string(m2.Payload()) == "after-the-big-one", "message after the chunked one missing")
	ok(c.Ack(m2), "ack")
}
