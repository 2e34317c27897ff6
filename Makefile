# quirktls: the two commands a new user needs are `make demo` and `make test`.
CARGO ?= cargo

.PHONY: all build demo test bench lint deps pki fuzz

all: build

# The dev profile with optimised dependencies: the same build `make test` reuses.
build:
	$(CARGO) build

## Serve every built-in scenario on 127.0.0.1 until Ctrl-C (prints a table of addresses).
demo: build
	./target/debug/quirktls serve scenarios/

## Generate (or reuse) the test PKI under certs/generated/.
pki:
	$(CARGO) run -- pki generate

## Every test: unit, integration (real clients on 127.0.0.1), property tests, doc tests,
## the fuzz corpus replayed; then a fuzz smoke run when cargo-fuzz is installed.
test: deps
	$(CARGO) test --features proptest,fuzzing --lib --bins --tests
	$(CARGO) test --features proptest,fuzzing --doc
	@bash .ci/fuzz-smoke

## Every fuzz target for FUZZ_TIME seconds (FUZZ_TARGETS: some of them), on stable.
FUZZ_TIME ?= 60
FUZZ_TARGETS ?=
fuzz:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	@bash fuzz/run $(FUZZ_TIME) $(FUZZ_TARGETS)

## Benchmarks: handshakes/s vs bare tokio-rustls and vs openssl s_server (scripted engine),
## time to every scenario ready, the runner's overhead per scenario, and idle connections
## per GiB of server RSS (plus a burst of 10,000 at once).
bench: deps
	$(CARGO) bench --bench handshake
	$(CARGO) bench --bench startup
	$(CARGO) bench --bench scripted_handshake
	$(CARGO) bench --bench runner
	$(CARGO) bench --bench idle_connections

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

## Client programs the tests point at the server. Installs only what is missing.
deps:
	@bash .ci/deps
