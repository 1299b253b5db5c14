#!/usr/bin/env bash
# Builds the Go load generator (official client github.com/apache/pulsar-client-go, pinned in go.mod)
# into bench/go-load/bin/load. Idempotent and quiet; fails loudly. Uses the default Go module and build
# caches (GOMODCACHE, GOCACHE): the client is the version compat-tests/go pins, so its modules are
# usually there already and a rebuild with nothing changed takes about a second.
# CGO_ENABLED=0: pure-Go build, no C toolchain needed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

fail() { echo "bench/go-load/install.sh: $*" >&2; exit 1; }

command -v go >/dev/null || fail "go not found (Go >= 1.24 is needed)"

# -mod=readonly: never rewrite go.mod/go.sum here; a missing or stale go.sum entry is an error.
CGO_ENABLED=0 go build -mod=readonly -o bin/load . || fail "go build failed"
[ -x bin/load ] || fail "bin/load missing after the build"
