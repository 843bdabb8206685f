# check_arp: build, test, demo, packages. `make demo`, `make test` and
# `make e2e` need root (network namespaces); `make deps` installs the tools
# they use on Debian.

VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO       ?= go
BIN      := bin
LDFLAGS  := -s -w -X main.version=$(VERSION)
GOBUILD  := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'
# Fuzzing is bounded by a number of executions per target, not a duration:
# Go 1.26's fuzz coordinator can fail a duration-bounded run that found
# nothing with a bare "context deadline exceeded" when its deadline fires
# (go.dev/issue/75804, fixed in Go 1.27), the likelier the busier the
# machine. A count has no deadline; a loaded machine only takes longer.
FUZZTIME ?= 20000x
# Packages: the version comes from git (see internal/release), evaluated
# once; timestamps come from the last commit, so a commit always yields the
# same packages.
PKG_VERSION       ?= $(eval PKG_VERSION := $$(shell $(GO) run ./internal/release/cmd/pkgversion))$(PKG_VERSION)
PKG_ARCH          ?= $(shell $(GO) env GOARCH)
PKG_MAINTAINER    ?= check_arp maintainers <check-arp@users.noreply.github.com>
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
DIST              ?= dist
NFPM              := $(GO) tool -modfile=tools/go.mod nfpm

.PHONY: all build test unit parsers copyright fuzz fuzz-corpus demo samples bench lint deps clean man package e2e

all: build

build:
	$(GOBUILD) -o $(BIN)/check_arp ./cmd/check_arp

$(BIN)/arpresponder: FORCE
	$(GOBUILD) -o $@ ./test/lab/cmd/arpresponder
FORCE:

# Every test: formatting, vet, unit tests, the namespace lab end-to-end
# tests (as root), the ecosystem's parsers, a short run of every fuzz
# target, and the monitoring engines (make e2e). Without root the
# lab tests skip, and go test shows a skip only with -v, so this says so
# and names them (all of LABTESTS' tests but TestNoShellOuts need the lab).
LABTESTS := ./cmd/check_arp/
test: deps
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	$(MAKE) parsers
	$(MAKE) fuzz
	$(MAKE) e2e
	@if [ "$$(id -u)" != 0 ]; then \
	  echo; echo "NOTE: not root, so the namespace-lab end-to-end tests were SKIPPED (go test said ok without them):"; \
	  $(GO) test -list '^Test' $(LABTESTS) 2>/dev/null | grep '^Test' | grep -v '^TestNoShellOuts$$' | sed 's/^/  /'; \
	  echo "Run 'sudo make test' to include them; with CI=true they fail instead of skipping."; \
	fi

unit:
	$(GO) test -count=1 ./internal/...

# The ecosystem's own parsers (Sensu Go's resource types, Telegraf's nagios
# parser) read contrib/ and captured outputs. A module of its own
# (test/parsers/go.mod), so that their dependencies stay out of go.mod; the
# first run downloads them through the Go module proxy.
parsers:
	cd test/parsers && $(GO) vet ./... && $(GO) test -count=1 ./...

# Each fuzz target for FUZZTIME; found crashers land in testdata/fuzz and
# stay there as regression cases. Each target runs once; a failing run's
# output is shown as it was, never re-run.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
	    if ! out=$$($(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg 2>&1); then \
	      echo "$$out"; echo "fuzz $$pkg $$target FAILED (output above)"; exit 1; \
	    fi; \
	  done; \
	done

# Runs every fuzz target for FUZZTIME and keeps what it learnt as committed
# seed corpus (testdata/fuzz), which plain `go test` then replays.
fuzz-corpus:
	@set -e; cache=$$($(GO) env GOCACHE)/fuzz; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    out=$$($(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg 2>&1 | grep -o 'execs: [0-9]*' | tail -1); \
	    mkdir -p $$dir/testdata/fuzz/$$target; \
	    cp -n $$cache/$$pkg/$$target/* $$dir/testdata/fuzz/$$target/ 2>/dev/null || true; \
	    echo "$$pkg $$target: $$out, $$(ls $$dir/testdata/fuzz/$$target | wc -l) corpus entries"; \
	  done; \
	done

# A throwaway namespace lab with one target per scenario; every scenario's
# command, output and exit code is shown, then the lab is removed.
# DEMO_ARGS are added to every check, e.g. DEMO_ARGS="--output json".
demo: deps build $(BIN)/arpresponder
	$(GO) run ./test/lab/cmd/demo -check $(BIN)/check_arp -responder $(BIN)/arpresponder -args "$(DEMO_ARGS)"

# The committed samples of check_arp's output, one scenario per state, which
# the ecosystem's parsers read in test/parsers (testdata/outputs/README.md).
# A lab test (cmd/check_arp) fails when they no longer match the binary.
samples: deps build $(BIN)/arpresponder
	$(GO) run ./test/lab/cmd/demo -check $(BIN)/check_arp -responder $(BIN)/arpresponder -capture test/parsers/testdata/outputs

# check_arp against iputils arping and the classic arping script in a
# throwaway namespace lab: wall time, CPU and peak RSS side by side,
# concurrent checks, binary size, Go benchmarks, and a perf profile when
# perf is installed (apt-get install linux-perf). Installs iputils-arping
# and GNU time (for the peak RSS) if missing. Writes BENCHMARKS.md.
# Takes about five minutes; not part of `make test`.
ROUNDS  ?= 9
PROFILE ?= 40
bench: deps build
	@missing=""; arping -V 2>&1 | grep -q iputils || missing="iputils-arping"; \
	/usr/bin/time --version 2>&1 | grep -q GNU || missing="$$missing time"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing $$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "bench needs:$$missing"; exit 1; fi; \
	fi
	$(GO) run ./test/lab/cmd/bench -check $(BIN)/check_arp -rounds $(ROUNDS) \
	  -profile $$(command -v perf >/dev/null && echo $(PROFILE) || echo 0) -out BENCHMARKS.md

lint:
	$(GO) vet ./...
	$(GO) vet -tags e2e ./...
	$(GO) tool -modfile=tools/go.mod staticcheck ./...
	$(GO) tool -modfile=tools/go.mod staticcheck -tags e2e ./...
	cd test/parsers && $(GO) tool -modfile=../../tools/go.mod staticcheck ./...

# The man page, generated from the command line definition.
man:
	@mkdir -p $(BIN)
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(GO) run ./internal/manpage/cmd/genman -version '$(PKG_VERSION)' -o $(BIN)/check_arp.1

# packaging/copyright (deb) and copyright.full (rpm): the licences of
# check_arp and of every module its static binary links (go list -deps, the modules' licence files), and the
# SPDX expression for the rpm's License tag in packaging/nfpm.yaml. A test
# (internal/release/copyright) fails while either is out of date.
copyright:
	$(GO) run ./internal/release/cmd/gencopyright -d packaging

# deb and rpm in $(DIST): the plugin in the distributions' plugin
# directories, the man page, contrib/ as examples, a postinstall that
# grants CAP_NET_RAW (packaging/). Needs no network once the module cache
# holds nfpm.
package:
	@test -n '$(PKG_VERSION)' || { echo "no package version (see internal/release/cmd/pkgversion)"; exit 1; }
	rm -rf $(BIN)/pkg && mkdir -p $(BIN)/pkg $(DIST)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w -X main.version=$(PKG_VERSION)' -o $(BIN)/pkg/check_arp ./cmd/check_arp
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(GO) run ./internal/manpage/cmd/genman -version '$(PKG_VERSION)' -o $(BIN)/pkg/check_arp.1
	gzip -9 -n -c $(BIN)/pkg/check_arp.1 > $(BIN)/pkg/check_arp.1.gz
	@set -e; for p in deb rpm; do \
	  echo "nfpm $$p $(PKG_VERSION)"; \
	  SOURCE_DATE_EPOCH='$(SOURCE_DATE_EPOCH)' PKG_VERSION='$(PKG_VERSION)' PKG_ARCH='$(PKG_ARCH)' PKG_MAINTAINER='$(PKG_MAINTAINER)' \
	    $(NFPM) package -f packaging/nfpm.yaml -p $$p -t $(DIST)/; \
	done

# The monitoring engines' tests: private Icinga 2, Nagios 4 and NRPE
# instances run the contrib/ definitions in the namespace lab, and the deb
# is installed, run as user nagios and purged. Needs root and Debian's
# icinga2, nagios4, nagios-nrpe-server and nagios-nrpe-plugin (.ci/run
# installs them); without them the tests skip and say why, except under
# CI=true, where they fail.
e2e: deps
	$(GO) test -tags e2e -count=1 -timeout 15m -v ./test/engines/

# Installs what the tests use (test/install-deps.sh: the lab's tools, the
# engines, promtool, lintian, rpmlint) with apt-get when run as root on
# Debian, keeping the engines' system services stopped; elsewhere it says
# what is missing.
deps:
	@bash test/install-deps.sh

clean:
	rm -rf $(BIN) dist
