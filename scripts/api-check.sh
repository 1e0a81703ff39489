#!/usr/bin/env bash
# The machine API against its own OpenAPI document, on a live server: schemathesis
# generates requests from /api/v1/openapi.json (valid and invalid ones) and checks that no
# answer is a server error and that every answer's status, content type, headers and body
# are the ones the document gives.
#
# 1. a Python virtual environment with schemathesis (major version 4), made once under the
#    build folder ($CARGO_TARGET_DIR/api-check-venv);
# 2. a small data folder from `rasd demo --once` (which writes its own config into
#    DIR/config), an administrator and their API key (`rasd users`), and the public form's
#    rate limit raised so the check reaches the submissions' validation instead of 429;
# 3. `rasd serve` on a free loopback port, the check, and the server stopped.
#
#   scripts/api-check.sh                       # from the repository root
#   MAX_EXAMPLES=1000 scripts/api-check.sh     # more cases per operation (default 200)
#   SEED=7 scripts/api-check.sh                # other cases (default: seed 1, the same each run)
#
# Exits non-zero when schemathesis finds a failure or the server cannot be started.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
max_examples="${MAX_EXAMPLES:-200}"
started=$(date +%s)

venv="$target/api-check-venv"
if ! "$venv/bin/st" --version >/dev/null 2>&1; then
  echo "api-check: installing schemathesis 4 into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'schemathesis>=4,<5'
fi
"$venv/bin/st" --version

cargo build --release --quiet
work=$(mktemp -d "$target/api-check.XXXXXX")
# A link to the binary just built, which another build into the same folder cannot replace
# while the check runs.
rasd="$work/rasd"
ln "$target/release/rasd" "$rasd" 2>/dev/null || cp "$target/release/rasd" "$rasd"

server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

data="$work/data"
echo "api-check: demo data in $data"
"$rasd" --data-dir "$data" demo --once >"$work/demo.log" 2>&1 || {
  cat "$work/demo.log" >&2
  exit 1
}
cfg="$data/config"
# Room for every generated submission within the minute (the default, 5, answers the rest
# 429, which the document gives but which would hide the validation behind it).
sed -i 's/^\[server\]$/[server]\nform_per_minute = 100000/' "$cfg/rasd.toml"
grep -q '^form_per_minute = 100000$' "$cfg/rasd.toml"

echo "كلمة مرور طويلة لفحص الواجهة" |
  "$rasd" --config "$cfg" --data-dir "$data" users add api-check --role admin >/dev/null
key=$("$rasd" --config "$cfg" --data-dir "$data" users key api-check)
case "$key" in
  rasd_*) ;;
  *) echo "api-check: rasd users key printed no key" >&2; exit 1 ;;
esac

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
"$rasd" --config "$cfg" --data-dir "$data" serve --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 120); do
  if curl -fsS -o /dev/null "$base/healthz" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$server" 2>/dev/null; then
    echo "api-check: the server stopped while starting:" >&2
    cat "$work/serve.log" >&2
    exit 1
  fi
  sleep 0.5
done
curl -fsS -o /dev/null "$base/healthz" || {
  echo "api-check: no answer from $base/healthz in 60 s" >&2
  cat "$work/serve.log" >&2
  exit 1
}

echo "api-check: schemathesis against $base/api/v1/openapi.json ($max_examples cases per operation)"
status=0
# From the scratch folder, where schemathesis leaves its cache (.schemathesis/).
cd "$work"
"$venv/bin/st" --no-color run "$base/api/v1/openapi.json" \
  --header "Authorization: Bearer $key" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$max_examples" \
  --seed "${SEED:-1}" \
  --generation-database none \
  --request-timeout 20 \
  --workers 1 \
  --continue-on-failure \
  || status=$?

if ! kill -0 "$server" 2>/dev/null; then
  echo "api-check: the server died during the check:" >&2
  tail -50 "$work/serve.log" >&2
  status=1
elif grep -q 'ERROR' "$work/serve.log"; then
  echo "api-check: the server logged errors:" >&2
  grep 'ERROR' "$work/serve.log" | head -20 >&2
  status=1
fi
echo "api-check: $(( $(date +%s) - started )) s, exit status $status"
exit "$status"
