package main

// Scenarios proposed by the Go suite that are not (yet) in scenarios.json; see README.md for their
// catalogue entries. The runner only asks for ids it knows, so these run when added there (or by hand
// with COMPAT_SCENARIOS).

import (
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/prometheus/client_golang/prometheus"
)

func init() {
	register("keep-alive-idle-connection", 0, keepAliveIdleConnection)
	register("ack-with-response", 0, ackWithResponse)
}

// counter sums a client counter (all label sets) from the client's private metrics registry.
func counter(reg *prometheus.Registry, name string) float64 {
	families, err := reg.Gather()
	ok(err, "gather client metrics")
	total := 0.0
	for _, f := range families {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

// PROTOCOL.md §2.4: the Go client PINGs every KeepAliveInterval and closes a connection on which
// nothing arrived for 2 × KeepAliveInterval (internal/connection.go runPingCheck, "Detected stale
// connection to broker"). With a 3 s interval and 10 s of silence from the application, the connection
// survives only if the broker answers each PING with a PONG (PulsarHandler: reply immediately).
// Observed through the client's own counters pulsar_client_connections_opened/_closed.
func keepAliveIdleConnection(x *X) {
	reg := prometheus.NewRegistry()
	opts := clientOptions(serviceURL)
	opts.KeepAliveInterval = 3 * time.Second
	opts.MetricsRegisterer = reg
	cl := x.clientWith(opts)
	t := topic("keepalive")
	c := subEarliest(cl, t, "sub")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	sendText(p, "before-idle")
	m := recv(c, secs(10))
	check(m != nil && string(m.Payload()) == "before-idle", "first message not received")
	ok(c.Ack(m), "ack")
	opened, closed := counter(reg, "pulsar_client_connections_opened"), counter(reg, "pulsar_client_connections_closed")
	check(opened >= 1, "client reports %v connections opened", opened)
	time.Sleep(10 * time.Second)
	opened2, closed2 := counter(reg, "pulsar_client_connections_opened"), counter(reg, "pulsar_client_connections_closed")
	check(closed2 == closed, "%v connection(s) closed while idle: PINGs not answered with PONG (stale connection)", closed2-closed)
	check(opened2 == opened, "%v new connection(s) opened while idle", opened2-opened)
	sendText(p, "after-idle")
	m = recv(c, secs(10))
	check(m != nil && string(m.Payload()) == "after-idle", "message after the idle period not received")
	ok(c.Ack(m), "ack")
}

// PROTOCOL.md §2.7 ACK_RESPONSE: an ACK carrying request_id is answered with ACK_RESPONSE{consumer_id,
// request_id}; Go (AckWithResponse) treats it as success only if `message` is empty
// (connection.go handleAckResponse) and otherwise waits OperationTimeout. Individual, cumulative and
// list acks all go through it; afterwards only the unacked message is redelivered.
func ackWithResponse(x *X) {
	cl := x.client()
	t := topic("ack-resp")
	opts := pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", AckWithResponse: true,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest}
	c := subscribe(cl, opts)
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	sendAll(p, msgs(seq("m", 0, 10)))
	got := drain(c, 10, secs(10), false)
	check(len(got) == 10, "received %d of 10", len(got))
	timed := func(what string, f func() error) {
		t0 := time.Now()
		bounded(secs(35), what, func() { ok(f(), what) })
		check(time.Since(t0) < secs(10), "%s took %v: ACK_RESPONSE missing or late", what, time.Since(t0))
	}
	for _, m := range got[:3] {
		timed("ack with response", func() error { return c.Ack(m) })
	}
	timed("cumulative ack with response", func() error { return c.AckCumulative(got[7]) })
	timed("ack list with response", func() error { return c.AckIDList([]pulsar.MessageID{got[9].ID()}) })
	bounded(secs(15), "close consumer", c.Close)
	c2 := subscribe(cl, opts)
	again := drainQuiet(c2, secs(10), 1500*time.Millisecond, false)
	check(equalStrings(again, []string{"m8"}), "after reconnect got %q, expected only m8", again)
}
