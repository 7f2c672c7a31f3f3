#!/usr/bin/env bash
# Load harness for Lanjie's HTTP API (figures go to bench/RESULTS.md).
#
# Builds bin/lanjie, starts it on a free loopback port with a fresh data directory
# (journal fsync on: group commit; no --demo; no --clickhouse, so history stays in the
# journal), signs in as the first admin (password random, from LANJIE_ADMIN_PASSWORD),
# makes two feed keys (bank_system/ICBC, operator_system/CMCC), then drives it with wrk
# (bench/load/lanjie.lua): per scenario a warm-up and RUNS timed runs. Every event has
# a unique id. A run with a non-2xx answer, a socket error, a rejected line, or a
# decision count that does not match what wrk counted is not a valid figure.
#
# wrk and lanjie share the machine's cores: the summary gives the CPU each used. Each
# run's line also gives the journal's group commits a second and the mean time of one
# (write + fsync), from lanjie's /metrics: commits_per_s, commit_ms.
#
#   bench/load/run.sh                      # all scenarios
#   SCENARIOS=decide RUNS=5 bench/load/run.sh
#
# Settings (environment):
#   SCENARIOS    healthz events decide (decide runs last, on a console whose tables the
#                events scenario filled to their working size)
#   RUNS, DURATION, WARMUP        3, 30s, 10s
#   HEALTHZ_WRK, EVENTS_WRK, DECIDE_WRK   wrk's threads and connections
#   BATCH        events per POST /api/v1/events (10000, the limit)
#   TRANSFERS    share of transfers in the feeds (0.55; the rest calls and texts)
#   CUSTOMERS    people in the synthetic city (10,000,000)
#   LISTS        black-listed numbers, and as many accounts, imported first (1,000,000)
#   LOAD_MAX, LOAD_WAIT   wait (up to 1200 s) until the 1-minute load average is below 1.5
#   NOISE_MAX, RETRIES    a run beside other work using over 0.25 cores is repeated (2x)
#   MAX_RSS_MIB  stop lanjie if its RSS passes this (18000): the machine is shared
#   KEEP_DATA=1  keep the data dir; BUILD=0  use bin/lanjie as it is
#   PROFILE=dir  after each scenario's timed runs, one more 20 s run (not counted) during
#                which lanjie's CPU profile (15 s), allocations and heap go to dir
#                (lanjie --pprof on loopback); read them with `go tool pprof`; that
#                run's own allocations: pprof -base dir/S.allocs-before.pprof dir/S.allocs.pprof
# lanjie runs with its defaults (GOGC 400 through --gc-percent, no GOMEMLIMIT unless
# exported; LANJIE_* settings and GOMAXPROCS exported pass through) and GODEBUG=gctrace=1, for the live heap in the summary.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

SCENARIOS=${SCENARIOS:-"healthz events decide"}
RUNS=${RUNS:-3}
DURATION=${DURATION:-30s}
WARMUP=${WARMUP:-10s}
HEALTHZ_WRK=${HEALTHZ_WRK:-"-t1 -c64"}
DECIDE_WRK=${DECIDE_WRK:-"-t1 -c48"}
EVENTS_WRK=${EVENTS_WRK:-"-t1 -c4"}
BATCH=${BATCH:-10000}
TRANSFERS=${TRANSFERS:-0.55}
CUSTOMERS=${CUSTOMERS:-10000000}
LISTS=${LISTS:-1000000}
MAX_RSS_MIB=${MAX_RSS_MIB:-18000}
LOAD_MAX=${LOAD_MAX:-1.5}
LOAD_WAIT=${LOAD_WAIT:-1200}
NOISE_MAX=${NOISE_MAX:-0.25}
RETRIES=${RETRIES:-2}

say() { printf '%s\n' "load: $*" >&2; }
die() { say "$*"; exit 1; }

# --- the generator ---------------------------------------------------------------
if ! command -v wrk >/dev/null; then
	say "installing wrk (Debian package)"
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
	else
		sudo apt-get install -y wrk >/dev/null
	fi
fi
for tool in curl jq; do
	command -v "$tool" >/dev/null || die "$tool is needed (apt-get install -y $tool)"
done

# --- the console -----------------------------------------------------------------
if [ "${BUILD:-1}" = 1 ]; then
	say "building bin/lanjie"
	go build -o bin/lanjie ./cmd/lanjie
fi

# Other work on the same two cores would make the figures meaningless: wait for quiet.
load1() { cut -d' ' -f1 /proc/loadavg; }
wait_quiet() {
	local waited=0
	while awk -v l="$(load1)" -v m="$LOAD_MAX" 'BEGIN { exit !(l >= m) }'; do
		if [ "$waited" -ge "$LOAD_WAIT" ]; then
			say "load average still $(load1) after ${waited}s: measuring anyway (figures noisy)"
			return
		fi
		say "load average $(load1) >= $LOAD_MAX: waiting"
		sleep 30
		waited=$((waited + 30))
	done
}

free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	die "no free port found"
}

data=$(mktemp -d "${TMPDIR:-/tmp}/lanjie-load.XXXXXX")
pid=""
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	if [ "${KEEP_DATA:-}" = 1 ]; then say "data kept in $data"; else rm -rf "$data"; fi
}
trap cleanup EXIT

port=$(free_port)
base="http://127.0.0.1:$port"
password=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
say "starting lanjie on $base, data in $data (journal only: no ClickHouse)"
pprof_args=()
if [ -n "${PROFILE:-}" ]; then
	mkdir -p "$PROFILE"
	pprof="http://127.0.0.1:$(free_port)"
	pprof_args=(--pprof "${pprof#http://}")
fi
LANJIE_ADMIN_PASSWORD=$password GODEBUG=gctrace=1 ./bin/lanjie --data-dir "$data/data" --addr "127.0.0.1:$port" \
	"${pprof_args[@]}" >"$data/stdout" 2>"$data/stderr" &
pid=$!
lanjie_started=$(date +%s.%N) # gctrace's @times count from here (to a few ms)
# The console's memory grows with the traffic it keeps (orders, windows): on a shared
# machine, stop it rather than let it push others out of memory.
(
	while kill -0 "$pid" 2>/dev/null; do
		rss=$(awk '/^VmRSS/ { print int($2 / 1024) }' "/proc/$pid/status" 2>/dev/null || echo 0)
		if [ "${rss:-0}" -gt "$MAX_RSS_MIB" ]; then
			echo "lanjie's RSS reached $rss MiB (MAX_RSS_MIB $MAX_RSS_MIB): stopped" >"$data/oom"
			kill -TERM "$pid" 2>/dev/null
			exit
		fi
		sleep 1
	done
) &
for _ in $(seq 300); do
	curl -fs "$base/healthz" >/dev/null 2>&1 && break
	kill -0 "$pid" 2>/dev/null || { cat "$data/stderr" >&2; die "lanjie exited at start"; }
	sleep 0.1
done
curl -fs "$base/healthz" >/dev/null || die "lanjie did not answer /healthz in 30 s"

# --- authentication: the first admin, then one feed key per organisation ------------
bank_key="" op_key=""
(umask 077 && LANJIE_ADMIN_PASSWORD=$password jq -cn '{username: "admin", password: env.LANJIE_ADMIN_PASSWORD}' >"$data/credentials")
status=$(curl -s -o "$data/login" -w '%{http_code}' -c "$data/cookies" -H 'Content-Type: application/json' \
	--data @"$data/credentials" "$base/api/v1/login")
case "$status" in
200)
	csrf=$(jq -r '.csrf' "$data/login")
	newkey() { # role org
		curl -fsS -b "$data/cookies" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
			--data "$(jq -cn --arg r "$1" --arg o "$2" '{name:"load",role:$r,org:$o}')" \
			"$base/api/v1/apikeys" | jq -r '.key'
	}
	bank_key=$(newkey bank_system ICBC)
	op_key=$(newkey operator_system CMCC)
	case "$bank_key$op_key" in lj_*lj_*) ;; *) die "could not create API keys" ;; esac
	say "signed in; feed keys bank_system/ICBC and operator_system/CMCC made"
	;;
404) say "this lanjie has no /api/v1/login: feeds are sent without keys" ;;
*) die "login answered $status: $(head -c 300 "$data/login")" ;;
esac

# --- lists: LISTS black-listed numbers and as many accounts (as in the engine benchmarks'
# world), imported as CSV in chunks under the body limit; the feeds touch a few of them.
listed=0
if [ "$LISTS" -gt 0 ] && [ -n "$bank_key" ]; then
	say "importing $LISTS listed numbers and $LISTS listed accounts"
	started=$SECONDS
	chunk=250000
	for target in number account; do
		for ((from = 0; from < LISTS; from += chunk)); do
			to=$((from + chunk < LISTS ? from + chunk : LISTS))
			awk -v t="$target" -v a="$from" -v b="$to" 'BEGIN {
				print "target,value,list,reason,source"
				for (i = a; i < b; i++) {
					if (t == "account") printf "account,6228489%012d,black,mule account,bank\n", i
					else if (i % 4 == 0) printf "number,+855%09d,black,reported scam number,report\n", i
					else printf "number,+86199%08d,black,reported scam number,report\n", i
				}
			}' >"$data/list.csv"
			status=$(curl -s -o "$data/import" -w '%{http_code}' -b "$data/cookies" -H "X-CSRF-Token: $csrf" \
				-H 'Content-Type: text/csv' --data-binary @"$data/list.csv" "$base/api/v1/lists/import")
			case "$status" in
			200) [ "$(jq -r '.kept' "$data/import")" = $((to - from)) ] || die "list import kept $(jq -c '{rows,kept,bad}' "$data/import") of $((to - from))" ;;
			404) say "this lanjie has no list import: the feeds run against empty lists"; break 2 ;;
			*) die "list import answered $status: $(head -c 300 "$data/import")" ;;
			esac
		done
	done
	[ "$status" = 404 ] || { listed=$LISTS; say "lists imported in $((SECONDS - started)) s"; }
	rm -f "$data/list.csv"
fi

decisions() {
	curl -fsS "$base/metrics" | awk '/^lanjie_decisions_total/ { s += $2 } END { printf "%d\n", s }'
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
# commits prints the journal's group commits so far and the seconds they took.
commits() {
	curl -fsS "$base/metrics" | awk '/^lanjie_journal_commits_total / { n = $2 } /^lanjie_journal_commit_seconds_total / { s = $2 } END { printf "%d %s\n", n, s + 0 }'
}

# --- scenarios ---------------------------------------------------------------------
results="$data/results"
: >"$results"
runno=0
quiet_load=""

# busy_ticks is the CPU time the whole machine spent working (not idle, not waiting).
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# wait_idle waits (up to LOAD_WAIT s) until other work uses under NOISE_MAX cores over
# 3 s: the load average lags by a minute and counts this test's own fsync waits.
wait_idle() {
	local waited=0 b0 b1
	while :; do
		b0=$(busy_ticks)
		sleep 3
		b1=$(busy_ticks)
		awk -v d=$((b1 - b0)) -v m="$NOISE_MAX" 'BEGIN { exit !(d / 300 < m) }' && return
		if [ "$waited" -ge "$LOAD_WAIT" ]; then
			say "other work still busy after ${waited}s: measuring anyway"
			return
		fi
		say "other work uses $(awk -v d=$((b1 - b0)) 'BEGIN { printf "%.2f", d / 300 }') cores: waiting"
		sleep 10
		waited=$((waited + 13))
	done
}

# run_wrk SCENARIO DURATION: one wrk run; prints its result line (without label). It
# runs in a subshell: the caller counts runs (runno tags the event ids of each run).
run_wrk() {
	local scenario=$1 dur=$2 opts timeout=5s
	case "$scenario" in
	healthz) opts=$HEALTHZ_WRK ;;
	decide) opts=$DECIDE_WRK ;;
	events) opts=$EVENTS_WRK timeout=30s ;;
	esac
	local d0 c0 b0 t0 j0 out
	d0=$(decisions) j0=$(commits) c0=$(cpu_ticks) b0=$(busy_ticks) t0=$(date +%s.%N)
	local TIMEFORMAT='%U %S'
	# shellcheck disable=SC2086 # opts holds several flags
	out=$({ time LOAD_DIR=$here LOAD_MODE=$scenario LOAD_RUN="r$runno-$$" LOAD_BATCH=$BATCH \
		LOAD_TRANSFERS=$TRANSFERS LOAD_CUSTOMERS=$CUSTOMERS LOAD_LISTED=$listed LOAD_BANK_KEY=$bank_key LOAD_OPERATOR_KEY=$op_key \
		wrk $opts -d "$dur" --timeout "$timeout" --latency -s "$here/lanjie.lua" "$base" 2>&1; } 2>&1)
	local t1 c1 b1 d1 j1
	t1=$(date +%s.%N) c1=$(cpu_ticks) b1=$(busy_ticks) j1=$(commits)
	sleep 0.5 # requests wrk abandoned at its deadline finish
	d1=$(decisions)
	local line wrkcpu
	line=$(grep '^RESULT ' <<<"$out" || true)
	[ -f "$data/oom" ] && die "$(cat "$data/oom")"
	[ -n "$line" ] || { printf '%s\n' "$out" >&2; die "wrk printed no result"; }
	wrkcpu=$(tail -n1 <<<"$out" | awk '{ print $1 + $2 }')
	grep '^FIRST_ERROR' <<<"$out" >&2 || true
	# The collections that ran during the run (gctrace: "gc N @T s P%: a+b+c ms clock, ..."),
	# so a slow tail can be told from a collection.
	awk -v from="$t0" -v to="$t1" -v s0="$lanjie_started" '/^gc [0-9]+ @/ {
		t = substr($3, 2) + 0; split($5, c, "+"); ms = c[1] + c[2] + c[3]
		if (t >= from - s0 && t <= to - s0) { n++; if (ms > max) max = ms; sum += ms }
	} END { printf "load: gc during the run: %d collections, %.0f ms in all, longest %.0f ms\n", n, sum, max }' "$data/stderr" >&2
	awk -v l="$line" -v dd=$((d1 - d0)) -v cpu=$((c1 - c0)) -v busy=$((b1 - b0)) -v w="$wrkcpu" \
		-v t0="$t0" -v t1="$t1" -v opts="$opts" -v la="$(load1)" -v lb="$quiet_load" -v batch="$BATCH" \
		-v noise="$NOISE_MAX" -v j0="$j0" -v j1="$j1" 'BEGIN {
		n = split(l, f, " ")
		for (i = 2; i <= n; i++) { split(f[i], p, "="); v[p[1]] = p[2] }
		wall = t1 - t0
		counted = v["mode"] == "events" ? v["events"] + 0 : (v["mode"] == "decide" ? v["requests"] + 0 : 0)
		split(opts, o, "-c"); conns = o[2] + 0
		slack = v["mode"] == "events" ? conns * batch : conns
		why = ""
		if (v["status_errors"] + 0 > 0) why = why "non-2xx,"
		if (v["socket_errors"] + 0 > 0) why = why "socket-errors,"
		if (v["rejected"] + 0 > 0) why = why "rejected-lines,"
		if (v["mode"] != "healthz" && (dd < counted || dd > counted + slack)) why = why "decisions-" dd "-vs-" counted ","
		if (v["mode"] != "healthz" && counted == 0) why = why "nothing-decided,"
		valid = why == "" ? "yes" : "no:" substr(why, 1, length(why) - 1)
		lc = cpu / 100 / wall; wc = w / wall; oc = busy / 100 / wall - lc - wc
		if (oc < 0) oc = 0
		split(j0, a, " "); split(j1, b, " "); nc = b[1] - a[1]
		# the journal: group commits a second and the mean time of one (write + fsync)
		cps = nc / wall; cms = nc > 0 ? (b[2] - a[2]) * 1000 / nc : 0
		printf "%s valid=%s decided=%d lanjie_cores=%.2f wrk_cores=%.2f other_cores=%.2f quiet=%s load_before=%s load_after=%s commits_per_s=%.0f commit_ms=%.3f wrk=\"%s\"\n", \
			substr(l, 8), valid, dd, lc, wc, oc, oc <= noise ? "yes" : "no", lb, la, cps, cms, opts
	}'
}

# measure SCENARIO LABEL DURATION: a run, repeated (up to RETRIES more times) while
# other work on the machine disturbs it; every attempt is kept in $results.
measure() {
	local scenario=$1 label=$2 dur=$3 kv try=0
	while :; do
		wait_idle
		runno=$((runno + 1))
		kv=$(run_wrk "$scenario" "$dur")
		if grep -q ' quiet=yes' <<<"$kv" || [ "$try" -ge "$RETRIES" ]; then
			printf '%s %s\n' "$label" "$kv" | tee -a "$results" >&2
			return
		fi
		printf '%s %s\n' "$label-disturbed" "$kv" | tee -a "$results" >&2
		say "other work ran beside this run: again"
		try=$((try + 1))
	done
}

for scenario in $SCENARIOS; do
	case "$scenario" in healthz | decide | events) ;; *) die "unknown scenario $scenario" ;; esac
	wait_quiet
	quiet_load=$(load1)
	say "$scenario: warm-up $WARMUP, then $RUNS runs of $DURATION (load average $(load1))"
	measure "$scenario" warmup "$WARMUP"
	for i in $(seq "$RUNS"); do
		measure "$scenario" "run$i" "$DURATION"
	done
	if [ -n "${PROFILE:-}" ]; then
		say "$scenario: a profiled run of 20s (not counted), profiles in $PROFILE"
		wait_idle
		runno=$((runno + 1))
		# Allocation profiles are as of the last collection: gc=1 makes one, so the
		# two bracket exactly the profiled run.
		curl -sS -o "$PROFILE/$scenario.allocs-before.pprof" "$pprof/debug/pprof/allocs?gc=1"
		(
			sleep 3
			curl -sS -o "$PROFILE/$scenario.cpu.pprof" "$pprof/debug/pprof/profile?seconds=15"
		) &
		run_wrk "$scenario" 20s >"$PROFILE/$scenario.run.txt"
		wait $!
		curl -sS -o "$PROFILE/$scenario.allocs.pprof" "$pprof/debug/pprof/allocs?gc=1"
		curl -sS -o "$PROFILE/$scenario.heap.pprof" "$pprof/debug/pprof/heap"
		grep '^gc ' "$data/stderr" >"$PROFILE/gctrace.txt" || true
	fi
done

# --- summary: medians of the valid timed runs ----------------------------------------
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
field() { grep -o " $1=[^ ]*" | cut -d= -f2; }
echo
echo "Lanjie load test: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(go version | cut -d' ' -f3), $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2)"
echo "lanjie on 127.0.0.1, journal fsync on (group commit), no ClickHouse (history stays in the journal),"
echo "fresh data dir; per scenario a $WARMUP warm-up and $RUNS runs of $DURATION; medians of the valid runs."
printf '%-8s %5s %10s %10s %8s %8s %8s %6s %6s %6s %6s %s\n' scenario valid req/s events/s p50_ms p99_ms max_ms lanjie wrk other load0 wrk_opts
for scenario in $SCENARIOS; do
	rows=$(grep -E '^run[0-9]+ ' "$results" | grep " mode=$scenario " || true)
	ok=$(grep ' valid=yes' <<<"$rows" || true)
	nvalid=$(grep -c . <<<"$ok" || true)
	opts=$(grep -o 'wrk="[^"]*"' <<<"$rows" | head -n1)
	printf '%-8s %2s/%-2s %10s %10s %8s %8s %8s %6s %6s %6s %6s %s\n' "$scenario" "$nvalid" "$RUNS" \
		"$(field rps <<<"$ok" | median)" "$(field events_per_s <<<"$ok" | median)" \
		"$(field p50_ms <<<"$ok" | median)" "$(field p99_ms <<<"$ok" | median)" "$(field max_ms <<<"$ok" | median)" \
		"$(field lanjie_cores <<<"$ok" | median)" "$(field wrk_cores <<<"$ok" | median)" \
		"$(field other_cores <<<"$ok" | median)" "$(field load_before <<<"$ok" | median)" "$opts"
done
# Memory: peak RSS, and the live heap the last collection left (GODEBUG=gctrace=1 lines,
# "gc N @...: ... A->B->C MB": C is live). GOGC is lanjie's --gc-percent (default 400).
echo "lanjie runtime: $(grep -o 'msg=runtime .*' "$data/stderr" | head -n1 | cut -d' ' -f2-)"
echo "lanjie memory: peak RSS $(awk '/^VmHWM/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$pid/status"), live heap after the last GC $(grep '^gc ' "$data/stderr" | tail -n1 | grep -o '[0-9]*->[0-9]*->[0-9]* MB' | awk -F'->' '{ print $3 }'), $(grep -c '^gc ' "$data/stderr") collections"
echo "decisions by level: $(curl -fsS "$base/metrics" | awk '/^lanjie_decisions_total\{/ { split($1, q, "\""); n[q[2]] = $2; t += $2 } END { for (l in n) printf "%s %d (%.2f%%) ", l, n[l], 100 * n[l] / (t ? t : 1) }')"
echo
echo "Every run (invalid ones say why; a disturbed one was repeated):"
cat "$results"
echo
echo "lanjie, wrk, other: cores used (of $(nproc), shared) by lanjie, by wrk, by everything else;"
echo "load0: the 1-minute load average before the scenario started."
if grep -E '^run[0-9]+ ' "$results" | grep -q ' valid=no'; then
	echo
	echo "Some runs are not valid figures (see above)."
	exit 1
fi
