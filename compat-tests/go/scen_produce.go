package main

// Connecting and producing: service URLs, ordering, receipts, producer names, metadata round trips.

import (
	"fmt"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

func init() {
	register("connect-binary-url", 0, connectBinaryURL)
	register("connect-http-url", 0, connectHTTPURL)
	register("produce-consume-order", 0, produceConsumeOrder)
	register("send-receipts-ids-increasing", 0, sendReceiptsIDsIncreasing)
	register("producer-name-generated-unique", 0, producerNameGeneratedUnique)
	register("producer-name-collision", 0, producerNameCollision)
	register("message-properties", 0, messageProperties)
	register("message-key-eventtime", 0, messageKeyEventTime)
}

// helloRoundTrip subscribes, produces one message and receives it on the given client.
func helloRoundTrip(cl pulsar.Client, t, payload string) {
	c := subEarliest(cl, t, "sub")
	p := producer(cl, pulsar.ProducerOptions{Topic: t})
	sendText(p, payload)
	m := recv(c, secs(10))
	check(m != nil, "no message received")
	check(string(m.Payload()) == payload, "got %q", m.Payload())
	ok(c.Ack(m), "ack")
}

// PROTOCOL.md §2.3 CONNECT→CONNECTED, §2.5 PARTITIONED_METADATA + LOOKUP on the binary service URL.
// (Go: doHandshake reads exactly one frame and needs CONNECTED; lookupService.Lookup.)
func connectBinaryURL(x *X) {
	helloRoundTrip(x.client(), topic("conn-bin"), "hello-binary")
}

// PROTOCOL.md §6.1: with an http:// service URL the Go client uses httpLookupService:
// GET /admin/v2/.../partitions and GET /lookup/v2/topic/..., then connects to the returned brokerUrl.
func connectHTTPURL(x *X) {
	helloRoundTrip(x.clientWith(clientOptions(adminURL)), topic("conn-http"), "hello-http")
}

// Ordering per topic for one producer and an Exclusive consumer (SITE concepts-messaging;
// PULSAR-REFERENCE.md §5.3).
func produceConsumeOrder(x *X) {
	cl := x.client()
	t := topic("order")
	c := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", Type: pulsar.Exclusive,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
	p := producer(cl, pulsar.ProducerOptions{Topic: t})
	want := seq("m-", 0, 200)
	sendAll(p, msgs(want))
	got := texts(drain(c, len(want), secs(10), true))
	check(equalStrings(got, want), "received %d messages; first difference at %d", len(got), firstDiff(got, want))
}

// PROTOCOL.md §2.6: SEND_RECEIPT carries the message id, receipts in send order; §3 'Message ids':
// ids strictly increase by (ledgerId, entryId, batch_index); the consumer sees the same ids.
// Go quirk: the Go client never shows batch index -1. Send numbers the requests of every pending item
// 0..n-1 (producer_partition.go ReceivedSendReceipt) and the consumer numbers the messages of every
// entry 0..n-1 (consumer_partition.go MessageReceived), so a non-batched message is (ledgerId, entryId, 0)
// on both sides. Instead of -1 we check that each non-batched message is an entry of its own.
func sendReceiptsIDsIncreasing(x *X) {
	cl := x.client()
	t := topic("ids")
	c := subEarliest(cl, t, "sub")
	p1 := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	var ids []mid
	for i := 0; i < 20; i++ {
		ids = append(ids, midOf(sendText(p1, fmt.Sprintf("a-%d", i))))
	}
	p2 := producer(cl, pulsar.ProducerOptions{Topic: t, BatchingMaxPublishDelay: 50 * time.Millisecond})
	for _, id := range sendAll(p2, msgs(seq("b-", 0, 20))) {
		ids = append(ids, midOf(id))
	}
	for i := 1; i < len(ids); i++ {
		check(ids[i-1].less(ids[i]), "message ids not strictly increasing: %v then %v", ids[i-1], ids[i])
	}
	for i := 1; i < 20; i++ {
		check(ids[i].E != ids[i-1].E || ids[i].L != ids[i-1].L, "two non-batched messages share an entry: %v %v", ids[i-1], ids[i])
	}
	check(ids[20].E == ids[21].E && ids[21].B == 1, "batched receipts do not share an entry: %v %v", ids[20], ids[21])
	got := drain(c, 40, secs(10), true)
	check(len(got) == 40, "received %d of 40", len(got))
	for i, m := range got {
		s := midOf(m.ID())
		check(s == ids[i], "consumer ids differ from receipts, e.g. message %d: delivered %v, receipt %v", i, s, ids[i])
	}
}

// PROTOCOL.md §2.6: a producer without a name gets a broker-generated unique one
// (BrokerService.generateUniqueProducerName); the name is in each message's metadata.
// (Go: an empty Name sets user_provided_producer_name=false and adopts PRODUCER_SUCCESS.producer_name.)
func producerNameGeneratedUnique(x *X) {
	cl := x.client()
	t1, t2 := topic("pname-a"), topic("pname-b")
	c := subEarliest(cl, t1, "sub")
	p1 := producer(cl, pulsar.ProducerOptions{Topic: t1})
	p2 := producer(cl, pulsar.ProducerOptions{Topic: t1})
	p3 := producer(cl, pulsar.ProducerOptions{Topic: t2})
	names := []string{p1.Name(), p2.Name(), p3.Name()}
	seen := map[string]bool{}
	for _, n := range names {
		check(n != "", "empty producer name: %q", names)
		seen[n] = true
	}
	check(len(seen) == 3, "generated names not unique: %q", names)
	sendText(p1, "x")
	m := recv(c, secs(10))
	check(m != nil, "no message received")
	check(m.ProducerName() == names[0], "message producer_name %q != %q", m.ProducerName(), names[0])
}

// PROTOCOL.md §2.6 'Uniqueness': a second producer with a connected name → ERROR ProducerBusy(16)
// 'Producer with name ... is already connected to topic'. Go fails CreateProducer with
// "server error: ProducerBusy: ..." (connection.go handleResponseError; no retry on creation).
func producerNameCollision(x *X) {
	cl := x.client()
	t := topic("pbusy")
	name := fmt.Sprintf("compat-%s-go-fixed-name", runID)
	p1 := producer(cl, pulsar.ProducerOptions{Topic: t, Name: name})
	check(p1.Name() == name, "producer name %q != requested %q", p1.Name(), name)
	cl2 := x.client()
	p2, err := cl2.CreateProducer(pulsar.ProducerOptions{Topic: t, Name: name})
	if err == nil {
		p2.Close()
		fail("second producer with the same name was accepted")
	}
	check(strings.Contains(err.Error(), "ProducerBusy"), "expected ProducerBusy, got: %v", err)
	sendText(p1, "still-works")
}

// PROTOCOL.md §1.2/§1.6: the broker stores and forwards MessageMetadata bytes verbatim.
func messageProperties(x *X) {
	cl := x.client()
	t := topic("props")
	c := subEarliest(cl, t, "sub")
	p := producer(cl, pulsar.ProducerOptions{Topic: t})
	props := map[string]string{"a": "1", "ключ": "значение ✓", "empty": "", "json": `{"x": [1, 2]}`}
	sendAll(p, []*pulsar.ProducerMessage{{Payload: []byte("with-props"), Properties: props}})
	m := recv(c, secs(10))
	check(m != nil, "no message received")
	got := m.Properties()
	same := len(got) == len(props)
	for k, v := range props {
		if gv, has := got[k]; !has || gv != v {
			same = false
		}
	}
	check(same, "properties %q != %q", got, props)
}

// PROTOCOL.md §1.6: partition_key, ordering_key, event_time live in MessageMetadata (non-batched)
// and SingleMessageMetadata (batched); both forwarded unchanged. publish_time is stamped by the client.
// (Go: genSingleMessageMetadataInBatch puts key, ordering key and event time in each message's
// SingleMessageMetadata; the batch MessageMetadata copies only the first partition_key.)
func messageKeyEventTime(x *X) {
	cl := x.client()
	t := topic("keys")
	c := subEarliest(cl, t, "sub")
	plain := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	batched := producer(cl, pulsar.ProducerOptions{Topic: t, BatchingMaxPublishDelay: 50 * time.Millisecond})
	send(plain, &pulsar.ProducerMessage{Payload: []byte("plain"), Key: "pk-plain", OrderingKey: "ok-plain",
		EventTime: time.UnixMilli(1700000000123)})
	// a batch whose messages carry different keys: each key is in that message's SingleMessageMetadata
	var ms []*pulsar.ProducerMessage
	for i := 0; i < 3; i++ {
		ms = append(ms, &pulsar.ProducerMessage{Payload: []byte(fmt.Sprintf("k%d", i)), Key: fmt.Sprintf("pk-%d", i),
			OrderingKey: fmt.Sprintf("ok-%d", i), EventTime: time.UnixMilli(1700000000000 + int64(i))})
	}
	ids := sendAll(batched, ms)
	check(ids[0].BatchIdx() >= 0, "the three keyed messages were not batched (batch index %d)", ids[0].BatchIdx())
	got := drain(c, 4, secs(10), true)
	check(len(got) == 4, "received %d of 4", len(got))
	m := got[0]
	check(m.Key() == "pk-plain", "partition_key %q", m.Key())
	check(m.OrderingKey() == "ok-plain", "ordering_key %q", m.OrderingKey())
	check(m.EventTime().UnixMilli() == 1700000000123, "event_time %d", m.EventTime().UnixMilli())
	age := time.Since(m.PublishTime())
	check(age < 10*time.Minute && age > -10*time.Minute, "publish_time %v far from now", m.PublishTime())
	for i, k := range got[1:] {
		check(string(k.Payload()) == fmt.Sprintf("k%d", i), "batched message %d payload %q", i, k.Payload())
		check(k.Key() == fmt.Sprintf("pk-%d", i), "batched message %d partition_key %q", i, k.Key())
		check(k.OrderingKey() == fmt.Sprintf("ok-%d", i), "batched message %d ordering_key %q", i, k.OrderingKey())
		check(k.EventTime().UnixMilli() == 1700000000000+int64(i), "batched message %d event_time %d", i, k.EventTime().UnixMilli())
	}
}
