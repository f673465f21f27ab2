#!/usr/bin/env bash
# pg-test-cluster.sh — a throwaway PostgreSQL cluster for guichet's tests.
#
#   scripts/pg-test-cluster.sh start [DIR]   create and start a cluster in DIR
#                                            (a new temporary directory if none)
#   scripts/pg-test-cluster.sh stop DIR      stop it and delete DIR
#
# start prints the cluster's URL on stdout, alone, so that
#   GUICHET_TEST_POSTGRES=$(scripts/pg-test-cluster.sh start "$dir")
# works, and writes DIR/env holding
#   export GUICHET_TEST_POSTGRES=postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable
# for `source DIR/env`. Everything else goes to stderr.
#
# The cluster is for tests only: it listens on 127.0.0.1 and on a socket in
# DIR, trusts every local connection, and runs without fsync — unless
# PG_DURABLE=1, which keeps PostgreSQL's durable defaults (fsync,
# synchronous_commit, full_page_writes on) for benchmark figures that compare
# against a durable floor. initdb refuses to run as root, so as root the
# cluster is run by the postgres OS user (created if missing).
set -euo pipefail

die() {
	echo "pg-test-cluster: $*" >&2
	exit 1
}

# bindir finds the server binaries: the newest /usr/lib/postgresql/*/bin, or
# the directory of initdb on PATH.
bindir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
	if [[ -z $d || ! -x $d/initdb ]]; then
		d=$(dirname "$(command -v initdb 2>/dev/null || die "PostgreSQL server binaries (initdb, pg_ctl) not found")")
	fi
	echo "$d"
}

# as runs a command as the cluster's owner.
as() {
	if ((EUID == 0)); then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# free_port prints a TCP port of 127.0.0.1 that nothing listens on now.
free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	die "no free port found"
}

start() {
	local dir=${1:-} bin port url durability='-c fsync=off -c synchronous_commit=off -c full_page_writes=off'
	[[ ${PG_DURABLE:-} == 1 ]] && durability='-c fsync=on -c synchronous_commit=on -c full_page_writes=on'
	bin=$(bindir)
	if [[ -z $dir ]]; then
		dir=$(mktemp -d "${TMPDIR:-/tmp}/guichet-pg.XXXXXX")
	fi
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	[[ -e $dir/data ]] && die "$dir/data exists: stop that cluster first"
	if ((EUID == 0)); then
		id -u postgres >/dev/null 2>&1 ||
			useradd --system --user-group --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres ||
			die "cannot create the postgres user"
		chown postgres: "$dir"
	fi
	as "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
		>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
	# The port is free when chosen but may be taken before the server binds
	# it: try a few.
	for attempt in 1 2 3 4 5; do
		port=$(free_port)
		if as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "-p $port -k $dir \
			-c listen_addresses=127.0.0.1 $durability \
			-c max_connections=400 -c shared_buffers=128MB" start >/dev/null 2>&1; then
			url="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
			echo "export GUICHET_TEST_POSTGRES='$url'" >"$dir/env"
			echo "pg-test-cluster: started in $dir (source $dir/env; stop with: $0 stop $dir)" >&2
			echo "$url"
			return
		fi
		echo "pg-test-cluster: start on port $port failed (attempt $attempt)" >&2
	done
	cat "$dir/server.log" >&2 || true
	die "PostgreSQL did not start"
}

stop() {
	local dir=${1:?usage: $0 stop DIR} bin
	bin=$(bindir)
	if [[ -d $dir/data ]]; then
		as "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf -- "$dir"
}

case ${1:-} in
start) start "${2:-}" ;;
stop) stop "${2:-}" ;;
*)
	sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
