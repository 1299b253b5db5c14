#!/usr/bin/env bash
# Builds the Go conformance suite (official client github.com/apache/pulsar-client-go, pinned in go.mod)
# into compat-tests/go/bin/suite. Idempotent and quiet; fails loudly. Uses the default Go module and build
# caches (GOMODCACHE, GOCACHE), so a rebuild with nothing changed takes about a second.
# CGO_ENABLED=0: pure-Go build (the client then uses klauspost/compress for ZSTD instead of the cgo
# DataDog/zstd binding), so no C toolchain is needed and the first build stays short.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

fail() { echo "compat-tests/go/install.sh: $*" >&2; exit 1; }

command -v go >/dev/null || fail "go not found (Go >= 1.24 is needed)"

# -mod=readonly: never rewrite go.mod/go.sum here; a missing or stale go.sum entry is an error.
CGO_ENABLED=0 go build -mod=readonly -o bin/suite . || fail "go build failed"
[ -x bin/suite ] || fail "bin/suite missing after the build"
