package main

import (
	"encoding/binary"
	"testing"
	"time"
)

func keyedPayload(seq int64, producer, key uint32) []byte {
	p := make([]byte, keyedHeaderLen)
	binary.BigEndian.PutUint64(p[0:8], uint64(seq))
	binary.BigEndian.PutUint32(p[8:12], producer)
	copy(p[12:16], keyedMagic[:])
	binary.BigEndian.PutUint32(p[16:20], key)
	return p
}

func newTestChecker(count int64, keys, consumers int, joinedAt ...time.Duration) *checker {
	c := &checker{
		count: count, keys: keys,
		seen:      make([]uint64, (count+63)/64),
		lastSeq:   make([]map[uint32]int64, consumers),
		keyMap:    map[uint32]*keyState{},
		done:      make(chan struct{}),
		joinedAt:  joinedAt,
		allJoined: true,
	}
	c.r.PerConsumer = make([]int64, consumers)
	for i := range c.lastSeq {
		c.lastSeq[i] = map[uint32]int64{}
	}
	c.keyStates = make([]keyState, keys)
	c.keyNames = make([]string, keys)
	for k := range c.keyStates {
		c.keyStates[k].last = -1
		c.keyNames[k] = keyName(uint32(k))
	}
	return c
}

// A key moving forward to a later-joined consumer, back, or to an earlier-joined one; per-key order.
func TestCheckerKeys(t *testing.T) {
	now := time.Now()
	c := newTestChecker(10, 2, 3, 0, 5*time.Millisecond, 10*time.Millisecond)
	c.check(0, keyedPayload(0, 0, 0), "key-0", now)
	c.check(1, keyedPayload(2, 0, 0), "key-0", now) // forward: consumer 1 joined after 0
	if c.r.KeyMoves != 1 || c.r.KeyMovesBack != 0 || c.r.KeyMovesEarlier != 0 {
		t.Fatalf("forward move: %+v", c.r)
	}
	c.check(0, keyedPayload(4, 0, 0), "key-0", now) // back, and to an earlier-joined consumer
	if c.r.KeyMoves != 2 || c.r.KeyMovesBack != 1 || c.r.KeyMovesEarlier != 1 {
		t.Fatalf("move back: %+v", c.r)
	}
	c.check(2, keyedPayload(3, 0, 1), "key-1", now)
	c.check(2, keyedPayload(1, 0, 1), "key-1", now) // key 1 goes down: order violation
	if c.r.KeyOutOfOrder != 1 {
		t.Fatalf("key order: %+v", c.r)
	}
	c.check(2, keyedPayload(5, 0, 0), "key-1", now) // payload says key 0, the message key-1
	if c.r.KeyMismatch != 1 {
		t.Fatalf("key mismatch: %+v", c.r)
	}
	c.check(1, keyedPayload(5, 0, 0), "key-0", now) // sequence number 5 again
	if c.r.Duplicates != 1 {
		t.Fatalf("duplicate: %+v", c.r)
	}
}
