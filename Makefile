# check_arp: build, test, demo. `make demo` and `make test` need root
# (network namespaces); `make deps` installs the tools they use on Debian.

VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO       ?= go
BIN      := bin
LDFLAGS  := -s -w -X main.version=$(VERSION)
GOBUILD  := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'
FUZZTIME ?= 3s
# Tools the lab and the tests use, by Debian package.
DEPS     := ip:iproute2 nft:nftables setcap:libcap2-bin setpriv:util-linux

.PHONY: all build test unit fuzz demo bench lint deps clean

all: build

build:
	$(GOBUILD) -o $(BIN)/check_arp ./cmd/check_arp

$(BIN)/arpresponder: FORCE
	$(GOBUILD) -o $@ ./internal/lab/cmd/arpresponder
FORCE:

# Everything: formatting, vet, unit tests, the namespace lab end-to-end
# tests (as root), and a short run of every fuzz target.
test: deps
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	$(MAKE) fuzz

unit:
	$(GO) test -count=1 ./internal/...

# Each fuzz target for FUZZTIME; found crashers land in testdata/fuzz and
# stay there as regression cases.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg >/dev/null || { \
	      $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; exit 1; }; \
	  done; \
	done

# A throwaway namespace lab with one target per scenario; every scenario's
# command, output and exit code is shown, then the lab is removed.
demo: deps build $(BIN)/arpresponder
	$(GO) run ./internal/lab/cmd/demo -check $(BIN)/check_arp -responder $(BIN)/arpresponder

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
	$(GO) run ./internal/lab/cmd/bench -check $(BIN)/check_arp -rounds $(ROUNDS) \
	  -profile $$(command -v perf >/dev/null && echo $(PROFILE) || echo 0) -out BENCHMARKS.md

lint:
	$(GO) vet ./...
	$(GO) tool -modfile=tools/go.mod staticcheck ./...

# Installs the missing lab tools with apt-get when run as root on Debian;
# elsewhere it says what is missing.
deps:
	@missing=""; for d in $(DEPS); do command -v $${d%%:*} >/dev/null 2>&1 || missing="$$missing $${d#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing packages:$$missing (the lab tests will skip without them)"; fi; \
	fi

clean:
	rm -rf $(BIN) dist
