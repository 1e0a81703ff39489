#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback, like the one the tests start for themselves
# (rasd_store::testing), for people and benchmarks. It runs in the background until stopped.
#
#   url=$(scripts/pg-test-server.sh start /tmp/rasd-pg)   # postgres://rasd@127.0.0.1:PORT/postgres
#   RASD_TEST_PG_URL="$url" cargo test -p rasd-store        # the tests use it instead of their own
#   scripts/pg-test-server.sh url /tmp/rasd-pg              # the URL again
#   scripts/pg-test-server.sh stop /tmp/rasd-pg             # fast shutdown; DIR is kept
#
# start: DIR must be missing or empty. initdb into DIR/data (superuser `rasd`, trust
# authentication, UTF-8, locale C.UTF-8), then postgres on a free port of 127.0.0.1 only, its
# socket in DIR, its log in DIR/server.log, durability off (fsync, synchronous_commit,
# full_page_writes): for data you can lose. Prints the URL on stdout, nothing else.
# stop: stops it; remove DIR yourself (rm -rf DIR) when done with its files.
# As root, initdb and postgres run as the `postgres` system user (they refuse root), who is
# given DIR and must be able to reach it (a folder under /tmp is fine).
# initdb and postgres are taken from PATH, else from the newest /usr/lib/postgresql/*/bin
# (Debian's `postgresql` package: apt-get install postgresql).
set -euo pipefail

usage() {
    echo "usage: $0 start|stop|url DIR" >&2
    exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
dir=$2

die() {
    echo "pg-test-server: $*" >&2
    exit 1
}

# The folder with initdb, postgres and pg_ctl (links on PATH followed to the real one).
bin_dir() {
    local d
    if d=$(command -v postgres) && command -v initdb >/dev/null; then
        d=$(dirname "$(readlink -f "$d")")
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return
        fi
    fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/postgres" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return
        fi
    done
    die "PostgreSQL not found (initdb, postgres, pg_ctl): apt-get install postgresql"
}

root=0
[ "$(id -u)" -eq 0 ] && root=1
# Runs a command as the postgres system user when this runs as root.
as_pg() {
    if [ "$root" -eq 1 ]; then
        (cd "$dir" && runuser -u postgres -- "$@")
    else
        (cd "$dir" && "$@")
    fi
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

url_of() {
    [ -f "$dir/port" ] || die "no server started in $dir"
    echo "postgres://rasd@127.0.0.1:$(cat "$dir/port")/postgres"
}

case "$cmd" in
start)
    case "$dir" in
    *"'"* | *\\*) die "DIR must not contain quotes or backslashes: $dir" ;;
    esac
    bin=$(bin_dir)
    mkdir -p "$dir"
    [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
    dir=$(cd "$dir" && pwd)
    if [ "$root" -eq 1 ]; then
        chown -R postgres: "$dir"
        runuser -u postgres -- test -w "$dir" ||
            die "the postgres user cannot reach $dir: use a folder under /tmp"
    fi
    log_init="$dir/initdb.log"
    if ! as_pg "$bin/initdb" -D "$dir/data" -U rasd --auth=trust -E UTF8 --locale=C.UTF-8 \
        >"$log_init" 2>&1; then
        rm -rf "$dir/data"
        as_pg "$bin/initdb" -D "$dir/data" -U rasd --auth=trust -E UTF8 --no-locale \
            >"$log_init" 2>&1 || { cat "$log_init" >&2; die "initdb failed"; }
    fi
    cat >>"$dir/data/postgresql.conf" <<EOF

# pg-test-server.sh: loopback only, durability off (throwaway data).
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
    # A free port: a random one nobody answers on; another try if the server cannot bind it.
    for _ in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 40000))
        port_in_use "$port" && continue
        echo "port = $port" >>"$dir/data/postgresql.conf"
        if as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >&2; then
            echo "$port" >"$dir/port"
            url_of
            exit 0
        fi
        grep -q "could not bind" "$dir/server.log" 2>/dev/null || break
    done
    tail -n 40 "$dir/server.log" >&2 2>/dev/null || true
    die "the server did not start (log: $dir/server.log)"
    ;;
stop)
    [ -d "$dir/data" ] || die "no server folder at $dir"
    dir=$(cd "$dir" && pwd)
    bin=$(bin_dir)
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >&2
    rm -f "$dir/port"
    ;;
url)
    url_of
    ;;
*)
    usage
    ;;
esac
