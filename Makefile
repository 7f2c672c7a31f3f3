# Lanjie: `make run` plays the console's demo, `make test` runs every test.
GO ?= go
PKGS := ./...

CH := analytics/local/clickhouse.sh
CH_DSN := clickhouse://127.0.0.1:19000/lanjie

.PHONY: run test build vet fmt-check bench bench-lists fuzz clean clickhouse clickhouse-stop load

# The console with a synthetic demo world, its history shipped to the local ClickHouse.
# If ClickHouse cannot be installed or started, the console still runs and keeps its
# history in the journal (var/data) until ClickHouse is back.
run: build
	@$(CH) start || echo "lanjie: ClickHouse is not available: the console runs, history waits in the journal."
	./bin/lanjie --demo --data-dir var/data --clickhouse $(CH_DSN)

build:
	$(GO) build -o bin/lanjie ./cmd/lanjie

# Tests that need ClickHouse use the local one for real and fail if it is missing.
test: fmt-check vet clickhouse
	LANJIE_CLICKHOUSE_TEST_DSN=$(CH_DSN) LANJIE_CLICKHOUSE_TEST_REQUIRED=1 \
		$(GO) test -race -count=1 -timeout 12m $(PKGS)

# Local ClickHouse (Debian's clickhouse-server, installed if missing) on 127.0.0.1:19000,
# data under var/clickhouse.
clickhouse:
	$(CH) start

clickhouse-stop:
	$(CH) stop

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Engine benchmarks (figures go to bench/RESULTS.md).
# GOGC=400 is what lanjie runs with (--gc-percent); see bench/RESULTS.md.
bench:
	GOGC=400 $(GO) test -run '^$$' -bench 'Decide$$|FiveRules|StarterRules' -benchmem -count 6 -cpu 1 -benchtime 200000x -timeout 60m ./intercept
	GOGC=400 $(GO) test -run '^$$' -bench 'DecideParallel' -benchmem -count 5 -cpu 2 -benchtime 200000x -timeout 60m ./intercept

# 10M list entries: memory and load time.
bench-lists:
	$(GO) test -run '^$$' -bench 'Load10M' -benchtime 1x -count 3 -timeout 30m ./bench

# Fuzz each parser for FUZZTIME (default 30s); new finds land in testdata/fuzz.
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./intercept
	$(GO) test -run '^$$' -fuzz '^FuzzNormalizePhone$$' -fuzztime $(FUZZTIME) ./intercept
	$(GO) test -run '^$$' -fuzz '^FuzzParseYuan$$' -fuzztime $(FUZZTIME) ./intercept

clean:
	rm -rf bin var

# HTTP load test with wrk (installed if missing) against lanjie on loopback; figures
# go to bench/RESULTS.md.
load:
	bench/load/run.sh
