package main

// Retries, time and exactly-once: redelivery counts, delayed delivery (and across a restart), batch-index
// acks, retry letter topic, deduplication across a restart.

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

func init() {
	register("nack-redelivery-count", 0, nackRedeliveryCount)
	register("delayed-delivery-timing", 0, delayedDeliveryTiming)
	register("batch-index-ack", 0, batchIndexAck)
	register("retry-letter-delay", 0, retryLetterDelay)
	register("delayed-delivery-restart", 280, delayedDeliveryRestart)
	register("dedup-across-restart", 280, dedupAcrossRestart)
	register("backlog-quota-producer-exception", 0, backlogQuotaProducerException)
}

// Pulsar's delayedDeliveryTickTimeMillis default. Pulsar (isDelayedDeliveryDeliverAtTimeStrict=false) may deliver a
// delayed message up to one tick early; Vela never early. Both must deliver within one tick plus 1 s after its time.
const delayTick = time.Second

type arrival struct {
	name string
	at   time.Time
}

// receiveTimed receives up to n messages, acking each, with the time each arrived; it stops after d (scaled).
func receiveTimed(c pulsar.Consumer, n int, d time.Duration) []arrival {
	var out []arrival
	deadline := time.Now().Add(scaled(d))
	for len(out) < n && time.Now().Before(deadline) {
		if m := recv(c, 200*time.Millisecond); m != nil {
			out = append(out, arrival{string(m.Payload()), time.Now()})
			ok(c.Ack(m), "ack")
		}
	}
	return out
}

// checkDelayedTiming: no delayed message before its time minus one tick, each within one tick + 1 s after its time
// (or after notBefore, the earliest moment it could be delivered again, e.g. once the broker is back).
func checkDelayedTiming(arrivals []arrival, due map[string]time.Time, notBefore time.Time) {
	for _, a := range arrivals {
		d, isDelayed := due[a.name]
		if !isDelayed {
			continue
		}
		check(!a.at.Before(d.Add(-delayTick-50*time.Millisecond)), "%s arrived %v before its delivery time", a.name, d.Sub(a.at))
		from := d
		if notBefore.After(from) {
			from = notBefore
		}
		latest := from.Add(delayTick + scaled(time.Second) + 250*time.Millisecond)
		check(!a.at.After(latest), "%s arrived %v after its delivery time (allowed %v)", a.name, a.at.Sub(d), latest.Sub(d))
	}
}

func names(arrivals []arrival) []string {
	out := make([]string, len(arrivals))
	for i, a := range arrivals {
		out[i] = a.name
	}
	return out
}

// PROTOCOL.md §2.7/§5.2: each Nack ends in REDELIVER_UNACKNOWLEDGED_MESSAGES (Go sends the ids); on Shared the broker
// counts redeliveries per entry (InMemoryRedeliveryTracker) and sends them in MESSAGE.redelivery_count: 0, 1, 2, 3.
func nackRedeliveryCount(x *X) {
	cl := x.client()
	t := topic("nack-count")
	c := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", Type: pulsar.Shared,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest, NackRedeliveryDelay: 200 * time.Millisecond})
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	sendText(p, "retry-me")
	var counts []uint32
	for attempt := 0; attempt < 4; attempt++ {
		m := recv(c, secs(10))
		check(m != nil, "attempt %d: message not (re)delivered; counts so far %v", attempt, counts)
		counts = append(counts, m.RedeliveryCount())
		if attempt < 3 {
			c.Nack(m)
		} else {
			ok(c.Ack(m), "ack")
		}
	}
	check(fmt.Sprint(counts) == "[0 1 2 3]", "redelivery counts %v, expected [0 1 2 3]", counts)
	if stray := recv(c, time.Second); stray != nil {
		fail("acked message delivered again: %q", stray.Payload())
	}
}

// PROTOCOL.md §5.3: DeliverAfter and DeliverAt on a Shared subscription; each message arrives no earlier than its time
// minus one tick and within one tick plus 1 s after it, in the order of their times; an undelayed one is not held.
func delayedDeliveryTiming(x *X) {
	cl := x.client()
	t := topic("delay-timing")
	c := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", Type: pulsar.Shared,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	due := map[string]time.Time{}
	plan := []struct {
		name  string
		delay time.Duration
		at    bool
	}{{"after-5", 5 * time.Second, false}, {"at-2", 2 * time.Second, true}, {"after-7", 7 * time.Second, false},
		{"at-3", 3 * time.Second, true}, {"now", 0, false}}
	for _, step := range plan {
		m := &pulsar.ProducerMessage{Payload: []byte(step.name)}
		switch {
		case step.delay == 0:
		case step.at:
			due[step.name] = time.Now().Add(step.delay)
			m.DeliverAt = due[step.name]
		default:
			due[step.name] = time.Now().Add(step.delay)
			m.DeliverAfter = step.delay
		}
		send(p, m)
	}
	arrivals := receiveTimed(c, 5, 20*time.Second)
	got := names(arrivals)
	check(equalStrings(got, []string{"now", "at-2", "at-3", "after-5", "after-7"}), "arrival order %q", got)
	checkDelayedTiming(arrivals, due, time.Time{})
}

// PROTOCOL.md §2.7 (ACK ack_set, MESSAGE ack_set): with batch-index acknowledgement (EnableBatchIndexAcknowledgment;
// broker acknowledgmentAtBatchIndexLevelEnabled, on in Vela and in the reference config) acking some messages of a
// batch and reconnecting brings back only the others.
func batchIndexAck(x *X) {
	cl := x.client()
	t := topic("batch-index-ack")
	opts := pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", Type: pulsar.Shared,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest, EnableBatchIndexAcknowledgment: true}
	c := subscribe(cl, opts)
	p := producer(cl, pulsar.ProducerOptions{Topic: t, BatchingMaxMessages: 10, BatchingMaxPublishDelay: time.Second})
	ids := sendAll(p, msgs(seq("m", 0, 10)))
	for _, id := range ids {
		same := id.LedgerID() == ids[0].LedgerID() && id.EntryID() == ids[0].EntryID()
		check(same, "the 10 messages were not sent as one batch: %v vs %v", midOf(id), midOf(ids[0]))
	}
	got := drain(c, 10, secs(10), false)
	check(equalStrings(texts(got), seq("m", 0, 10)), "first delivery %q", texts(got))
	for i, m := range got {
		if i%2 == 0 {
			ok(c.Ack(m), "ack")
		}
	}
	time.Sleep(time.Second) // acks are grouped for up to 100 ms before they go out
	x.closeAll()
	cl = x.client()
	c = subscribe(cl, opts)
	again := drainQuiet(c, secs(10), 3*time.Second, false)
	check(equalStrings(again, []string{"m1", "m3", "m5", "m7", "m9"}), "after reconnecting got %q, expected only m1 m3 m5 m7 m9", again)
}

// PROTOCOL.md §5.2/§5.3: ReconsumeLater re-publishes the message to <topic>-<subscription>-RETRY with DeliverAfter and
// RECONSUMETIMES/REAL_TOPIC properties and acks the original; the broker's delayed delivery on the retry topic's
// Shared subscription brings it back no earlier than its time minus one tick and within one tick plus 1 s.
func retryLetterDelay(x *X) {
	cl := x.client()
	t := topic("retry")
	c := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", Type: pulsar.Shared,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest, RetryEnable: true,
		DLQ: &pulsar.DLQPolicy{MaxDeliveries: 3}})
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	sendText(p, "job")
	m := recv(c, secs(10))
	check(m != nil && string(m.Payload()) == "job", "first delivery missing")
	due := map[string]time.Time{"job": time.Now().Add(2 * time.Second)}
	c.ReconsumeLater(m, 2*time.Second)
	arrivals := receiveTimed(c, 1, 15*time.Second)
	check(len(arrivals) == 1, "the reconsumed message never came back from the retry topic")
	checkDelayedTiming(arrivals, due, time.Time{})
	if stray := recv(c, 1500*time.Millisecond); stray != nil {
		fail("unexpected message %q after the retry was acked", stray.Payload())
	}
}

// PROTOCOL.md §5.3: delayed messages stay delayed across a broker restart (SIGKILL): none arrives before its time
// (minus one tick), all arrive, each within one tick plus 1 s of its time or of the broker being back.
func delayedDeliveryRestart(x *X) {
	needControl()
	cl := x.client()
	t := topic("delay-restart")
	opts := pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", Type: pulsar.Shared,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest}
	c := subscribe(cl, opts)
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	base := time.Now().Add(25 * time.Second)
	due := map[string]time.Time{}
	for i := 0; i < 5; i++ {
		name := fmt.Sprintf("d%d", i)
		due[name] = base.Add(time.Duration(i) * time.Second)
		send(p, &pulsar.ProducerMessage{Payload: []byte(name), DeliverAt: due[name]})
	}
	sendText(p, "now")
	m := recv(c, secs(10))
	check(m != nil && string(m.Payload()) == "now", "the undelayed message did not come first")
	ok(c.Ack(m), "ack")
	if stray := recv(c, time.Second); stray != nil {
		fail("delayed message %q delivered long before its time", stray.Payload())
	}
	x.closeAll()
	controlRestart("kill")
	cl = x.client()
	c = subscribe(cl, opts)
	backAt := time.Now()
	wait := time.Until(base.Add(10 * time.Second))
	if wait < 40*time.Second {
		wait = 40 * time.Second
	}
	arrivals := receiveTimed(c, 5, wait)
	check(len(arrivals) == 5, "after the restart received %q", names(arrivals))
	checkDelayedTiming(arrivals, due, backAt)
}

// dedupNamespace creates a namespace of this run with deduplication on (POST …/deduplication), so no other
// scenario is affected.
func dedupNamespace() string {
	ns := fmt.Sprintf("public/compat-dedup-%s-go", runID)
	status, body, err := httpDo("PUT", adminURL+"/admin/v2/namespaces/"+ns, nil, "application/json", secs(30))
	ok(err, "create namespace")
	check(status == http.StatusNoContent || status == http.StatusConflict, "creating %s: HTTP %d %s", ns, status, body)
	status, body, err = httpDo("POST", adminURL+"/admin/v2/namespaces/"+ns+"/deduplication", []byte("true"), "application/json", secs(30))
	ok(err, "enable deduplication")
	check(status == http.StatusNoContent, "enabling deduplication on %s: HTTP %d %s", ns, status, body)
	status, body, err = httpDo("GET", adminURL+"/admin/v2/namespaces/"+ns+"/deduplication", nil, "", secs(30))
	ok(err, "get deduplication")
	var enabled bool
	check(status == http.StatusOK && json.Unmarshal(body, &enabled) == nil && enabled, "GET deduplication of %s: HTTP %d %s", ns, status, body)
	return ns
}

// PROTOCOL.md §5.4 (MessageDeduplication): with deduplication on for the namespace, a producer that re-sends sequence
// ids after a broker restart (SIGKILL) creates no duplicates: PRODUCER_SUCCESS.last_sequence_id is the highest id
// stored before the crash, and re-sent ids are acknowledged without being stored again.
func dedupAcrossRestart(x *X) {
	needControl()
	ns := dedupNamespace()
	t := fmt.Sprintf("persistent://%s/dedup-%d", ns, rand.Intn(1<<30))
	name := "dedup-producer-" + runID
	cl := x.client()
	anchor(cl, t)
	opts := pulsar.ProducerOptions{Topic: t, Name: name, DisableBatching: true}
	p := producer(cl, opts)
	check(p.LastSequenceID() == -1, "new producer's last sequence id %d, expected -1", p.LastSequenceID())
	for i := int64(0); i < 10; i++ {
		id := i
		send(p, &pulsar.ProducerMessage{Payload: []byte(fmt.Sprintf("m%d", i)), SequenceID: &id})
	}
	x.closeAll()
	controlRestart("kill")
	cl = x.client()
	p = producer(cl, opts)
	for i := int64(5); i < 10; i++ {
		id := i
		send(p, &pulsar.ProducerMessage{Payload: []byte(fmt.Sprintf("m%d", i)), SequenceID: &id})
	}
	// Go keeps LastSequenceID() at -1 until a receipt, but numbers new messages from PRODUCER_SUCCESS.last_sequence_id + 1
	// (producer_partition.go grabCnx): had the broker forgotten, these would reuse 0..4 and be dropped as duplicates.
	for i := 10; i < 15; i++ {
		sendText(p, fmt.Sprintf("m%d", i))
	}
	check(p.LastSequenceID() == 14, "after the restart new messages were numbered up to %d, expected 14 (last_sequence_id 9 + 5)", p.LastSequenceID())
	c := subEarliest(cl, t, "anchor")
	got := drainQuiet(c, secs(10), 3*time.Second, false)
	check(equalStrings(got, seq("m", 0, 15)), "stored messages %q, expected m0..m14 once each", got)
}

// PROTOCOL.md §5.5/§2.10: with a namespace backlog quota (POST …/backlogQuota, policy producer_exception) that the
// slowest subscription's backlog exceeds, a new producer is refused with ProducerBlockedQuotaExceededException
// (PersistentTopic.checkBacklogQuotaExceeded); once the backlog is acknowledged producers are accepted again.
func backlogQuotaProducerException(x *X) {
	ns := fmt.Sprintf("public/compat-quota-%s-go", runID)
	status, body, err := httpDo("PUT", adminURL+"/admin/v2/namespaces/"+ns, nil, "application/json", secs(30))
	ok(err, "create namespace")
	check(status == http.StatusNoContent || status == http.StatusConflict, "creating %s: HTTP %d %s", ns, status, body)
	quota := []byte(`{"limitSize": 10240, "limitTime": -1, "policy": "producer_exception"}`)
	status, body, err = httpDo("POST", adminURL+"/admin/v2/namespaces/"+ns+"/backlogQuota?backlogQuotaType=destination_storage",
		quota, "application/json", secs(30))
	ok(err, "set backlog quota")
	check(status == http.StatusNoContent, "setting the backlog quota: HTTP %d %s", status, body)
	t := fmt.Sprintf("persistent://%s/quota-%d", ns, rand.Intn(1<<30))
	cl := x.client()
	c := subEarliest(cl, t, "slow")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	payload := make([]byte, 1024)
	ms := make([]*pulsar.ProducerMessage, 30)
	for i := range ms {
		ms[i] = &pulsar.ProducerMessage{Payload: payload}
	}
	sendAll(p, ms)
	_, err = cl.CreateProducer(pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	check(err != nil && strings.Contains(err.Error(), "ProducerBlockedQuotaExceededException"),
		"a new producer over the quota got %v, expected ProducerBlockedQuotaExceededException", err)
	for _, m := range drain(c, 30, secs(10), false) {
		ok(c.Ack(m), "ack")
	}
	deadline := time.Now().Add(secs(20))
	for {
		q, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: t, DisableBatching: true})
		if err == nil {
			q.Close()
			return
		}
		check(time.Now().Before(deadline), "producers still refused after the backlog was acknowledged: %v", err)
		time.Sleep(500 * time.Millisecond)
	}
}
