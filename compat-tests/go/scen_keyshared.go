package main

// Key_Shared (PROTOCOL.md §4; issue 4). Payloads are "<key>:<index>" with a global publish index, so per-key
// order is "indices strictly increasing". Consumer names are fixed: the AUTO_SPLIT ring is built from them
// (§4.3), so every run sees the same key → consumer split (topics are unique per run).

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

func init() {
	register("key-shared-many-keys", 0, keySharedManyKeys)
	register("key-shared-ordering-key", 0, keySharedOrderingKey)
	register("key-shared-key-based-batching", 0, keySharedKeyBasedBatching)
	register("key-shared-auto-split-ring", 0, keySharedAutoSplitRing)
	register("key-shared-consumer-joins-ordering", 0, keySharedConsumerJoinsOrdering)
	register("key-shared-close-redelivers", 0, keySharedCloseRedelivers)
	register("key-shared-nack-order", 0, keySharedNackOrder)
	register("key-shared-sticky-ranges", 0, keySharedStickyRanges)
	register("key-shared-sticky-uncovered-waits", 0, keySharedStickyUncoveredWaits)
	register("key-shared-sticky-overlap-refused", 0, keySharedStickyOverlapRefused)
	register("key-shared-out-of-order-join", 0, keySharedOutOfOrderJoin)
}

// murmur3x86_32 is MurmurHash3 x86_32 (little-endian blocks, standard tail and fmix): Pulsar's Murmur3_32Hash
// before the 0x7fffffff mask (PROTOCOL.md §4.1). Vector: murmur3x86_32("key-1", 0) == 2561742240.
func murmur3x86_32(data []byte, seed uint32) uint32 {
	const c1, c2 = 0xcc9e2d51, 0x1b873593
	rotl := func(x uint32, r uint) uint32 { return x<<r | x>>(32-r) }
	h := seed
	n := len(data)
	nblocks := n / 4
	for b := 0; b < nblocks; b++ {
		k := binary.LittleEndian.Uint32(data[4*b:])
		k = rotl(k*c1, 15) * c2
		h ^= k
		h = rotl(h, 13)*5 + 0xe6546b64
	}
	tail := data[nblocks*4:]
	var k uint32
	switch len(tail) {
	case 3:
		k ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		k ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		k ^= uint32(tail[0])
		k = rotl(k*c1, 15) * c2
		h ^= k
	}
	h ^= uint32(n)
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// rawSlot is (murmur3 & 0x7fffffff) % 65536 before the 0 → 1 rule.
func rawSlot(key string) int { return int(murmur3x86_32([]byte(key), 0)&0x7fffffff) % 65536 }

// stickySlot is the slot of a sticky key for the hash-range selectors (STICKY): (murmur3 & 0x7fffffff) % 65536,
// 0 → 1 (StickyKeyConsumerSelector.makeStickyKeyHash, DEFAULT_RANGE_SIZE = 65536; PROTOCOL.md §4.1).
func stickySlot(key string) int {
	if s := rawSlot(key); s != 0 {
		return s
	}
	return 1
}

// ringHash is makeStickyKeyHash for the consistent-hashing selector, whose range is [1, 65535]:
// (murmur3 & 0x7fffffff) % 65535 + 1 (PROTOCOL.md §4.1).
func ringHash(b []byte) int { return int(murmur3x86_32(b, 0)&0x7fffffff)%65535 + 1 }

// autoSplitRing returns the key → consumer selection of Pulsar 4.x's ConsistentHashingStickyKeyConsumerSelector
// with 100 points per consumer (subscriptionKeySharedConsistentHashingReplicaPoints): point i of a consumer is
// ringHash(name + "\0" + nameIndex + "\0" + i) (nameIndex 0: the names here are distinct); a point already taken
// keeps its first owner (consumers are added in the order given); select = first point ≥ hash, wrapping around.
func autoSplitRing(names []string) func(key string) string {
	owner := map[int]string{}
	for _, n := range names {
		for i := 0; i < 100; i++ {
			p := ringHash([]byte(fmt.Sprintf("%s\x00%d\x00%d", n, 0, i)))
			if _, taken := owner[p]; !taken {
				owner[p] = n
			}
		}
	}
	points := make([]int, 0, len(owner))
	for p := range owner {
		points = append(points, p)
	}
	sort.Ints(points)
	return func(key string) string {
		h := ringHash([]byte(key))
		j := sort.SearchInts(points, h)
		return owner[points[j%len(points)]]
	}
}

// edgeKeys were found offline: their raw slot sits on a boundary (0 becomes 1).
var edgeKeys = map[string]int{"edge-53188": 0, "edge-51848": 1, "edge-32714": 32767, "edge-111552": 32768, "edge-3546": 65535}

var edgeKeyOrder = []string{"edge-53188", "edge-51848", "edge-32714", "edge-111552", "edge-3546"}

type ksOpts struct {
	policy *pulsar.KeySharedPolicy
	nack   time.Duration
}

func ksSub(cl pulsar.Client, t, name string, o ksOpts) pulsar.Consumer {
	return subscribe(cl, ksConsumerOptions(t, name, o))
}

func ksConsumerOptions(t, name string, o ksOpts) pulsar.ConsumerOptions {
	return pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", Type: pulsar.KeyShared, Name: name,
		KeySharedPolicy: o.policy, NackRedeliveryDelay: o.nack}
}

func stickyPolicy(ranges ...int) *pulsar.KeySharedPolicy {
	return &pulsar.KeySharedPolicy{Mode: pulsar.KeySharedPolicyModeSticky, HashRanges: ranges}
}

// keyed builds messages "<key>:<i>" with the key as partition key, for i in [from, to).
func keyed(keyOf func(int) string, from, to int) []*pulsar.ProducerMessage {
	var out []*pulsar.ProducerMessage
	for i := from; i < to; i++ {
		k := keyOf(i)
		out = append(out, &pulsar.ProducerMessage{Payload: []byte(fmt.Sprintf("%s:%d", k, i)), Key: k})
	}
	return out
}

func keyMod(n int) func(int) string { return func(i int) string { return fmt.Sprintf("key-%d", i%n) } }

func parseKeyed(m pulsar.Message) (string, int) {
	s := string(m.Payload())
	j := strings.LastIndexByte(s, ':')
	if j < 0 {
		fail("unexpected payload %q", s)
	}
	i, err := strconv.Atoi(s[j+1:])
	ok(err, "parse payload index")
	return s[:j], i
}

type namedConsumer struct {
	name string
	c    pulsar.Consumer
}

// pollAll receives from every consumer in turn until n deliveries in total, nothing for 4 s, or `total`
// (scaled) passed; on is called for each message. Returns the number of deliveries.
func pollAll(cs []namedConsumer, n int, total time.Duration, on func(name string, c pulsar.Consumer, m pulsar.Message)) int {
	got := 0
	deadline := time.Now().Add(scaled(total))
	last := time.Now()
	for got < n && time.Now().Before(deadline) && time.Since(last) < 4*time.Second {
		for _, nc := range cs {
			for got < n {
				m := recv(nc.c, 50*time.Millisecond)
				if m == nil {
					break
				}
				got++
				last = time.Now()
				on(nc.name, nc.c, m)
			}
		}
	}
	return got
}

// ksLog records what a set of Key_Shared consumers received: per (consumer, key) the indices in receive order.
type ksLog struct {
	seq        map[[2]string][]int
	owners     map[string]map[string]bool
	deliveries map[int]int
	byConsumer map[string]int
}

func newKsLog() *ksLog {
	return &ksLog{seq: map[[2]string][]int{}, owners: map[string]map[string]bool{}, deliveries: map[int]int{},
		byConsumer: map[string]int{}}
}

func (l *ksLog) add(name string, m pulsar.Message) (string, int) {
	k, i := parseKeyed(m)
	l.seq[[2]string{name, k}] = append(l.seq[[2]string{name, k}], i)
	if l.owners[k] == nil {
		l.owners[k] = map[string]bool{}
	}
	l.owners[k][name] = true
	l.deliveries[i]++
	l.byConsumer[name]++
	return k, i
}

func (l *ksLog) ownerSet(k string) string {
	var o []string
	for n := range l.owners[k] {
		o = append(o, n)
	}
	sort.Strings(o)
	return strings.Join(o, ",")
}

func (l *ksLog) checkPerKeyOrder() {
	for nk, s := range l.seq {
		for j := 1; j < len(s); j++ {
			if s[j] <= s[j-1] {
				fail("%s on %s out of publish order (or repeated): %d then %d in %v", nk[1], nk[0], s[j-1], s[j], s)
			}
		}
	}
}

func (l *ksLog) checkSingleOwner() {
	var split []string
	for k, o := range l.owners {
		if len(o) > 1 {
			split = append(split, k+"→"+l.ownerSet(k))
		}
	}
	sort.Strings(split)
	check(len(split) == 0, "%d keys delivered to more than one consumer, e.g. %v", len(split), first(split, 3))
}

func (l *ksLog) checkExactlyOnce(want []int) {
	wantSet := map[int]bool{}
	for _, i := range want {
		wantSet[i] = true
	}
	var missing, extra, dups []int
	for _, i := range want {
		if l.deliveries[i] == 0 {
			missing = append(missing, i)
		}
	}
	for i, n := range l.deliveries {
		if !wantSet[i] {
			extra = append(extra, i)
		}
		if n > 1 {
			dups = append(dups, i)
		}
	}
	sort.Ints(extra)
	sort.Ints(dups)
	check(len(missing) == 0, "%d messages never delivered, e.g. %v", len(missing), first(missing, 5))
	check(len(extra) == 0, "unexpected messages %v", first(extra, 5))
	check(len(dups) == 0, "%d messages delivered more than once, e.g. %v", len(dups), first(dups, 5))
}

func span(from, to int) []int {
	out := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func names3(cs ...pulsar.Consumer) []namedConsumer {
	out := make([]namedConsumer, len(cs))
	for i, c := range cs {
		out[i] = namedConsumer{fmt.Sprintf("c%d", i+1), c}
	}
	return out
}

// ksDistribution: 1000 messages over 100 keys to 3 AUTO_SPLIT consumers
// (KeySharedSubscriptionTest.receiveAndCheckDistribution).
func ksDistribution(x *X, name string, orderingKey, batching bool) {
	cl := x.client()
	t := topic(name)
	cs := names3(ksSub(cl, t, "c1", ksOpts{}), ksSub(cl, t, "c2", ksOpts{}), ksSub(cl, t, "c3", ksOpts{}))
	popts := pulsar.ProducerOptions{Topic: t, DisableBatching: true}
	if batching {
		// key-based batching: one batch per key (PROTOCOL.md §4.7; GO KeyBasedBatchBuilder groups by partition key)
		popts = pulsar.ProducerOptions{Topic: t, BatcherBuilderType: pulsar.KeyBasedBatchBuilder,
			BatchingMaxMessages: 1000, BatchingMaxPublishDelay: 50 * time.Millisecond}
	}
	p := producer(cl, popts)
	const n = 1000
	var ms []*pulsar.ProducerMessage
	if orderingKey {
		// a different partition key on every message: routing by it would split each ordering key's 10 messages
		// over the consumers; the ordering key must win (Commands.resolveStickyKey)
		for i := 0; i < n; i++ {
			okey := fmt.Sprintf("ok-%d", i%100)
			ms = append(ms, &pulsar.ProducerMessage{Payload: []byte(fmt.Sprintf("%s:%d", okey, i)), OrderingKey: okey,
				Key: fmt.Sprintf("pk-%d", i)})
		}
	} else {
		ms = keyed(keyMod(100), 0, n)
	}
	sendAll(p, ms)
	log := newKsLog()
	batched := 0
	entries := map[[2]int64]map[string]bool{}
	total := pollAll(cs, n, 60*time.Second, func(cname string, c pulsar.Consumer, m pulsar.Message) {
		k, i := log.add(cname, m)
		if orderingKey {
			check(m.OrderingKey() == k, "ordering key %q on %s:%d", m.OrderingKey(), k, i)
			check(m.Key() == fmt.Sprintf("pk-%d", i), "partition key %q on %s:%d", m.Key(), k, i)
		} else {
			check(m.Key() == k, "partition key %q on %s:%d", m.Key(), k, i)
		}
		id := m.ID()
		if id.BatchIdx() > 0 {
			batched++
		}
		e := [2]int64{id.LedgerID(), id.EntryID()}
		if entries[e] == nil {
			entries[e] = map[string]bool{}
		}
		entries[e][k] = true
		ok(c.Ack(m), "ack")
	})
	check(total == n, "received %d of %d (per consumer %v)", total, n, log.byConsumer)
	log.checkExactlyOnce(span(0, n))
	log.checkSingleOwner()
	log.checkPerKeyOrder()
	mean := float64(n) / float64(len(cs))
	for _, nc := range cs {
		got := float64(log.byConsumer[nc.name])
		check(got >= 0.6*mean && got <= 1.4*mean, "%s got %.0f messages, outside ±40%% of the mean %.0f (per consumer %v)",
			nc.name, got, mean, log.byConsumer)
	}
	if batching {
		check(batched > 0, "no message arrived in a batch: key-based batching was not exercised")
		for e, ks := range entries {
			check(len(ks) == 1, "the key-based batch at %v mixed %d keys", e, len(ks))
		}
	}
}

// PROTOCOL.md §4.1/§4.3/§4.7: the partition key is the sticky key; AUTO_SPLIT consistent-hash ring
// (ConsistentHashingStickyKeyConsumerSelector); KeySharedSubscriptionTest.receiveAndCheckDistribution: one key never on
// two consumers, per-key order, each consumer within ±40% of the mean, nothing lost.
func keySharedManyKeys(x *X) { ksDistribution(x, "ks-many", false, false) }

// PROTOCOL.md §4.1 (Commands.resolveStickyKey): the ordering key, if present, is the sticky key, not the partition key.
func keySharedOrderingKey(x *X) { ksDistribution(x, "ks-okey", true, false) }

// PROTOCOL.md §4.7: the broker routes a whole entry by its batch-level key; with key-based batching each batch holds
// one key, so single owner and per-key order hold (KeySharedSubscriptionTest runs with KEY_BASED batching).
func keySharedKeyBasedBatching(x *X) { ksDistribution(x, "ks-kbatch", false, true) }

// PROTOCOL.md §4.3: AUTO_SPLIT uses Pulsar 4.x's consistent-hash ring (100 points per consumer at
// makeStickyKeyHash(name + "\0" + nameIndex + "\0" + i) in [1, 65535], select = ceiling point, wrapping); each key
// goes to exactly the consumer the ring selects, and after a consumer leaves, to the ring of the remaining ones
// (testShouldNotChangeSelectedConsumerWhenConsumerIsRemoved).
func keySharedAutoSplitRing(x *X) {
	check(murmur3x86_32([]byte("key-1"), 0) == 2561742240, "murmur3 test vector")
	cl := x.client()
	t := topic("ks-ring")
	c1, c2, c3 := ksSub(cl, t, "c1", ksOpts{}), ksSub(cl, t, "c2", ksOpts{}), ksSub(cl, t, "c3", ksOpts{})
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	round := func(cs []namedConsumer, ring []string, from int) {
		sel := autoSplitRing(ring)
		sendAll(p, keyed(keyMod(100), from, from+100))
		var wrong []string
		log := newKsLog()
		total := pollAll(cs, 100, 30*time.Second, func(cname string, c pulsar.Consumer, m pulsar.Message) {
			k, _ := log.add(cname, m)
			if want := sel(k); want != cname {
				wrong = append(wrong, fmt.Sprintf("%s on %s (ring: %s)", k, cname, want))
			}
			ok(c.Ack(m), "ack")
		})
		check(len(wrong) == 0, "with consumers %v, %d keys not where Pulsar's ring puts them, e.g. %v", ring, len(wrong),
			first(wrong, 3))
		check(total == 100, "received %d of 100", total)
		log.checkExactlyOnce(span(from, from+100))
	}
	round([]namedConsumer{{"c1", c1}, {"c2", c2}, {"c3", c3}}, []string{"c1", "c2", "c3"}, 0)
	bounded(secs(15), "close c2", c2.Close)
	round([]namedConsumer{{"c1", c1}, {"c3", c3}}, []string{"c1", "c3"}, 100)
}

// PROTOCOL.md §4.5 (PIP-379 draining hashes; KeySharedSubscriptionTest.testOrderingWhenAddingConsumers): a key moved
// to a joining consumer is not delivered there while the old owner holds unacked messages of it; after the old owner
// closes, the newcomer receives everything in per-key order.
func keySharedConsumerJoinsOrdering(x *X) {
	cl := x.client()
	t := topic("ks-join")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	c1 := ksSub(cl, t, "c1", ksOpts{})
	sendAll(p, keyed(keyMod(10), 0, 10))
	held := drain(c1, 10, secs(10), false) // received, never acked
	check(len(held) == 10, "first consumer received %d of 10", len(held))
	c2 := ksSub(cl, t, "c2", ksOpts{})
	sendAll(p, keyed(keyMod(10), 10, 20))
	if early := recv(c2, time.Second); early != nil { // absence: Pulsar's test waits 100 ms
		fail("joining consumer got %q while the first held unacked messages of every key (draining hashes)", early.Payload())
	}
	bounded(secs(15), "close first consumer", c1.Close)
	log := newKsLog()
	for _, m := range drain(c2, 20, secs(10), true) {
		log.add("c2", m)
	}
	log.checkExactlyOnce(span(0, 20))
	log.checkPerKeyOrder()
}

// PROTOCOL.md §4.5 and §5.1: a closing consumer's unacked messages go to the replay set and reach the remaining
// consumers before newer messages of the same keys (canDispatchEntry holds back hashes in the replay set); removing a
// consumer from the ring does not move the keys of the others (testShouldNotChangeSelectedConsumerWhenConsumerIsRemoved).
func keySharedCloseRedelivers(x *X) {
	cl := x.client()
	t := topic("ks-close")
	c1, c2, c3 := ksSub(cl, t, "c1", ksOpts{}), ksSub(cl, t, "c2", ksOpts{}), ksSub(cl, t, "c3", ksOpts{})
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	key := keyMod(20)
	sendAll(p, keyed(key, 0, 100))
	before := newKsLog()
	total := pollAll(names3(c1, c2, c3), 100, 30*time.Second, func(name string, c pulsar.Consumer, m pulsar.Message) {
		before.add(name, m)
		if name != "c1" {
			ok(c.Ack(m), "ack") // c1 holds its messages unacked
		}
	})
	check(total == 100, "received %d of 100 before the close (per consumer %v)", total, before.byConsumer)
	before.checkSingleOwner()
	before.checkPerKeyOrder()
	held := before.byConsumer["c1"]
	c1Keys := map[string]bool{}
	for k, o := range before.owners {
		if o["c1"] {
			c1Keys[k] = true
		}
	}
	check(held > 0 && len(c1Keys) < 20, "setup: c1 owns %d of 20 keys", len(c1Keys))
	bounded(secs(15), "close c1", c1.Close)
	sendAll(p, keyed(key, 100, 200))
	after := newKsLog()
	rest := []namedConsumer{{"c2", c2}, {"c3", c3}}
	total = pollAll(rest, held+100, 30*time.Second, func(name string, c pulsar.Consumer, m pulsar.Message) {
		after.add(name, m)
		ok(c.Ack(m), "ack")
	})
	check(total == held+100, "after the close received %d of %d redelivered + 100 new", total, held)
	var want []int
	for i := 0; i < 200; i++ {
		if i >= 100 || c1Keys[key(i)] {
			want = append(want, i)
		}
	}
	after.checkExactlyOnce(want)
	after.checkSingleOwner()
	after.checkPerKeyOrder() // a redelivered message of a key before any newer one
	for k := range after.owners {
		if !c1Keys[k] && after.ownerSet(k) != before.ownerSet(k) {
			fail("key %s of a remaining consumer moved when c1 left: %s → %s", k, before.ownerSet(k), after.ownerSet(k))
		}
	}
}

// PROTOCOL.md §4.5/§5.2: a negatively acked message comes back (REDELIVER_UNACKNOWLEDGED_MESSAGES) with
// redelivery count ≥ 1 to the same consumer (membership unchanged); PIP-379 gives no ordering guarantee for nacks, so
// only delivery exactly once per (n)ack and key ownership are asserted.
func keySharedNackOrder(x *X) {
	cl := x.client()
	t := topic("ks-nack")
	o := ksOpts{nack: 300 * time.Millisecond}
	cs := []namedConsumer{{"c1", ksSub(cl, t, "c1", o)}, {"c2", ksSub(cl, t, "c2", o)}}
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	const n = 100
	sendAll(p, keyed(keyMod(10), 0, n))
	nacked := map[int]bool{}
	for i := 0; i < n; i += 3 {
		nacked[i] = true
	}
	owners := map[string]map[string]bool{}
	firsts, acked := map[int]int{}, map[int]int{}
	redeliveries := map[int][]uint32{}
	total := pollAll(cs, n+len(nacked), 40*time.Second, func(name string, c pulsar.Consumer, m pulsar.Message) {
		k, i := parseKeyed(m)
		if owners[k] == nil {
			owners[k] = map[string]bool{}
		}
		owners[k][name] = true
		if rc := m.RedeliveryCount(); rc == 0 {
			firsts[i]++
			if nacked[i] {
				c.Nack(m)
				return
			}
		} else {
			redeliveries[i] = append(redeliveries[i], rc)
		}
		acked[i]++
		ok(c.Ack(m), "ack")
	})
	check(total == n+len(nacked), "received %d deliveries, expected %d + %d redeliveries", total, n, len(nacked))
	for i := 0; i < n; i++ {
		check(firsts[i] == 1, "message %d delivered %d times with redelivery count 0", i, firsts[i])
		check(acked[i] == 1, "message %d acked %d times", i, acked[i])
		rc := redeliveries[i]
		if nacked[i] {
			check(len(rc) == 1 && rc[0] >= 1, "nacked message %d redelivered with counts %v", i, rc)
		} else {
			check(len(rc) == 0, "message %d redelivered without a nack (counts %v)", i, rc)
		}
	}
	for k, o := range owners {
		check(len(o) == 1, "key %s delivered to %d consumers (redeliveries must go to the key's owner)", k, len(o))
	}
}

// stickyExpect maps each key to the consumer whose inclusive ranges contain stickySlot(key) ("" if none).
func stickyExpect(ranges map[string][]int, keys []string) map[string]string {
	out := map[string]string{}
	for _, k := range keys {
		s := stickySlot(k)
		for c, rs := range ranges {
			for j := 0; j+1 < len(rs); j += 2 {
				if rs[j] <= s && s <= rs[j+1] {
					out[k] = c
				}
			}
		}
	}
	return out
}

// PROTOCOL.md §4.1/§4.2/§4.4: STICKY consumers (HashRangeExclusiveStickyKeyConsumerSelector) receive exactly the keys
// whose slot (murmur3_32 & 0x7fffffff) % 65536 (0 → 1) lies in their inclusive ranges. c1 = [1, 32767], so the key
// whose raw slot is 0 reaches c1 only through the 0 → 1 rule (StickyKeyConsumerSelector.makeStickyKeyHash).
func keySharedStickyRanges(x *X) {
	check(murmur3x86_32([]byte("key-1"), 0) == 2561742240 && stickySlot("key-1") == 5536, "murmur3 test vector")
	for k, raw := range edgeKeys {
		check(rawSlot(k) == raw, "edge key %s slot %d, expected %d", k, rawSlot(k), raw)
	}
	ranges := map[string][]int{"c1": {1, 32767}, "c2": {32768, 65535}}
	cl := x.client()
	t := topic("ks-sticky")
	cs := []namedConsumer{{"c1", ksSub(cl, t, "c1", ksOpts{policy: stickyPolicy(ranges["c1"]...)})},
		{"c2", ksSub(cl, t, "c2", ksOpts{policy: stickyPolicy(ranges["c2"]...)})}}
	var keys []string
	for j := 0; j < 50; j++ {
		keys = append(keys, fmt.Sprintf("key-%d", j))
	}
	keys = append(keys, edgeKeyOrder...)
	expect := stickyExpect(ranges, keys)
	owners := map[string]bool{}
	for _, k := range keys {
		check(expect[k] != "", "setup: key %s uncovered", k)
		owners[expect[k]] = true
	}
	check(len(owners) == 2, "setup: both consumers must own keys")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	n := 4 * len(keys)
	sendAll(p, keyed(func(i int) string { return keys[i%len(keys)] }, 0, n))
	log := newKsLog()
	var wrong []string
	total := pollAll(cs, n, 30*time.Second, func(name string, c pulsar.Consumer, m pulsar.Message) {
		k, _ := log.add(name, m)
		if expect[k] != name {
			wrong = append(wrong, fmt.Sprintf("%s (slot %d) on %s", k, stickySlot(k), name))
		}
		ok(c.Ack(m), "ack")
	})
	check(len(wrong) == 0, "%d messages on the wrong consumer, e.g. %v", len(wrong), first(wrong, 3))
	check(total == n, "received %d of %d", total, n)
	log.checkExactlyOnce(span(0, n))
	log.checkPerKeyOrder()
}

// PROTOCOL.md §4.2: with STICKY, a message whose slot no consumer covers is not delivered (held in the replay set)
// until a consumer covering it connects; then it arrives in per-key order.
func keySharedStickyUncoveredWaits(x *X) {
	cl := x.client()
	t := topic("ks-uncovered")
	c1 := ksSub(cl, t, "c1", ksOpts{policy: stickyPolicy(0, 32767)})
	var keys []string
	for j := 0; j < 20; j++ {
		keys = append(keys, fmt.Sprintf("key-%d", j))
	}
	keys = append(keys, "edge-32714", "edge-111552")
	expect := stickyExpect(map[string][]int{"c1": {0, 32767}, "c2": {32768, 65535}}, keys)
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	n := 3 * len(keys)
	sendAll(p, keyed(func(i int) string { return keys[i%len(keys)] }, 0, n))
	var mine, rest []int
	for i := 0; i < n; i++ {
		if expect[keys[i%len(keys)]] == "c1" {
			mine = append(mine, i)
		} else {
			rest = append(rest, i)
		}
	}
	check(len(mine) > 0 && len(rest) > 0, "setup: keys on both halves")
	log1 := newKsLog()
	for _, m := range drain(c1, len(mine), secs(10), true) {
		log1.add("c1", m)
	}
	log1.checkExactlyOnce(mine)
	if extra := recv(c1, time.Second); extra != nil {
		fail("c1 got %q outside its range", extra.Payload())
	}
	c2 := ksSub(cl, t, "c2", ksOpts{policy: stickyPolicy(32768, 65535)})
	log2 := newKsLog()
	for _, m := range drain(c2, len(rest), secs(10), true) {
		log2.add("c2", m)
	}
	log2.checkExactlyOnce(rest)
	log2.checkPerKeyOrder()
}

// subscribeRefused expects a subscribe to fail with ConsumerAssignError (Go: "server error: ConsumerAssignError: ...").
func subscribeRefused(cl pulsar.Client, opts pulsar.ConsumerOptions, what string) {
	c, err := cl.Subscribe(opts)
	if err == nil {
		bounded(secs(15), "close consumer", c.Close)
		fail("%s was accepted", what)
	}
	check(strings.Contains(err.Error(), "ConsumerAssignError"), "%s: expected ConsumerAssignError, got: %v", what, err)
}

// PROTOCOL.md §4.4 (HashRangeExclusiveStickyKeyConsumerSelector.validateKeySharedMeta; testHashRangeConflict): a STICKY
// consumer whose range overlaps a connected consumer's gets ConsumerAssignError and is not added; the first keeps
// receiving; a non-overlapping range is accepted, and the refused range once the first consumer left.
func keySharedStickyOverlapRefused(x *X) {
	cl := x.client()
	t := topic("ks-overlap")
	c1 := ksSub(cl, t, "c1", ksOpts{policy: stickyPolicy(0, 32767)})
	subscribeRefused(cl, ksConsumerOptions(t, "c2", ksOpts{policy: stickyPolicy(32000, 40000)}),
		"a STICKY consumer overlapping [0, 32767] with [32000, 40000]")
	c3 := ksSub(cl, t, "c3", ksOpts{policy: stickyPolicy(32768, 65535)})
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	sendAll(p, []*pulsar.ProducerMessage{{Payload: []byte("edge-32714:0"), Key: "edge-32714"},
		{Payload: []byte("edge-111552:1"), Key: "edge-111552"}})
	m := recv(c1, secs(10))
	check(m != nil && string(m.Payload()) == "edge-32714:0", "c1 got %v, expected edge-32714:0", payloadOf(m))
	ok(c1.Ack(m), "ack")
	m = recv(c3, secs(10))
	check(m != nil && string(m.Payload()) == "edge-111552:1", "c3 got %v, expected edge-111552:1", payloadOf(m))
	ok(c3.Ack(m), "ack")
	subscribeRefused(cl, ksConsumerOptions(t, "c4", ksOpts{policy: stickyPolicy(30000, 40000)}),
		"[30000, 40000] overlapping c1 and c3")
	bounded(secs(15), "close c1", c1.Close)
	c5 := ksSub(cl, t, "c5", ksOpts{policy: stickyPolicy(32000, 32767)})
	sendAll(p, []*pulsar.ProducerMessage{{Payload: []byte("edge-32714:2"), Key: "edge-32714"}})
	m = recv(c5, secs(10))
	check(m != nil && string(m.Payload()) == "edge-32714:2", "c5 got %v, expected edge-32714:2", payloadOf(m))
}

func payloadOf(m pulsar.Message) string {
	if m == nil {
		return "nothing"
	}
	return strconv.Quote(string(m.Payload()))
}

// PROTOCOL.md §4.6: with allowOutOfOrderDelivery there is no draining: a joining consumer receives new messages of the
// keys it now owns at once, although the old owner still holds unacked messages of them (contrast with
// key-shared-consumer-joins-ordering); after the old owner closes nothing is lost.
func keySharedOutOfOrderJoin(x *X) {
	pol := &pulsar.KeySharedPolicy{Mode: pulsar.KeySharedPolicyModeAutoSplit, AllowOutOfOrderDelivery: true}
	cl := x.client()
	t := topic("ks-ooo")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	c1 := ksSub(cl, t, "c1", ksOpts{policy: pol})
	sendAll(p, keyed(keyMod(10), 0, 10))
	held := drain(c1, 10, secs(10), false)
	check(len(held) == 10, "first consumer received %d of 10", len(held))
	c2 := ksSub(cl, t, "c2", ksOpts{policy: pol})
	sendAll(p, keyed(keyMod(10), 10, 20))
	log := newKsLog()
	m := recv(c2, secs(10))
	check(m != nil, "joining consumer received nothing although out-of-order delivery is allowed")
	log.add("c2", m)
	ok(c2.Ack(m), "ack")
	// the rest of 10..19 from both consumers (each new message goes to one of them; c1 holds 0..9 unacked)
	pollAll([]namedConsumer{{"c1", c1}, {"c2", c2}}, 9, 30*time.Second, func(name string, c pulsar.Consumer, m pulsar.Message) {
		log.add(name, m)
		ok(c.Ack(m), "ack")
	})
	for nk, s := range log.seq {
		for _, i := range s {
			check(nk[0] != "c2" || i >= 10, "joining consumer got old message %d while c1 still held it", i)
		}
	}
	log.checkExactlyOnce(span(10, 20))
	bounded(secs(15), "close c1", c1.Close)
	for _, m := range drain(c2, 10, secs(10), true) { // c1's unacked 0..9 come back
		log.add("c2", m)
	}
	log.checkExactlyOnce(span(0, 20)) // nothing lost or duplicated (c1's own deliveries of 0..9 are not logged)
}
