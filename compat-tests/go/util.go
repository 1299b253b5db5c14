package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	pulsarlog "github.com/apache/pulsar-client-go/pulsar/log"
)

// ------------------------------------------------------------------------------------------------
// environment

var (
	serviceURL string
	adminURL   string
	controlURL string
	runID      string
	scale      float64
	logDir     string

	logFile   *os.File
	logMu     sync.Mutex
	clientLgr pulsarlog.Logger
)

func initEnv() {
	serviceURL = envOr("SERVICE_URL", "pulsar://127.0.0.1:6650")
	adminURL = strings.TrimRight(envOr("ADMIN_URL", "http://127.0.0.1:8080"), "/")
	controlURL = strings.TrimRight(os.Getenv("COMPAT_CONTROL_URL"), "/")
	runID = os.Getenv("COMPAT_RUN_ID")
	if runID == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		runID = hex.EncodeToString(b)
	}
	scale = 1
	if s := os.Getenv("COMPAT_TIMEOUT_SCALE"); s != "" {
		if v, err := strconv.ParseFloat(s, 64); err == nil && v > 0 {
			scale = v
		}
	}
	logDir = envOr("COMPAT_LOG_DIR", ".")
	f, err := os.OpenFile(filepath.Join(logDir, "go-client.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cannot open client log in %s: %v (logging to stderr)\n", logDir, err)
		f = os.Stderr
	}
	logFile = f
	// The client logs through slog into the file; never to stdout (the result stream).
	clientLgr = pulsarlog.NewLoggerWithSlog(slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})))
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func clientLog(format string, args ...any) {
	logMu.Lock()
	defer logMu.Unlock()
	if logFile != nil {
		fmt.Fprintf(logFile, "%s suite: %s\n", time.Now().Format(time.RFC3339Nano), fmt.Sprintf(format, args...))
	}
}

func closeClientLog() {
	logMu.Lock()
	defer logMu.Unlock()
	if logFile != nil && logFile != os.Stderr {
		_ = logFile.Close()
	}
	logFile = nil
}

// scaled is a wait for something that should happen: generous, multiplied for slow brokers.
func scaled(d time.Duration) time.Duration { return time.Duration(float64(d) * scale) }

func secs(s float64) time.Duration { return scaled(time.Duration(s * float64(time.Second))) }

// ------------------------------------------------------------------------------------------------
// outcomes

type failure struct{ msg string }
type skipped struct{ msg string }

func check(cond bool, format string, args ...any) {
	if !cond {
		panic(failure{fmt.Sprintf(format, args...)})
	}
}

func fail(format string, args ...any) { panic(failure{fmt.Sprintf(format, args...)}) }

func skip(msg string) { panic(skipped{msg}) }

// must returns v or fails the scenario with what was being done and the client's error.
func must[T any](v T, err error) func(what string) T {
	return func(what string) T {
		if err != nil {
			fail("%s: %v", what, err)
		}
		return v
	}
}

func ok(err error, what string) {
	if err != nil {
		fail("%s: %v", what, err)
	}
}

// ------------------------------------------------------------------------------------------------
// per-scenario context: owns the clients it opens and closes them all at the end, whatever happened

type X struct {
	id      string
	mu      sync.Mutex
	clients []pulsar.Client
}

var topicCounter int
var topicMu sync.Mutex

// topic returns a fresh fully-qualified topic name, unique per run and scenario.
func topic(name string) string {
	topicMu.Lock()
	topicCounter++
	n := topicCounter
	topicMu.Unlock()
	return fmt.Sprintf("persistent://public/default/compat-%s-go-%s-%d", runID, name, n)
}

func clientOptions(url string) pulsar.ClientOptions {
	return pulsar.ClientOptions{
		URL:               url,
		OperationTimeout:  secs(30),
		ConnectionTimeout: secs(10),
		Logger:            clientLgr,
	}
}

// client opens a client on SERVICE_URL (binary protocol).
func (x *X) client() pulsar.Client { return x.clientWith(clientOptions(serviceURL)) }

func (x *X) clientWith(opts pulsar.ClientOptions) pulsar.Client {
	c := must(pulsar.NewClient(opts))("create client for " + opts.URL)
	x.mu.Lock()
	x.clients = append(x.clients, c)
	x.mu.Unlock()
	return c
}

// closeAll closes every client (and with it their producers and consumers). Bounded: a close that
// does not return in time is abandoned.
func (x *X) closeAll() {
	x.mu.Lock()
	cs := x.clients
	x.clients = nil
	x.mu.Unlock()
	for _, c := range cs {
		done := make(chan struct{})
		go func() { c.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(secs(15)):
			clientLog("client close did not return within %v; abandoned", secs(15))
		}
	}
}

// bounded runs f and fails the scenario if it does not return within d (for client calls that
// take no context, like Close or Flush).
func bounded(d time.Duration, what string, f func()) {
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		f()
	}()
	select {
	case r := <-done:
		if r != nil {
			panic(r) // a failure raised inside f fails the scenario, in the scenario's goroutine
		}
	case <-time.After(d):
		fail("%s did not return within %v", what, d)
	}
}

// ------------------------------------------------------------------------------------------------
// producers and consumers

func producer(cl pulsar.Client, opts pulsar.ProducerOptions) pulsar.Producer {
	return must(cl.CreateProducer(opts))("create producer on " + opts.Topic)
}

func subscribe(cl pulsar.Client, opts pulsar.ConsumerOptions) pulsar.Consumer {
	return must(cl.Subscribe(opts))("subscribe " + opts.SubscriptionName + " on " + opts.Topic)
}

// subEarliest subscribes with initial position Earliest (the type defaults to Exclusive).
func subEarliest(cl pulsar.Client, t, sub string) pulsar.Consumer {
	return subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: sub,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
}

// anchor creates a durable subscription that never acks, so the topic's messages are retained.
// (Pulsar: with no durable subscription nothing is retained by default — SITE concepts-messaging.)
func anchor(cl pulsar.Client, t string) {
	c := subEarliest(cl, t, "anchor")
	bounded(secs(15), "close anchor consumer", c.Close)
}

// recv receives one message, or nil after d. Any other error fails the scenario.
func recv(c pulsar.Consumer, d time.Duration) pulsar.Message {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	m, err := c.Receive(ctx)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return nil
		}
		fail("receive: %v", err)
	}
	return m
}

// read reads one message from a reader, or nil after d.
func read(r pulsar.Reader, d time.Duration) pulsar.Message {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	m, err := r.Next(ctx)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return nil
		}
		fail("reader next: %v", err)
	}
	return m
}

// drain receives up to n messages; stops early when none arrives for idle (scaled by the caller).
func drain(c pulsar.Consumer, n int, idle time.Duration, ack bool) []pulsar.Message {
	var out []pulsar.Message
	for len(out) < n {
		m := recv(c, idle)
		if m == nil {
			break
		}
		out = append(out, m)
		if ack {
			ok(c.Ack(m), "ack")
		}
	}
	return out
}

// drainQuiet receives until nothing comes for `quiet` (the first message may take `first`).
func drainQuiet(c pulsar.Consumer, first, quiet time.Duration, ack bool) []string {
	var got []string
	for {
		d := quiet
		if len(got) == 0 {
			d = first
		}
		m := recv(c, d)
		if m == nil {
			return got
		}
		got = append(got, string(m.Payload()))
		if ack {
			ok(c.Ack(m), "ack")
		}
	}
}

func readN(r pulsar.Reader, n int) []string {
	var out []string
	for len(out) < n {
		m := read(r, secs(10))
		if m == nil {
			break
		}
		out = append(out, string(m.Payload()))
	}
	return out
}

func texts(ms []pulsar.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m.Payload())
	}
	return out
}

func seq(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s%d", prefix, i))
	}
	return out
}

func msgs(payloads []string) []*pulsar.ProducerMessage {
	out := make([]*pulsar.ProducerMessage, len(payloads))
	for i, p := range payloads {
		out[i] = &pulsar.ProducerMessage{Payload: []byte(p)}
	}
	return out
}

// sendAll sends every message asynchronously, flushes, and waits for every receipt. It returns
// the message ids in send order.
func sendAll(p pulsar.Producer, ms []*pulsar.ProducerMessage) []pulsar.MessageID {
	ids := make([]pulsar.MessageID, len(ms))
	var mu sync.Mutex
	var errs []string
	var wg sync.WaitGroup
	wg.Add(len(ms))
	ctx, cancel := context.WithTimeout(context.Background(), secs(60))
	defer cancel()
	for i, m := range ms {
		p.SendAsync(ctx, m, func(id pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
			mu.Lock()
			if err != nil {
				errs = append(errs, fmt.Sprintf("#%d: %v", i, err))
			} else {
				ids[i] = id
			}
			mu.Unlock()
			wg.Done()
		})
	}
	bounded(secs(30), "producer flush", func() { _ = p.Flush() })
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(secs(30)):
		mu.Lock()
		n := 0
		for _, id := range ids {
			if id != nil {
				n++
			}
		}
		mu.Unlock()
		fail("only %d of %d sends completed", n, len(ms))
	}
	check(len(errs) == 0, "send errors: %v", first(errs, 3))
	return ids
}

// send sends one message synchronously and returns its id.
func send(p pulsar.Producer, m *pulsar.ProducerMessage) pulsar.MessageID {
	ctx, cancel := context.WithTimeout(context.Background(), secs(30))
	defer cancel()
	return must(p.Send(ctx, m))("send")
}

func sendText(p pulsar.Producer, s string) pulsar.MessageID {
	return send(p, &pulsar.ProducerMessage{Payload: []byte(s)})
}

func first[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// ------------------------------------------------------------------------------------------------
// message ids

// mid is (ledgerId, entryId, batchIndex), for ordering and equality.
type mid struct {
	L, E int64
	B    int32
}

func midOf(id pulsar.MessageID) mid { return mid{id.LedgerID(), id.EntryID(), id.BatchIdx()} }

func (a mid) String() string { return fmt.Sprintf("(%d,%d,%d)", a.L, a.E, a.B) }

// less orders ids the way Pulsar's MessageIdAdv.compareTo does for one partition (signed compares).
func (a mid) less(b mid) bool {
	if a.L != b.L {
		return a.L < b.L
	}
	if a.E != b.E {
		return a.E < b.E
	}
	return a.B < b.B
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func firstDiff(got, want []string) int {
	for i := 0; i < len(got) && i < len(want); i++ {
		if got[i] != want[i] {
			return i
		}
	}
	if len(got) < len(want) {
		return len(got)
	}
	return len(want)
}

// ------------------------------------------------------------------------------------------------
// HTTP: admin API and the runner's control endpoint

func httpDo(method, url string, body []byte, contentType string, timeout time.Duration) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, nil
}

// controlRestart asks the runner to restart the broker (same ports and data dir) and waits until it
// answers that the broker is ready again.
func controlRestart(mode string) {
	if controlURL == "" {
		skip("no control endpoint (external broker): cannot restart it")
	}
	clientLog("control restart mode=%s", mode)
	code, body, err := httpDo("POST", controlURL+"/restart?mode="+mode, nil, "", secs(600))
	ok(err, "control restart")
	check(code == 200, "control restart failed: HTTP %d %s", code, first([]byte(body), 300))
	var r struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	_ = json.Unmarshal(body, &r)
	check(r.OK, "control restart failed: %s", body)
	clientLog("control restart done: %s", body)
}
