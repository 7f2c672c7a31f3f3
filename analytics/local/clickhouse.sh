#!/usr/bin/env bash
# Local ClickHouse for newcomers, tests and CI: Debian's clickhouse-server (18.16),
# on loopback, on ports of Lanjie's own, with its data under var/clickhouse.
#
#   clickhouse.sh install   install clickhouse-server with apt-get if it is missing (root)
#   clickhouse.sh start     install if needed, start, wait until it answers
#   clickhouse.sh stop      stop it
#   clickhouse.sh status    exit 0 when it answers
#   clickhouse.sh dsn       print the DSN for lanjie and the tests
#
# Ports: LANJIE_CH_PORT (native, default 19000) and LANJIE_CH_HTTP_PORT (18123).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="${LANJIE_CH_DIR:-$root/var/clickhouse}"
port="${LANJIE_CH_PORT:-19000}"
http_port="${LANJIE_CH_HTTP_PORT:-18123}"
pidfile="$dir/clickhouse.pid"

log() { echo "clickhouse: $*" >&2; }

answers() {
	clickhouse-client --host 127.0.0.1 --port "$port" --query 'SELECT 1' >/dev/null 2>&1
}

install() {
	if command -v clickhouse-server >/dev/null && command -v clickhouse-client >/dev/null; then
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		log "clickhouse-server is not installed and installing it needs root: sudo apt-get install clickhouse-server clickhouse-client"
		return 1
	fi
	log "installing Debian's clickhouse-server"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || log "apt-get update failed; trying the install anyway"
	apt-get install -y -qq clickhouse-server clickhouse-client >/dev/null
	# The package may start a system-wide server on the default ports; ours does not
	# need it, and it would compete for memory.
	if command -v service >/dev/null; then service clickhouse-server stop >/dev/null 2>&1 || true; fi
}

config() {
	mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas" "$dir/log"
	cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$dir/log/clickhouse-server.log</log>
        <errorlog>$dir/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>3</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>$port</tcp_port>
    <http_port>$http_port</http_port>
    <max_connections>512</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <mark_cache_size>268435456</mark_cache_size>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
</yandex>
XML
	# Loopback only, no password: this server holds synthetic and test data and
	# listens on 127.0.0.1 alone.
	cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
}

start() {
	install
	if answers; then
		log "already running on 127.0.0.1:$port"
		return 0
	fi
	config
	log "starting on 127.0.0.1:$port, data in $dir"
	nohup clickhouse-server --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1 &
	echo $! >"$pidfile"
	for _ in $(seq 1 120); do
		if answers; then
			log "up"
			return 0
		fi
		if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
			log "server exited; last lines of its logs:"
			tail -n 20 "$dir/log/stdout.log" "$dir/log/clickhouse-server.err.log" >&2 || true
			return 1
		fi
		sleep 0.5
	done
	log "no answer after 60 s"
	return 1
}

stop() {
	if [ -f "$pidfile" ]; then
		pid="$(cat "$pidfile")"
		if kill "$pid" 2>/dev/null; then
			for _ in $(seq 1 60); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.5
			done
			kill -9 "$pid" 2>/dev/null || true
		fi
		rm -f "$pidfile"
	fi
	log "stopped"
}

case "${1:-}" in
install) install ;;
start) start ;;
stop) stop ;;
status) answers ;;
dsn) echo "clickhouse://127.0.0.1:$port/lanjie" ;;
*)
	echo "usage: $0 install|start|stop|status|dsn" >&2
	exit 2
	;;
esac
