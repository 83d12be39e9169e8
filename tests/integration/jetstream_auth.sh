#!/usr/bin/env bash
# Authentication against a real nats-server configured for it:
# user/password (password from --nats.password-file and from
# MEMACCT_NATS_PASSWORD), token (from --nats.token, --nats.token-file and
# MEMACCT_NATS_TOKEN), nkey seed, and a .creds file against a server in
# operator mode (JWTs made by jetstream_mkcreds). Right credentials: up 1 and
# the values equal /jsz. A wrong password (and token, and token file): up 0,
# one clear log line naming the server's reason however many polls fail, and
# the secret never in the log. A token file that is missing, empty or a FIFO
# stops the exporter at start with one line naming --nats.token-file. Then 1,000 nkey and 500 creds logins through the exporter's own
# NATS client must all succeed: cnats 3.4.1 fails about 1 in 256 nkey
# logins, and the retry must absorb it.
set -euo pipefail
source "$(dirname "$0")/jetstream_lib.bash"
js_require
m="$JS_WORK/metrics.prom"

expect_up() {  # LOG ARGS...: exporter up with these credentials, values as /jsz
  local log=$1; shift
  js_exporter "$log" "$@"
  wait_metric "$m" '^memacct_jetstream_up 1$' 15 || { cat "$log"; fail "not up with $*"; }
  wait_fresh_poll "$m" "$(now)" 20 || fail "no fresh poll"
  python3 "$JS_PY" compare "$NATS_MON" "$m" "$(now)" >"$JS_WORK/compare.out" || { cat "$JS_WORK/compare.out"; fail "values differ from /jsz"; }
  stop_exporter
}

expect_refused() {  # LOG SECRET ARGS...: up 0, one clear log line, no secret
  local log=$1 secret=$2; shift 2
  js_exporter "$log" "$@"
  wait_metric "$m" '^memacct_jetstream_poll_errors_total [1-9]' 10 || fail "no failed poll with $*"
  grep -q '^memacct_jetstream_up 0$' "$m" || fail "up is not 0 with wrong credentials"
  sleep 4   # four more failed polls at 1 s
  scrape > "$m"
  local errs; errs=$(value "$m" memacct_jetstream_poll_errors_total)
  [ "$errs" -ge 4 ] || fail "only $errs failed polls"
  grep -q '^memacct_jetstream_stream_' "$m" && fail "stream values without ever authenticating"
  stop_exporter
  local n; n=$(grep -c 'JetStream poll failed' "$log" || true)
  [ "$n" = 1 ] || { cat "$log"; fail "$n 'poll failed' lines for $errs failed polls (want 1)"; }
  grep 'JetStream poll failed' "$log"
  grep -q 'kind=auth' "$log" || fail "the log line does not say auth"
  grep -Eq 'Authorization Violation|Authentication' "$log" || fail "the log line lacks the server's reason"
  grep -qF -- "$secret" "$log" && fail "the secret is in the log"
  return 0
}

# --- user/password ---
cat > "$JS_WORK/users.conf" <<'EOF'
authorization { users = [ { user: exporter, password: "s3cret pw" } ] }
EOF
start_nats "$JS_WORK/users.conf"
python3 "$JS_PY" --user exporter --password "s3cret pw" values-setup "$NATS_PORT"
printf 's3cret pw\n' > "$JS_WORK/password"
expect_up "$JS_WORK/pwfile.log" --nats.user=exporter --nats.password-file="$JS_WORK/password"
echo "user/password from file: up 1, values equal /jsz"
MEMACCT_NATS_PASSWORD="s3cret pw" expect_up "$JS_WORK/pwenv.log" --nats.user=exporter
echo "user/password from MEMACCT_NATS_PASSWORD: up 1, values equal /jsz"
printf 'wrong-pw-xyzzy\n' > "$JS_WORK/badpassword"
expect_refused "$JS_WORK/badpw.log" wrong-pw-xyzzy --nats.user=exporter \
  --nats.password-file="$JS_WORK/badpassword"
stop_nats

# --- token ---
cat > "$JS_WORK/token.conf" <<'EOF'
authorization { token: "t0ken-abc-123" }
EOF
start_nats "$JS_WORK/token.conf"
expect_up "$JS_WORK/token.log" --nats.token=t0ken-abc-123
echo "token: up 1, values equal /jsz"
expect_refused "$JS_WORK/badtoken.log" bad-t0ken-456 --nats.token=bad-t0ken-456
printf 't0ken-abc-123\n' > "$JS_WORK/token"
# The file wins over a wrong --nats.token and a wrong MEMACCT_NATS_TOKEN.
MEMACCT_NATS_TOKEN=bad-env-t0ken expect_up "$JS_WORK/tokenfile.log" \
  --nats.token-file="$JS_WORK/token" --nats.token=bad-flag-t0ken
echo "token from --nats.token-file: up 1, values equal /jsz"
MEMACCT_NATS_TOKEN=t0ken-abc-123 expect_up "$JS_WORK/tokenenv.log"
echo "token from MEMACCT_NATS_TOKEN: up 1, values equal /jsz"
printf 'bad-file-t0ken-789\n' > "$JS_WORK/badtoken"
expect_refused "$JS_WORK/badtokenfile.log" bad-file-t0ken-789 --nats.token-file="$JS_WORK/badtoken"
expect_start_error() {  # WANT ARGS...: the exporter refuses to start, one line
  local want=$1; shift
  local rc=0
  "$MEMACCT_BIN" --web.listen-address=127.0.0.1:0 --nats.url="$NATS_URL" "$@" \
    >"$JS_WORK/start.out" 2>"$JS_WORK/start.err" </dev/null || rc=$?
  [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] || fail "exit $rc for: $*"
  grep -qF -- "$want" "$JS_WORK/start.err" || { cat "$JS_WORK/start.err"; fail "no '$want' for: $*"; }
  [ "$(wc -l < "$JS_WORK/start.err")" -eq 1 ] || { cat "$JS_WORK/start.err"; fail "not one line for: $*"; }
  echo "refused at start: $(cat "$JS_WORK/start.err")"
}
expect_start_error "--nats.token-file: cannot read $JS_WORK/missing: No such file or directory" \
  --nats.token-file="$JS_WORK/missing"
: > "$JS_WORK/empty"
expect_start_error "--nats.token-file: $JS_WORK/empty is empty" --nats.token-file="$JS_WORK/empty"
mkfifo "$JS_WORK/fifo"
expect_start_error "--nats.token-file: $JS_WORK/fifo is not a regular file" \
  --nats.token-file="$JS_WORK/fifo"
stop_nats

# --- nkey (the seed/public pair of the NATS documentation's example) ---
cat > "$JS_WORK/nkey.conf" <<'EOF'
authorization { users = [ { nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4 } ] }
EOF
printf 'SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY\n' > "$JS_WORK/user.nk"
start_nats "$JS_WORK/nkey.conf"
expect_up "$JS_WORK/nkey.log" --nats.nkey="$JS_WORK/user.nk"
echo "nkey seed: up 1, values equal /jsz"
loop="${MEMACCT_BUILD:-}/tests/jetstream_connect_loop"
mkcreds="${MEMACCT_BUILD:-}/tests/jetstream_mkcreds"
[ -x "$loop" ] && [ -x "$mkcreds" ] || fail "helpers not built under MEMACCT_BUILD=${MEMACCT_BUILD:-}"
"$loop" "$NATS_URL" 1000 --nkey "$JS_WORK/user.nk" || fail "nkey logins failed through the retry"
stop_nats

# --- creds (operator mode: operator, system and APP accounts, a user) ---
mkdir -p "$JS_WORK/op"
account=$("$mkcreds" "$JS_WORK/op")
JS_STORE="$JS_WORK/store-op" start_nats "$JS_WORK/op/server.conf"
"$loop" "$NATS_URL" 0 --creds "$JS_WORK/op/user.creds" \
  --request '$JS.API.STREAM.CREATE.CREDS' '{"name":"CREDS","subjects":["creds.>"],"storage":"file","max_bytes":1000000}' \
  --request creds.a one --request creds.b two >/dev/null || fail "cannot create a stream with the creds"
expect_up "$JS_WORK/creds.log" --nats.creds="$JS_WORK/op/user.creds"
grep -q "^memacct_jetstream_stream_bytes{stream=\"CREDS\",account=\"$account\"" "$m" ||
  fail "the creds' account $account is not the account label"
echo "creds: up 1, values equal /jsz, account=\"$account\""
"$loop" "$NATS_URL" 500 --creds "$JS_WORK/op/user.creds" || fail "creds logins failed through the retry"
echo PASS
