// Command suite runs the Vela conformance scenarios with the official Go client
// (github.com/apache/pulsar-client-go).
//
// Black box: it talks to the broker only through SERVICE_URL (binary), ADMIN_URL (HTTP) and the
// runner's COMPAT_CONTROL_URL (restart the broker). It prints exactly one JSON line per scenario
// on stdout and nothing else:
//
//	{"scenario":"<id>","client":"go","status":"pass|fail|skip","reason":"...","ms":123}
//
// Scenarios to run come from COMPAT_SCENARIOS (comma-separated, run in that order; all registered
// scenarios when empty). Client logs go to $COMPAT_LOG_DIR/go-client.log. Each scenario asserts what
// Apache Pulsar does; its comment names the source (see compat-tests/scenarios.json).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"
)

// scenarioFn runs one scenario. It fails by panicking with failure (see check/must), skips by
// panicking with skipped, and passes by returning.
type scenarioFn func(x *X)

type entry struct {
	fn      scenarioFn
	budgetS float64 // wall-clock budget before the suite gives up on it (scaled), below the runner's
}

var registry = map[string]entry{}

// register adds a scenario under its catalogue id. budgetS 0 means the default.
func register(id string, budgetS float64, fn scenarioFn) {
	if _, dup := registry[id]; dup {
		panic("duplicate scenario id " + id)
	}
	if budgetS == 0 {
		budgetS = defaultBudgetS
	}
	registry[id] = entry{fn: fn, budgetS: budgetS}
}

// The runner kills a suite that stays silent longer than the scenario's timeoutS (60 s unless the
// catalogue says more). We give up a little earlier so the report comes from us, with a reason.
const defaultBudgetS = 50

// results is the real stdout; os.Stdout is pointed at stderr so that nothing a library prints can
// corrupt the result stream.
var results = os.Stdout

type result struct {
	Scenario string `json:"scenario"`
	Client   string `json:"client"`
	Status   string `json:"status"`
	Reason   string `json:"reason"`
	Ms       int64  `json:"ms"`
}

func emit(id, status, reason string, ms int64) {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	line, _ := json.Marshal(result{Scenario: id, Client: "go", Status: status, Reason: reason, Ms: ms})
	results.Write(append(line, '\n'))
}

// runOne runs a scenario in its own goroutine so that a client call that never returns costs only
// that scenario: after the budget we report a failure and move on (the goroutine is abandoned).
func runOne(id string, e entry) (status, reason string) {
	type outcome struct{ status, reason string }
	done := make(chan outcome, 1)
	clientLog("=== scenario %s start", id)
	go func() {
		x := &X{id: id}
		out := outcome{"pass", ""}
		defer func() {
			x.closeAll()
			done <- out
		}()
		defer func() {
			if r := recover(); r != nil {
				switch v := r.(type) {
				case failure:
					out = outcome{"fail", v.msg}
				case skipped:
					out = outcome{"skip", v.msg}
				default:
					out = outcome{"fail", fmt.Sprintf("panic: %v", v)}
					fmt.Fprintf(os.Stderr, "scenario %s panicked: %v\n%s\n", id, v, debug.Stack())
				}
			}
		}()
		e.fn(x)
	}()
	budget := scaled(time.Duration(e.budgetS * float64(time.Second)))
	select {
	case o := <-done:
		clientLog("=== scenario %s end: %s %s", id, o.status, o.reason)
		return o.status, o.reason
	case <-time.After(budget):
		clientLog("=== scenario %s abandoned after %v", id, budget)
		return "fail", fmt.Sprintf("no result within %v: a client call hung (scenario abandoned)", budget)
	}
}

func main() {
	os.Stdout = os.Stderr
	initEnv()
	var wanted []string
	for _, s := range strings.Split(os.Getenv("COMPAT_SCENARIOS"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			wanted = append(wanted, s)
		}
	}
	if len(wanted) == 0 {
		for id := range registry {
			wanted = append(wanted, id)
		}
		sort.Strings(wanted)
	}
	for _, id := range wanted {
		t0 := time.Now()
		e, ok := registry[id]
		if !ok {
			emit(id, "fail", "not implemented in the go suite", 0)
			continue
		}
		status, reason := runOne(id, e)
		emit(id, status, reason, time.Since(t0).Milliseconds())
	}
	closeClientLog()
}
